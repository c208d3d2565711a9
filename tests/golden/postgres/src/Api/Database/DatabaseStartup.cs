using my_project.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// Readies the database before the server takes requests: the provider prepares it, a database that a newer build
/// has migrated is refused, and the shipped migrations are applied. The provider locks the database while it migrates,
/// so when several instances start together one migrates and the others then find nothing to do.
/// </summary>
internal sealed partial class DatabaseStartup(
    IDatabaseProvider provider, IDbContextFactory<AppDbContext> contextFactory, IHostEnvironment environment, ILogger<DatabaseStartup> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await provider.PrepareAsync(db, cancellationToken);

        var applied = await provider.GetAppliedMigrationsAsync(db, cancellationToken);
        var unknown = applied.Except(db.Database.GetMigrations()).ToList();
        if (unknown.Count > 0)
        {
            throw new StartupException(
                $"The database {provider.DisplayName} has migrations this build does not know ({string.Join(", ", unknown)}): " +
                $"a newer version of the service migrated it. Run that version, or {provider.RestoreAdvice}.");
        }

        // Comparing the model with the migrations costs a startup its time, so only Development does it up front;
        // elsewhere EF Core's own check refuses to migrate, and the same advice is given then.
        if (environment.IsDevelopment() && db.Database.HasPendingModelChanges())
        {
            throw UnmigratedModel();
        }

        var pending = db.Database.GetMigrations().Except(applied).ToList();
        if (pending.Count > 0) // a restart on an up-to-date database skips EF Core's migration machinery (~50 ms)
        {
            try
            {
                await provider.MigrateAsync(db, cancellationToken);
            }
            catch (InvalidOperationException) when (db.Database.HasPendingModelChanges())
            {
                throw UnmigratedModel();
            }
        }

        LogReady(provider.DisplayName, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static StartupException UnmigratedModel() => new(
        "The model has changes that no migration describes (a new entity or property?): " +
        "run `make migration name=<Change>` to add one, then start again.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Name} is ready; migrations applied now: {Count} ({Names}).")]
    private partial void LogReady(string name, int count, string names);
}
