using my_project.Api.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

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

        var applied = (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).ToList();
        var unknown = applied.Except(db.Database.GetMigrations()).ToList();
        if (unknown.Count > 0)
        {
            throw new StartupException(
                $"The database {name} has migrations this build does not know ({string.Join(", ", unknown)}): " +
                "a newer version of the service migrated it. Run that version, or restore a backup taken before it (make restore).");
        }

        var pending = db.Database.GetMigrations().Except(applied).ToList();
        if (pending.Count > 0) // a restart on an up-to-date database skips EF Core's migration machinery (~50 ms)
        {
            await db.Database.MigrateAsync(cancellationToken);
        }

        LogReady(name, pending.Count, pending.Count == 0 ? "none" : string.Join(", ", pending));
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Database {Name} is ready; migrations applied now: {Count} ({Names}).")]
    private partial void LogReady(string name, int count, string names);
}
