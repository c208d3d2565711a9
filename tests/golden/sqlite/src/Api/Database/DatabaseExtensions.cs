using my_project.Api.Infrastructure;
using my_project.Api.Scheduling;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace my_project.Api.Database;

/// <summary>
/// The database component: EF Core on the SQLite file named by <c>DATABASE_URL</c>, readied at start-up, checked by
/// <c>/health</c>, backed up on a schedule, and reached through <see cref="DbSession"/> or a request's
/// <see cref="AppDbContext"/>. To remove it, delete this folder, Scheduling/ and their lines in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var database = SqliteDatabase.FromUrl(builder.Configuration[DatabaseUrl.Key], ProjectRoot.Path);
        builder.Services.AddSingleton(database);

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput (bench/RESULTS.md).
        builder.Services.AddPooledDbContextFactory<AppDbContext>(options => options
            .UseSqlite(database.ConnectionString)
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(new SqliteConnectionSettings()));
        builder.Services.AddSingleton<WriteGate>();
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddHostedService<DatabaseStartup>();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(BackupOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<SqliteBackupJob>();
        builder.Services.AddSingleton<IScheduledJob>(services => services.GetRequiredService<SqliteBackupJob>());

        // Reads the migration history, so a missing, emptied or corrupt file reports Unhealthy (503).
        builder.Services.AddHealthChecks().AddDbContextCheck<AppDbContext>(
            "database",
            customTestQuery: async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any());
        return builder;
    }
}
