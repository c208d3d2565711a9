using Aegis.Database;
using Aegis.Database.TestApp;
using Aegis.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.Services.AddProblemDetails();
    builder.Services.AddHealthChecks();
    builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddAspNetCoreInstrumentation());

    // The provider DATABASE_URL's scheme names; SQLite when it is unset.
    static void SnakeCase(DbContextOptionsBuilder options) => options.UseSnakeCaseNamingConvention();
    if (builder.Configuration["DATABASE_URL"]?.Split(':')[0].Trim().ToLowerInvariant() is "postgresql" or "postgres")
    {
        builder.AddPostgresDatabase<PostgresTestContext>(configureDbContextOptions: SnakeCase);
        builder.Services.AddScoped<TestDbContext>(services => services.GetRequiredService<PostgresTestContext>());
    }
    else
    {
        builder.AddSqliteDatabase<SqliteTestContext>(configureDbContextOptions: SnakeCase);
        builder.Services.AddScoped<TestDbContext>(services => services.GetRequiredService<SqliteTestContext>());
    }

    if (builder.Configuration["TEST_JOB_SCHEDULE"] is { Length: > 0 })
    {
        builder.Services.AddSingleton<IScheduledJob, RecordingJob>();
    }

    var app = builder.Build();
    var role = app.Configuration.GetAppRole();
    if (role.RunsOnce())
    {
        return await app.RunOnceAsync(role); // migrate, backup or restore, then exit
    }

    app.UseExceptionHandler();
    // /alive: the process serves HTTP, whatever the checks say; /health: every check.
    app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportWriter.WriteAsync });
    app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
    if (role.ServesApi())
    {
        ShieldsApi.Map(app);
    }

    await app.RunAsync();
    return 0;
}
catch (StartupException e) when (!builder.Environment.IsEnvironment("Testing")) // a test sees the exception itself
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
