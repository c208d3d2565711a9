using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// The database component: EF Core on the PostgreSQL database named by <c>DATABASE_URL</c>, migrated at start-up,
/// checked by <c>/health</c>, and reached through <see cref="DbSession"/> or a request's <see cref="AppDbContext"/>.
/// To remove it, delete this folder, Scheduling/ and their lines in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = DatabaseUrl.ToNpgsqlConnectionString(builder.Configuration[DatabaseUrl.Key]);

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput (bench/RESULTS.md).
        builder.Services.AddPooledDbContextFactory<AppDbContext>(options => options
            .UseNpgsql(connectionString)
            .UseSnakeCaseNamingConvention());
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddHostedService<DatabaseStartup>();

        // Reads the migration history, so an unreachable server or a dropped database reports Unhealthy (503).
        builder.Services.AddHealthChecks().AddDbContextCheck<AppDbContext>(
            "database",
            customTestQuery: async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any());
        return builder;
    }
}
