using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace Aegis.Database.Sqlite;

/// <summary>
/// What the shared machinery asks of SQLite: EF Core on <see cref="SqliteDatabase"/>'s file, marked in use and put in
/// WAL mode at start-up, and SQLite's errors told apart.
/// </summary>
internal sealed class SqliteProvider(Func<SqliteDatabase> findDatabase) : DatabaseProvider
{
    private readonly Lazy<SqliteDatabase> database = new(findDatabase);
    private FileStream? inUse;

    /// <summary>The file: known at once from <c>DATABASE_URL</c>, or, for a context the application configured, read from its connection string when first needed.</summary>
    public SqliteDatabase Database => database.Value;

    public override string DisplayName => Database.File;

    /// <summary>data/backups/app-&lt;UTC time&gt;.db beside data/app.db.</summary>
    public override string BackupFolder => Database.BackupFolder;

    public override string BackupName => Path.GetFileNameWithoutExtension(Database.File);

    public override string BackupExtension => ".db";

    /// <summary>Seconds a backup waits for a database another connection holds locked (the service's busy_timeout).</summary>
    private const int LockedAttempts = 30;

    public override void Configure(DbContextOptionsBuilder options) => options.UseSqlite(Database.ConnectionString);

    /// <summary>
    /// Marks the file in use (<c>make restore</c> refuses while the service runs) and puts it in WAL mode, so readers never
    /// wait for the writer; returns whether it exists. A missing file is created only if <paramref name="create"/>.
    /// </summary>
    public override async Task<bool> PrepareAsync(DbContext db, bool create, CancellationToken cancellationToken)
    {
        if (!create && !File.Exists(Database.File))
        {
            return false;
        }

        inUse ??= HoldInUseLock();
        await db.Database.OpenConnectionAsync(cancellationToken); // creates the file, in WAL mode (ConnectionSettings)
        await db.Database.CloseConnectionAsync();
        return true;
    }

    // EF Core's migration lock on SQLite is held for the whole run.
    public override Task MigrateAsync(DbContext db, CancellationToken cancellationToken) => db.Database.MigrateAsync(cancellationToken);

    public override string? DescribeStorageFault(Exception exception) => (exception as SqliteException)?.SqliteErrorCode switch
    {
        raw.SQLITE_FULL => "The database's disk is full: free space on it, and writes resume by themselves.",
        raw.SQLITE_READONLY => "The database cannot be written: its file or folder is read-only.",
        raw.SQLITE_IOERR => "The database's disk cannot be written (an I/O error).",
        _ => null,
    };

    public override string? LockErrorOf(Exception exception) => (exception as SqliteException)?.SqliteErrorCode switch
    {
        raw.SQLITE_BUSY => "busy", // another connection (another process, or the sqlite3 shell) held the write lock
        raw.SQLITE_LOCKED => "locked", // a conflict inside one connection, e.g. a table dropped while it is read
        _ => null,
    };

    /// <summary>
    /// Writes a copy of the database to the new file <paramref name="path"/> with <c>VACUUM INTO</c>: a consistent snapshot
    /// from one read transaction while writers carry on (the backup API starts over after every write; a file copy misses
    /// the commits in the WAL).
    /// </summary>
    public override Task WriteBackupAsync(string path, FileStream file, CancellationToken cancellationToken) =>
        Task.Run(() => VacuumInto(path, cancellationToken), cancellationToken);

    public override void Dispose()
    {
        inUse?.Dispose();
        inUse = null;
    }

    private void VacuumInto(string file, CancellationToken cancellationToken)
    {
        // Unpooled: the interrupt below must never reach a connection that is back in the pool serving someone else.
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder(Database.ConnectionString) { Pooling = false }.ToString());
        source.Open();
        using var interrupt = cancellationToken.Register(() => raw.sqlite3_interrupt(source.Handle));
        using var command = source.CreateCommand();
        command.CommandText = "VACUUM INTO $file;";
        command.Parameters.AddWithValue("$file", file);

        // Microsoft.Data.Sqlite retries a busy or locked database for CommandTimeout seconds without looking at the
        // token (and an interrupt between its retries is lost), so retry a second at a time here, checking it between.
        command.CommandTimeout = 1;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                command.ExecuteNonQuery();
                return;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED
                && attempt < LockedAttempts && !cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    // A shared lock: any number of instances may hold it at once; `make restore` needs it exclusively.
    private FileStream HoldInUseLock()
    {
        try
        {
            return new FileStream(Database.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new StartupException(
                $"{Database.File} is being restored (a restore holds {Database.LockFile}); start the service when it has finished.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{Database.File} cannot be used: its lock file cannot be created ({e.Message}).", e);
        }
    }

    /// <summary>
    /// SQLite settings that belong to a connection, applied once per native connection (which Microsoft.Data.Sqlite
    /// pools and reopens for many requests) rather than on every open. <c>journal_mode = WAL</c> (kept by the file once
    /// set): readers never wait for the writer. <c>synchronous = NORMAL</c>: under WAL a commit
    /// survives a crash of the service, and only the last ones can be lost on power failure, for one fsync per checkpoint
    /// instead of per commit. <c>busy_timeout</c>: wait up to 30 s for another process's lock. <c>foreign_keys</c>:
    /// SQLite enforces them only when asked, connection by connection.
    /// </summary>
    internal sealed class ConnectionSettings : DbConnectionInterceptor
    {
        private static readonly ConditionalWeakTable<sqlite3, object> Configured = new(); // an entry goes with its connection

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            if (Configured.TryAdd(((SqliteConnection)connection).Handle!, new object()))
            {
                using var command = connection.CreateCommand();
                command.CommandText = $"PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = {SqliteDatabase.BusyTimeoutSeconds * 1000}; PRAGMA foreign_keys = ON;";
                command.ExecuteNonQuery();
            }
        }

        // Microsoft.Data.Sqlite runs its asynchronous calls synchronously too.
        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            ConnectionOpened(connection, eventData);
            return Task.CompletedTask;
        }
    }
}
