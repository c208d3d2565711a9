#if (!UsePostgres)
using AegisApp.Api.Infrastructure;
using AegisApp.Api.Scheduling;
#endif
using Microsoft.EntityFrameworkCore;
#if (!UsePostgres)
using Microsoft.Extensions.DependencyInjection.Extensions;
#endif

namespace AegisApp.Api.Database;

#if (UsePostgres)
/// <summary>
/// The database component: EF Core on the PostgreSQL database named by <c>DATABASE_URL</c>, migrated at start-up,
/// checked by <c>/health</c>, and reached through <see cref="DbSession"/> or a request's <see cref="AppDbContext"/>.
/// To remove it, delete this folder, Scheduling/ and their lines in Program.cs.
/// </summary>
#else
/// <summary>
/// The database component: EF Core on the SQLite file named by <c>DATABASE_URL</c>, readied at start-up, checked by
/// <c>/health</c>, backed up on a schedule, and reached through <see cref="DbSession"/> or a request's
/// <see cref="AppDbContext"/>. To remove it, delete this folder, Scheduling/ and their lines in Program.cs.
/// </summary>
#endif
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
#if (UsePostgres)
        var connectionString = DatabaseUrl.ToNpgsqlConnectionString(builder.Configuration[DatabaseUrl.Key]);
#else
        var database = SqliteDatabase.FromUrl(builder.Configuration[DatabaseUrl.Key], ProjectRoot.Path);
        builder.Services.AddSingleton(database);
#endif

        // The factory serves DbSession and jobs, and AppDbContext per request. Pooled: a context is reset and reused
        // rather than built for every request, which more than doubles write throughput (bench/RESULTS.md).
        builder.Services.AddPooledDbContextFactory<AppDbContext>(options => options
#if (UsePostgres)
            .UseNpgsql(connectionString)
            .UseSnakeCaseNamingConvention());
#else
            .UseSqlite(database.ConnectionString)
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(new SqliteConnectionSettings()));
        builder.Services.AddSingleton<WriteGate>();
#endif
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddHostedService<DatabaseStartup>();
#if (!UsePostgres)

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(BackupOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<SqliteBackupJob>();
        builder.Services.AddSingleton<IScheduledJob>(services => services.GetRequiredService<SqliteBackupJob>());
#endif

#if (UsePostgres)
        // Reads the migration history, so an unreachable server or a dropped database reports Unhealthy (503).
#else
        // Reads the migration history, so a missing, emptied or corrupt file reports Unhealthy (503).
#endif
        builder.Services.AddHealthChecks().AddDbContextCheck<AppDbContext>(
            "database",
            customTestQuery: async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any());
        return builder;
    }
}
