using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aegis.Database;

/// <summary>
/// Readies the database before the server takes requests: a database that a newer build has migrated is refused, and
/// the shipped migrations are applied, unless <c>MIGRATE_ON_START=false</c>, which refuses a database that lacks any.
/// The provider locks the database while it migrates, so of instances starting together one migrates and the others
/// find nothing to do. <c>APP_ROLE=migrate</c> runs the same steps, always migrating, and exits.
/// </summary>
internal sealed partial class DatabaseStartup(
    DatabaseProvider provider, DatabaseContexts contexts, MigrationOptions options, IHostEnvironment environment,
    ILogger<DatabaseStartup> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => ReadyAsync(options.MigrateOnStart, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Checks the database against this build's migrations and, with <paramref name="migrate"/>, applies those it lacks.</summary>
    /// <exception cref="StartupException">The database cannot be used by this build as it is.</exception>
    public async Task ReadyAsync(bool migrate, CancellationToken cancellationToken)
    {
        await using var context = contexts.Create();
        var db = context.Db;
        var exists = await provider.PrepareAsync(db, create: migrate, cancellationToken);

        var applied = exists ? await provider.GetAppliedMigrationsAsync(db, cancellationToken) : [];
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
        if (pending.Count > 0 && !migrate)
        {
            throw new StartupException(
                $"The database {provider.DisplayName} {(exists ? "lacks" : "does not exist yet, so it lacks")} the migrations {string.Join(", ", pending)}, " +
                $"and {MigrationOptions.MigrateOnStartKey}=false leaves them to a step of their own: run {MigrationOptions.MigrateCommand(environment.ApplicationName)}, then start this again.");
        }

        try
        {
            if (pending.Count > 0) // a restart on an up-to-date database skips EF Core's migration machinery (~50 ms)
            {
                await provider.MigrateAsync(db, cancellationToken);
            }
        }
        catch (InvalidOperationException) when (db.Database.HasPendingModelChanges())
        {
            throw UnmigratedModel();
        }

        LogReady(provider.DisplayName, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
    }

    /// <summary><c>APP_ROLE=migrate</c>: applies the pending migrations, creating the database if the provider may.</summary>
    /// <exception cref="StartupException">The database could not be migrated: why, in one line; the log has the whole error.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReadyAsync(migrate: true, cancellationToken);
        }
        catch (Exception e) when (e is not StartupException)
        {
            LogMigrationFailed(e, provider.DisplayName);
            var reason = string.Join(' ', e.GetBaseException().Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            throw new StartupException($"Migrating the database {provider.DisplayName} failed: {reason}", e);
        }
    }

    private static StartupException UnmigratedModel() => new(
        "The model has changes that no migration describes (a new entity or property?): " +
        "add one (`dotnet ef migrations add <Change>`, or `make migration name=<Change>` where there is a Makefile), then start again.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Name} is ready; migrations applied now: {Count} ({Names}).")]
    private partial void LogReady(string name, int count, string names);

    [LoggerMessage(Level = LogLevel.Error, Message = "Migrating the database {Name} failed.")]
    private partial void LogMigrationFailed(Exception exception, string name);
}
