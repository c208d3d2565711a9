using AegisApp.Api.Infrastructure;
#if (UsePostgres)
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
#else
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
#endif

namespace AegisApp.Api.Database;

#if (UsePostgres)
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

#else
/// <summary>
/// Readies the database before the server takes requests: marks it in use (so <c>make restore</c> refuses while the
/// service runs), puts the file in WAL mode, refuses a database that a newer build has migrated, and applies the
/// shipped migrations (EF Core locks the database while it migrates, so instances starting together are safe).
/// </summary>
internal sealed partial class DatabaseStartup(
    SqliteDatabase database, IDbContextFactory<AppDbContext> contextFactory, ILogger<DatabaseStartup> logger) : IHostedService, IDisposable
{
    private FileStream? inUse;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        inUse = HoldInUseLock();
        await using (var connection = new SqliteConnection(database.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteScalarAsync(cancellationToken);
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var name = database.File;

#endif
#if (UsePostgres)
        // Npgsql logs a failed query when asked for the migrations of a database that has no history table yet.
        List<string> applied = await HasHistoryAsync(db, cancellationToken) ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)] : [];
#else
        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
#endif
        var unknown = applied.Except(db.Database.GetMigrations()).ToList();
        if (unknown.Count > 0)
        {
            throw new StartupException(
                $"The database {name} has migrations this build does not know ({string.Join(", ", unknown)}): " +
#if (UsePostgres)
                "a newer version of the service migrated it. Run that version, or restore a backup taken before it.");
#else
                "a newer version of the service migrated it. Run that version, or restore a backup taken before it (make restore).");
#endif
        }

        var pending = db.Database.GetMigrations().Except(applied).ToList();
        if (pending.Count > 0) // a restart on an up-to-date database skips EF Core's migration machinery (~50 ms)
        {
            await db.Database.MigrateAsync(cancellationToken);
        }

        LogReady(name, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
    }
#if (UsePostgres)

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
#endif

#if (UsePostgres)
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
#else
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        inUse?.Dispose();
        inUse = null;
    }

    // A shared lock: any number of instances may hold it at once; `make restore` needs it exclusively.
    private FileStream HoldInUseLock()
    {
        try
        {
            return new FileStream(database.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (IOException e)
        {
            throw new StartupException(
                $"{database.File} is being restored (make restore holds {database.LockFile}); start the service when it has finished.", e);
        }
    }
#endif

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Name} is ready; migrations applied now: {Count} ({Names}).")]
    private partial void LogReady(string name, int count, string names);
}
