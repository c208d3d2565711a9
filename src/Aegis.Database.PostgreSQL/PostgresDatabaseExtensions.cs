using Aegis.Database;
using Aegis.Database.PostgreSQL;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>Adds an EF Core context on PostgreSQL, with the database component's machinery, to a host.</summary>
public static class AegisPostgresDatabaseExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContext"/> (pooled, per request, and through <see cref="IDbContextFactory{TContext}"/>)
    /// on the PostgreSQL server and database a <c>postgresql://user:password@host:5432/database</c> <c>DATABASE_URL</c>
    /// names, the database created at start-up if the server has none of that name. It also adds migrations on start
    /// (one instance migrates, the others wait), scheduled <c>pg_dump</c> backups with retention and retries, each
    /// scheduled run claimed by one of the instances that share the database, the <c>migrate</c>, <c>backup</c> and <c>restore</c>
    /// roles, the 409/503 fault mapping, health checks, Npgsql's traces and metrics and the <c>aegis.database.*</c>
    /// telemetry, each of which <paramref name="configureSettings"/> can turn off.
    /// </summary>
    /// <remarks>
    /// Reads <c>DATABASE_URL</c>, <c>MIGRATE_ON_START</c>, <c>BACKUP_SCHEDULE</c>, <c>BACKUP_KEEP</c>,
    /// <c>BACKUP_FOLDER</c> and <c>APP_ROLE</c>, and the section <c>Aegis:Database</c> into
    /// <see cref="AegisDatabaseSettings"/>. <c>pg_dump</c> and <c>pg_restore</c> of the server's major version must be
    /// on the PATH for backups.
    /// </remarks>
    /// <typeparam name="TContext">The application's context.</typeparam>
    /// <param name="builder">The host's builder.</param>
    /// <param name="configureSettings">Changes the settings after they are read from configuration.</param>
    /// <param name="configureDbContextOptions">Changes the context's options after the provider has set them.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="StartupException">A setting is unset or cannot be used: the message says which, and how to fix it.</exception>
    public static IHostApplicationBuilder AddPostgresDatabase<TContext>(
        this IHostApplicationBuilder builder,
        Action<AegisDatabaseSettings>? configureSettings = null,
        Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        var settings = DatabaseComponent.ReadSettings(builder, configureSettings);

        // Named in pg_stat_activity as "Api (scheduler)", … unless DATABASE_URL's application_name says otherwise.
        var connection = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(builder.Configuration[DatabaseUrl.Key]));
        if (!builder.Environment.IsDevelopment() && PostgresUrl.IsExamplePassword(connection.Password))
        {
            throw new StartupException(
                $"{DatabaseUrl.Key} still carries the example password of .env.example, which is refused outside Development " +
                $"(this is {builder.Environment.EnvironmentName}). Give the database's role a password of your own, and put it in {DatabaseUrl.Key}.");
        }

        connection.ApplicationName ??= $"{builder.Environment.ApplicationName} ({builder.Configuration.GetAppRole().ToString().ToLowerInvariant()})";
        var provider = new PostgresProvider(() => connection.ConnectionString, settings.RootPath!);
        AddPostgresServices<TContext>(builder, _ => provider);
        DatabaseComponent.Add<TContext>(builder, provider, settings, configureDbContextOptions);
        return builder;
    }

    /// <summary>
    /// Adds the database component's machinery to <typeparamref name="TContext"/>, which the application registered itself
    /// on PostgreSQL (<c>AddDbContext</c>, <c>AddDbContextPool</c> or <c>AddPooledDbContextFactory</c> with
    /// <c>UseNpgsql</c>, or Aspire's <c>AddNpgsqlDbContext</c>): health checks, Npgsql's traces and metrics and the
    /// <c>aegis.database.*</c> telemetry. Migrations on start, backups, the scheduler and the 409/503 fault mapping stay
    /// off unless <paramref name="configureSettings"/> turns them on.
    /// </summary>
    /// <remarks>Reads the section <c>Aegis:Database</c> into <see cref="AegisDatabaseSettings"/>; the database is the context's own.</remarks>
    /// <typeparam name="TContext">The application's context, already registered.</typeparam>
    /// <param name="builder">The host's builder.</param>
    /// <param name="configureSettings">Changes the settings after they are read from configuration.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TContext"/> is not registered.</exception>
    public static IHostApplicationBuilder EnrichPostgresDatabase<TContext>(
        this IHostApplicationBuilder builder, Action<AegisDatabaseSettings>? configureSettings = null)
        where TContext : DbContext
    {
        var settings = DatabaseComponent.ReadSettings(builder, configureSettings, enriching: true);
        AddPostgresServices<TContext>(builder, services => new PostgresProvider(() =>
        {
            using var scope = services.CreateScope();
            return scope.ServiceProvider.GetRequiredService<TContext>().Database.GetConnectionString()
                ?? throw new InvalidOperationException($"{typeof(TContext).Name} has no connection string to back up or migrate.");
        }, settings.RootPath!));
        DatabaseComponent.Enrich<TContext>(builder, services => services.GetRequiredService<PostgresProvider>(), settings);
        return builder;
    }

    private static void AddPostgresServices<TContext>(IHostApplicationBuilder builder, Func<IServiceProvider, PostgresProvider> provider)
    {
        // Npgsql's own telemetry: a span per command (with its SQL) and the connection pool's metrics.
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddNpgsql())
            .WithMetrics(metrics => metrics.AddNpgsqlInstrumentation());
        builder.Services.AddSingleton(provider);
        builder.Services.AddSingleton<IScheduledRunClaims>(services =>
            new ScheduledRunClaims(services.GetRequiredService<PostgresProvider>(), typeof(TContext).FullName ?? typeof(TContext).Name));
        builder.Services.AddSingleton<IDatabaseRestore, PostgresRestore>();
    }
}
