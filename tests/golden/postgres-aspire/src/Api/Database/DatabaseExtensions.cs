using Microsoft.EntityFrameworkCore;
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
        builder.Services.AddSingleton<WriteHealth>();
        builder.Services.AddExceptionHandler<DatabaseFaultHandler>();

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput (bench/RESULTS.md).
        builder.Services.AddPooledDbContextFactory<AppDbContext>((services, options) =>
        {
            provider.Configure(options);
            options.UseSnakeCaseNamingConvention()
                .AddInterceptors(DbSession.OtherContextGuard, services.GetRequiredService<WriteHealth>());
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
            .AddCheck<WriteHealth>("database-writes");
        return builder;
    }

    /// <summary>
    /// Runs this process as <c>APP_ROLE=migrate</c>: applies the pending migrations without starting the server or the
    /// scheduler, then stops the host. Returns the exit code, 0.
    /// </summary>
    /// <exception cref="Infrastructure.StartupException">The database could not be migrated: why, in one line.</exception>
    public static async Task<int> RunMigrationsAsync(this IHost host)
    {
        using (host)
        {
            await host.Services.GetRequiredService<DatabaseStartup>().MigrateAsync(CancellationToken.None);
        }

        return 0;
    }
}
