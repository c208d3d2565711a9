using my_project.Api.Infrastructure;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace my_project.Api.Database;

/// <summary>
/// The database component on PostgreSQL: the server and database <c>DATABASE_URL</c> names (the compose file's
/// development server when unset). What every provider shares is added by
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
        return builder.AddDatabase(new DatabaseProvider(PostgresUrl.ToConnectionString(builder.Configuration[DatabaseUrl.Key])));
    }

    /// <summary>Runs this process as <c>APP_ROLE=migrate</c>, the one role on PostgreSQL that does one thing and exits.</summary>
    public static Task<int> RunOnceAsync(this IHost host, AppRole role) =>
        role is AppRole.Migrate ? host.RunMigrationsAsync() : throw new ArgumentOutOfRangeException(nameof(role), role, "Not a role that runs once.");
}
