using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// The database component: EF Core on the database <c>DATABASE_URL</c> names, readied at start-up, checked by
/// <c>/health</c>, and reached through <see cref="DbSession"/> or a request's <see cref="AppDbContext"/>. The provider's
/// own <c>AddDatabase()</c>, in its folder inside this one, calls this with what only it knows. To remove the component,
/// delete this folder, Scheduling/ and the resource folders (and their tests), and their lines in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder, IDatabaseProvider provider)
    {
        // Through a factory, so that the container disposes the provider when the service stops.
        builder.Services.AddSingleton(_ => provider);
        var writeHealth = new WriteHealth(provider);
        builder.Services.AddSingleton(writeHealth);
        builder.Services.AddExceptionHandler<DatabaseFaultHandler>();

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput (bench/RESULTS.md).
        builder.Services.AddPooledDbContextFactory<AppDbContext>(options =>
        {
            provider.Configure(options);
            options.UseSnakeCaseNamingConvention().AddInterceptors(writeHealth);
        });
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddHostedService<DatabaseStartup>();

        // Reads the migration history, so a missing, emptied or corrupt database, or an unreachable server, reports
        // Unhealthy (503).
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<AppDbContext>(
                "database",
                customTestQuery: async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any())
            .AddCheck("database-writes", writeHealth);
        return builder;
    }
}
