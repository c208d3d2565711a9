using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.Database;

/// <summary>
/// Brings the database up to the shipped migrations before the server accepts requests: a new file gets the whole
/// schema, an older one the migrations it lacks. EF Core locks the database while it migrates.
/// </summary>
internal sealed class DatabaseMigrator(IDbContextFactory<AppDbContext> contextFactory, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        logger.LogInformation("Database {DataSource} is ready ({Count} migration(s) applied).",
            db.Database.GetDbConnection().DataSource, pending.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
