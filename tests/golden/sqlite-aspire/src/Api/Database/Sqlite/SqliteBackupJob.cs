using System.Diagnostics;
using System.Globalization;
using my_project.Api.Scheduling;
using Cronos;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace my_project.Api.Database;

/// <summary>
/// Copies the live database to <c>data/backups/app-&lt;UTC time&gt;.db</c> with <c>VACUUM INTO</c>, then keeps the
/// newest <c>BACKUP_KEEP</c> of these scheduled copies. A copy taken by hand (<c>make backup</c>,
/// <c>app-&lt;UTC time&gt;-manual.db</c>) stays until you delete it. <c>make restore file=…</c> puts one back.
/// </summary>
/// <remarks>
/// <c>VACUUM INTO</c> writes a consistent snapshot from one read transaction while writers carry on (the backup API
/// starts over after every write; a file copy misses the commits in the WAL). The copy is written as
/// <c>….db.partial</c> and renamed when complete, so a failed or killed run leaves nothing that prune or restore would
/// take for a backup; the next run deletes what a killed one left.
/// </remarks>
public sealed class SqliteBackupJob(SqliteDatabase database, BackupOptions options, TimeProvider time, DatabaseTelemetry telemetry) : IScheduledJob
{
    private const string Unfinished = ".partial";
    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    /// <summary>Seconds a backup waits for a database another connection holds locked (the service's busy_timeout).</summary>
    private const int LockedAttempts = 30;

    public string Name => "sqlite-backup";

    public CronExpression Schedule => options.Schedule;

    public Task RunAsync(CancellationToken cancellationToken) => BackUpAsync(cancellationToken);

    private string Stem => Path.GetFileNameWithoutExtension(database.File);

    /// <summary>Takes one scheduled backup now and prunes old ones; returns its path. Measured in <c>aegis.database.backup.*</c>.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; no file was left behind.</exception>
    public async Task<string> BackUpAsync(CancellationToken cancellationToken = default)
    {
        var backup = await CopyMeasuredAsync("", cancellationToken);
        Prune();
        return backup;
    }

    /// <summary>
    /// Takes a copy named <c>app-&lt;UTC time&gt;-&lt;<paramref name="kind"/>&gt;.db</c> that no pruning deletes (a backup
    /// by hand, or the database as it was before a restore); returns its path.
    /// </summary>
    public Task<string> KeepCopyAsync(string kind, CancellationToken cancellationToken = default) => CopyMeasuredAsync("-" + kind, cancellationToken);

    private async Task<string> CopyMeasuredAsync(string suffix, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string backup;
        try
        {
            backup = await CopyAsync(suffix, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            telemetry.BackupFailed();
            throw;
        }

        telemetry.BackupSucceeded(Stopwatch.GetElapsedTime(started), time.GetUtcNow());
        return backup;
    }

    private async Task<string> CopyAsync(string suffix, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(database.BackupFolder);
        DeleteAbandonedCopies();
        var target = Path.Combine(database.BackupFolder, $"{Stem}-{time.GetUtcNow().ToString(TimeFormat, CultureInfo.InvariantCulture)}{suffix}.db");
        var partial = target + Unfinished;

        // Held open while it is written, so another instance's clean-up can tell it from an abandoned copy.
        var held = new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            await using (held)
            {
                await Task.Run(() => CopyTo(partial, cancellationToken), cancellationToken);
                held.Flush(flushToDisk: true); // SQLite does not promise to sync VACUUM INTO's output
            }

            File.Move(partial, target);
        }
        catch
        {
            DeleteCopy(partial);
            cancellationToken.ThrowIfCancellationRequested(); // an interrupted copy is a cancellation, not a failure
            throw;
        }

        return target;
    }

    private void CopyTo(string file, CancellationToken cancellationToken)
    {
        // Unpooled: the interrupt below must never reach a connection that is back in the pool serving someone else.
        using var source = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ToString());
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

    // Scheduled copies only: app-<UTC time>.db, and nothing with a suffix.
    private void Prune()
    {
        var scheduled = Directory.GetFiles(database.BackupFolder, $"{Stem}-*.db")
            .Where(file => DateTime.TryParseExact(Path.GetFileNameWithoutExtension(file)[(Stem.Length + 1)..], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        foreach (var old in scheduled.OrderDescending(StringComparer.Ordinal).Skip(options.Keep))
        {
            File.Delete(old);
        }
    }

    // A killed run leaves its .partial copy (and SQLite's -journal beside it); a copy still being written by another
    // instance sharing the folder is held open by its writer and stays.
    private void DeleteAbandonedCopies()
    {
        foreach (var partial in Directory.GetFiles(database.BackupFolder, $"{Stem}-*.db{Unfinished}").Where(partial => !IsBeingWritten(partial)))
        {
            DeleteCopy(partial);
        }
    }

    private static bool IsBeingWritten(string partial)
    {
        try
        {
            using var exclusive = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            return true;
        }
    }

    private static void DeleteCopy(string partial)
    {
        File.Delete(partial);
        File.Delete(partial + "-journal");
    }
}
