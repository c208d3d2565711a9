using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Testing;

namespace Aegis.Database.Tests;

/// <summary>
/// The door for a project with a context of its own: <c>EnrichSqliteDatabase</c> adds the machinery around a context the
/// application registered, with the operational behaviours off unless asked for.
/// </summary>
public sealed class EnrichTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("aegis-enrich-").FullName;

    private string File => Path.Combine(folder, "own.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task A_context_the_application_registered_gets_the_connection_settings_the_write_queue_and_health_but_nothing_operational()
    {
        await using var app = await StartAsync();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SqliteTestContext>();
            await db.Database.EnsureCreatedAsync(); // its schema is the application's business here
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Shields.Add(new Shield { Name = "Own" });
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            await db.Database.OpenConnectionAsync();
            await using var pragma = db.Database.GetDbConnection().CreateCommand();
            pragma.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", await pragma.ExecuteScalarAsync());
        }

        var health = await app.GetTestClient().GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("\"database-writes\"", await health.Content.ReadAsStringAsync());
        Assert.DoesNotContain(app.Services.GetServices<IHostedService>(), service => service.GetType().Name is "DatabaseStartup" or "Scheduler");
        Assert.DoesNotContain(app.Services.GetServices<IExceptionHandler>(), handler => handler.GetType().Name == "DatabaseFaultHandler");
        Assert.DoesNotContain(app.Services.GetServices<IScheduledJob>(), job => job.Name == "database-backup");
        Assert.Contains(app.Services.GetFakeLogCollector().GetSnapshot(), record => record.Message ==
            $"Database {File} for SqliteTestContext: migrations on start False, backups off, scheduler in this process False, " +
            "409/503 fault mapping False, health checks True.");
    }

    [Fact]
    public async Task What_is_asked_for_is_turned_on_migrations_on_start_and_the_fault_mapping()
    {
        await using var app = await StartAsync(settings => (settings.DisableMigrationsOnStart, settings.DisableFaultMapping) = (false, false));

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SqliteTestContext>();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync()); // migrated on start
        Assert.Contains(app.Services.GetServices<IExceptionHandler>(), handler => handler.GetType().Name == "DatabaseFaultHandler");
    }

    [Fact]
    public void A_context_that_is_not_registered_is_refused_saying_what_to_do()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });

        var error = Assert.Throws<InvalidOperationException>(() => builder.EnrichSqliteDatabase<SqliteTestContext>());

        Assert.StartsWith("SqliteTestContext is not registered: register it first", error.Message);
    }

    private async Task<WebApplication> StartAsync(Action<AegisDatabaseSettings>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Services.AddFakeLogging();
        builder.Services.AddDbContext<SqliteTestContext>(options => options.UseSqlite($"Data Source={File}").UseSnakeCaseNamingConvention());
        builder.EnrichSqliteDatabase<SqliteTestContext>(configure);
        var app = builder.Build();
        app.MapHealthChecks("/health", new() { ResponseWriter = HealthReportWriter.WriteAsync });
        await app.StartAsync();
        return app;
    }
}
