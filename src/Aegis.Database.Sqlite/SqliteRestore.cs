using Microsoft.Data.Sqlite;

namespace Aegis.Database.Sqlite;

/// <summary>
/// Backups by hand and restores, as the service's own one-shot roles so that they need neither <c>make</c> nor the
/// <c>sqlite3</c> shell: <c>APP_ROLE=backup</c> (<c>make backup</c>) while the service runs, and <c>APP_ROLE=restore</c>
/// with <c>RESTORE_FILE</c> (<c>make restore file=…</c>) while it is stopped. A restore first keeps the database as it
/// was, as <c>app-&lt;UTC time&gt;-before-restore.db</c>, so that it can be undone.
/// </summary>
internal sealed class SqliteRestore(SqliteProvider provider, BackupJob backups, AegisDatabaseSettings settings) : IDatabaseRestore
{
    private SqliteDatabase database => provider.Database;

    private const string FileKey = IDatabaseRestore.FileKey;

    /// <summary>Takes a copy that no pruning deletes, <c>app-&lt;UTC time&gt;-manual.db</c>; returns its path.</summary>
    /// <exception cref="StartupException">There is no database to back up, or it could not be copied; nothing was written.</exception>
    public async Task<string> BackUpByHandAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(database.File))
        {
            throw new StartupException($"There is no database at {database.File} to back up; nothing was written.");
        }

        try
        {
            return await backups.KeepCopyAsync("manual", cancellationToken);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"Nothing was backed up from {database.File}: {e.Message}", e);
        }
    }

    /// <summary>Puts <paramref name="backup"/> (relative to the project root) in place of the database; returns what it did.</summary>
    /// <exception cref="StartupException">Nothing was restored: why, and what to do.</exception>
    public async Task<string> RestoreAsync(string? backup, CancellationToken cancellationToken)
    {
        var file = string.IsNullOrWhiteSpace(backup)
            ? throw new StartupException($"{FileKey} names no backup: name one of {backups.Folder}, e.g. make restore file=data/backups/<name>.db.")
            : Path.GetFullPath(Path.Combine(settings.RootPath!, backup));
        var problem = !File.Exists(file) ? "there is no such file"
            : !file.EndsWith(".db", StringComparison.Ordinal) ? "it is not a finished backup (their names end in .db)"
            : IntegrityOf(file) is var integrity and not "ok" ? $"it fails PRAGMA integrity_check ({integrity})"
            : null;
        if (problem is not null)
        {
            throw new StartupException($"Nothing was restored from {file}: {problem}.");
        }

        // Exclusive: a running instance holds the same lock shared, and one that starts meanwhile waits for this.
        FileStream exclusive;
        try
        {
            exclusive = new FileStream(database.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new StartupException($"Nothing was restored: the service is running (it holds {database.LockFile}). Stop it, then restore again.", e);
        }

        using (exclusive)
        {
            var before = File.Exists(database.File) ? await backups.KeepCopyAsync("before-restore", cancellationToken) : null;
            using (var source = Open(file, SqliteOpenMode.ReadOnly))
            using (var target = Open(database.File, SqliteOpenMode.ReadWriteCreate))
            {
                source.BackupDatabase(target); // SQLite's backup API: page by page, through the target's journal
            }

            return $"Restored {database.File} from {file}" + (before is null ? "." : $"; the database as it was is {before}.");
        }
    }

    private static string IntegrityOf(string file)
    {
        try
        {
            using var connection = Open(file, SqliteOpenMode.ReadOnly);
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            return command.ExecuteScalar() as string ?? "no answer";
        }
        catch (SqliteException e)
        {
            return e.Message;
        }
    }

    // Unpooled, so that no connection to either file outlives the restore.
    private static SqliteConnection Open(string file, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = mode, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
