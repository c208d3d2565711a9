using my_project.Api.Infrastructure;
using my_project.Api.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace my_project.Api.Database;

/// <summary>
/// The database component: EF Core on the database <c>DATABASE_URL</c> names, readied at start-up (or by
/// <c>APP_ROLE=migrate</c>), checked by <c>/health</c>, and reached through <see cref="DbSession"/> or a request's
/// <see cref="AppDbContext"/>. The provider's own <c>AddDatabase()</c>, in its folder, calls this. To remove the
/// component, delete this folder, Scheduling/ and the resource folders (and their tests), and their lines in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder, DatabaseProvider provider)
    {
        // Through a factory, so that the container disposes the provider when the service stops.
        builder.Services.AddSingleton(_ => provider);
        builder.Services.AddSingleton(MigrationOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<DatabaseTelemetry>();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(BackupOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<BackupJob>();
        builder.Services.AddSingleton<IScheduledJob>(services => services.GetRequiredService<BackupJob>());
        builder.Services.AddSingleton<DatabaseRestore>();
        builder.Services.AddSingleton<WriteHealth>();
        builder.Services.AddExceptionHandler<DatabaseFaultHandler>();

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput under load.
        builder.Services.AddPooledDbContextFactory<AppDbContext>((services, options) =>
        {
            provider.Configure(options);
            options.UseSnakeCaseNamingConvention()
                .AddInterceptors(DbSession.Interceptor, services.GetRequiredService<WriteHealth>());
        });
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddSingleton<DatabaseStartup>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DatabaseStartup>());

        // EF Core's own meter counts contexts, queries, saves and concurrency failures. Its tracing exists only as a
        // prerelease (OpenTelemetry.Instrumentation.EntityFrameworkCore), so SQLite's traces end at the unit of work;
        // PostgreSQL's provider adds Npgsql's stable span per command.
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(DatabaseTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(DatabaseTelemetry.Name, "Microsoft.EntityFrameworkCore"));

        // Reads the migration history, so a missing, emptied or corrupt database, or an unreachable server, reports
        // Unhealthy (503).
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<AppDbContext>(
                "database",
                customTestQuery: async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any())
            .AddCheck<WriteHealth>("database-writes")
            .AddCheck<BackupJob>("database-backups");
        return builder;
    }

    /// <summary>
    /// Runs this process as <c>APP_ROLE=migrate</c>, <c>backup</c> (prints the copy's path) or <c>restore</c>, without
    /// the server or the scheduler, then stops the host; returns the exit code, 0.
    /// </summary>
    /// <exception cref="StartupException">It could not be done: why, in one line; nothing was changed.</exception>
    public static async Task<int> RunOnceAsync(this IHost host, AppRole role)
    {
        using (host)
        {
            var services = host.Services;
            switch (role)
            {
                case AppRole.Migrate:
                    await services.GetRequiredService<DatabaseStartup>().MigrateAsync(CancellationToken.None);
                    break;
                case AppRole.Backup:
                    Console.WriteLine(await services.GetRequiredService<DatabaseRestore>().BackUpByHandAsync(CancellationToken.None));
                    break;
                case AppRole.Restore:
                    Console.WriteLine(await services.GetRequiredService<DatabaseRestore>().RestoreAsync(
                        services.GetRequiredService<IConfiguration>()[DatabaseRestore.FileKey], CancellationToken.None));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(role), role, "Not a role that runs once.");
            }
        }

        return 0;
    }
}
