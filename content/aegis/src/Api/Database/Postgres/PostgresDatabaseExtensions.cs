using AegisApp.Api.Infrastructure;
using AegisApp.Api.Scheduling;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace AegisApp.Api.Database;

/// <summary>
/// The database component on PostgreSQL: the server and database <c>DATABASE_URL</c> names (the compose file's
/// development server when unset), backed up on a schedule by <see cref="BackupJob"/> with <c>pg_dump</c>, and one
/// scheduler among many instances (<see cref="SchedulerLock"/>). What every provider shares is added by
/// <see cref="DatabaseExtensions.AddDatabase(IHostApplicationBuilder, DatabaseProvider)"/>.
/// </summary>
public static class PostgresDatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        // Npgsql's own telemetry: a span per command (with its SQL) and the connection pool's metrics.
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddNpgsql())
            .WithMetrics(metrics => metrics.AddNpgsqlInstrumentation());

        // Named in pg_stat_activity as "Api (scheduler)", … unless DATABASE_URL's application_name says otherwise.
        var connection = new NpgsqlConnectionStringBuilder(PostgresUrl.ToConnectionString(builder.Configuration[DatabaseUrl.Key]));
        connection.ApplicationName ??= $"{builder.Environment.ApplicationName} ({builder.Configuration.GetAppRole().ToString().ToLowerInvariant()})";
        builder.Services.AddSingleton<ISchedulerLock, SchedulerLock>();
        return builder.AddDatabase(new DatabaseProvider(connection.ConnectionString));
    }
}
