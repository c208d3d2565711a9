using Aegis.Database;
using Aegis.Database.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Microsoft.Extensions.Hosting;

/// <summary>Adds an EF Core context on SQLite, with the database component's machinery, to a host.</summary>
public static class AegisSqliteDatabaseExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TContext"/> (pooled, per request, and through <see cref="IDbContextFactory{TContext}"/>)
    /// on the SQLite file <c>DATABASE_URL</c> names, <c>sqlite:///data/app.db</c> when it is unset: in WAL mode, with
    /// <c>synchronous=NORMAL</c>, foreign keys and a 30 s busy timeout, and this process's writers queued for SQLite's one
    /// write lock. It also adds migrations on start, scheduled backups (<c>VACUUM INTO</c>) with retention and retries,
    /// the <c>migrate</c>, <c>backup</c> and <c>restore</c> roles, the 409/503 fault mapping, health checks, the
    /// in-process scheduler and the <c>aegis.database.*</c> telemetry, each of which
    /// <paramref name="configureSettings"/> can turn off.
    /// </summary>
    /// <remarks>
    /// Reads <c>DATABASE_URL</c>, <c>MIGRATE_ON_START</c>, <c>BACKUP_SCHEDULE</c>, <c>BACKUP_KEEP</c>,
    /// <c>BACKUP_FOLDER</c> and <c>APP_ROLE</c>, and the section <c>Aegis:Database</c> into
    /// <see cref="AegisDatabaseSettings"/>. A relative path is relative to <see cref="AegisDatabaseSettings.RootPath"/>.
    /// </remarks>
    /// <typeparam name="TContext">The application's context.</typeparam>
    /// <param name="builder">The host's builder.</param>
    /// <param name="configureSettings">Changes the settings after they are read from configuration.</param>
    /// <param name="configureDbContextOptions">Changes the context's options after the provider has set them.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="StartupException">A setting, or the file <c>DATABASE_URL</c> names, cannot be used: the message says which, and how to fix it.</exception>
    public static IHostApplicationBuilder AddSqliteDatabase<TContext>(
        this IHostApplicationBuilder builder,
        Action<AegisDatabaseSettings>? configureSettings = null,
        Action<DbContextOptionsBuilder>? configureDbContextOptions = null)
        where TContext : DbContext
    {
        var settings = DatabaseComponent.ReadSettings(builder, configureSettings);
        var database = SqliteDatabase.FromUrl(builder.Configuration[DatabaseUrl.Key], settings.RootPath!);
        var provider = new SqliteProvider(() => database);
        AddSqliteServices(builder, _ => provider);
        DatabaseComponent.Add<TContext>(builder, provider, settings, configureDbContextOptions, Interceptors);
        return builder;
    }

    /// <summary>
    /// Adds the database component's machinery to <typeparamref name="TContext"/>, which the application registered itself
    /// on a SQLite file (<c>AddDbContext</c>, <c>AddDbContextPool</c> or <c>AddPooledDbContextFactory</c> with
    /// <c>UseSqlite</c>): its connection settings (WAL, <c>synchronous=NORMAL</c>, foreign keys, a 30 s busy timeout),
    /// this process's writers queued for the one write lock, health checks and telemetry. Migrations on start, backups,
    /// the scheduler and the 409/503 fault mapping stay off unless <paramref name="configureSettings"/> turns them on.
    /// </summary>
    /// <remarks>Reads the section <c>Aegis:Database</c> into <see cref="AegisDatabaseSettings"/>; the file is the context's own.</remarks>
    /// <typeparam name="TContext">The application's context, already registered.</typeparam>
    /// <param name="builder">The host's builder.</param>
    /// <param name="configureSettings">Changes the settings after they are read from configuration.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="TContext"/> is not registered.</exception>
    public static IHostApplicationBuilder EnrichSqliteDatabase<TContext>(
        this IHostApplicationBuilder builder, Action<AegisDatabaseSettings>? configureSettings = null)
        where TContext : DbContext
    {
        var settings = DatabaseComponent.ReadSettings(builder, configureSettings, enriching: true);
        AddSqliteServices(builder, services => new SqliteProvider(() =>
        {
            using var scope = services.CreateScope();
            return SqliteDatabase.FromConnectionString(scope.ServiceProvider.GetRequiredService<TContext>().Database.GetConnectionString());
        }));
        DatabaseComponent.Enrich<TContext>(builder, services => services.GetRequiredService<SqliteProvider>(), settings, Interceptors);
        return builder;
    }

    private static void AddSqliteServices(IHostApplicationBuilder builder, Func<IServiceProvider, SqliteProvider> provider)
    {
        builder.Services.AddSingleton(provider);
        builder.Services.AddSingleton<SqliteWriteQueue>();
        builder.Services.AddSingleton<IDatabaseRestore, SqliteRestore>();
    }

    private static IEnumerable<IInterceptor> Interceptors(IServiceProvider services) =>
        [new SqliteProvider.ConnectionSettings(), services.GetRequiredService<SqliteWriteQueue>()];
}
