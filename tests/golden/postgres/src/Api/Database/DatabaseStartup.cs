using my_project.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace my_project.Api.Database;

/// <summary>
/// Readies the database before the server takes requests: creates it if the server has none of that name, refuses a
/// database that a newer build has migrated, and applies the shipped migrations. EF Core holds a lock on the database
/// while it migrates, so when several instances start together one migrates and the others then find nothing to do.
/// </summary>
internal sealed partial class DatabaseStartup(
    IDbContextFactory<AppDbContext> contextFactory, ILogger<DatabaseStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var name = db.Database.GetDbConnection().Database;
        await CreateIfMissingAsync(db, cancellationToken);

        // Npgsql logs a failed query when asked for the migrations of a database that has no history table yet.
        List<string> applied = await HasHistoryAsync(db, cancellationToken) ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)] : [];
        var unknown = applied.Except(db.Database.GetMigrations()).ToList();
        if (unknown.Count > 0)
        {
            throw new StartupException(
                $"The database {name} has migrations this build does not know ({string.Join(", ", unknown)}): " +
                "a newer version of the service migrated it. Run that version, or restore a backup taken before it.");
        }

        var pending = db.Database.GetMigrations().Except(applied).ToList();
        if (pending.Count > 0) // a restart on an up-to-date database skips EF Core's migration machinery (~50 ms)
        {
            await db.Database.MigrateAsync(cancellationToken);
        }

        LogReady(name, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
    }

    // Before anything else touches it, so that a first start logs no failed connections to a missing database.
    private static async Task CreateIfMissingAsync(AppDbContext db, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        try
        {
            if (await creator.ExistsAsync(cancellationToken))
            {
                return;
            }
        }
        // No server there, a wrong password, TLS refused, … (EF Core wraps the errors it deems transient).
        catch (Exception e) when (e is NpgsqlException || e.InnerException is NpgsqlException)
        {
            throw new StartupException(
                $"The PostgreSQL server that {DatabaseUrl.Key} names cannot be used: {(e.InnerException ?? e).Message} " +
                $"Start it (docker compose up -d postgres), or set {DatabaseUrl.Key} to a server that runs.", e);
        }

        try
        {
            await creator.CreateAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it between our check and our CREATE DATABASE: use theirs.
        }
    }

    private static async Task<bool> HasHistoryAsync(AppDbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<bool>("""SELECT to_regclass('"__EFMigrationsHistory"') IS NOT NULL AS "Value" """)
            .SingleAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Name} is ready; migrations applied now: {Count} ({Names}).")]
    private partial void LogReady(string name, int count, string names);
}
