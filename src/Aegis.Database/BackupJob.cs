using System.Diagnostics;
using System.Globalization;
using Cronos;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aegis.Database;

/// <summary>
/// Backs the database up on <c>BACKUP_SCHEDULE</c> to <c>data/backups/&lt;name&gt;-&lt;UTC time&gt;&lt;extension&gt;</c> (the
/// provider writes the copy: SQLite's <c>app-….db</c>, PostgreSQL's <c>&lt;database&gt;-….dump</c>), then keeps the newest
/// <c>BACKUP_KEEP</c> of these scheduled copies. A copy taken by hand (<c>make backup</c>, <c>…-manual</c>) stays until you
/// delete it; <c>make restore file=…</c> puts one back. As a health check, <c>database-backups</c> is Degraded while the
/// last run has failed.
/// </summary>
/// <remarks>
/// The copy is written as <c>….partial</c> and renamed when complete, so a failed or killed run leaves nothing that
/// prune or restore would take for a backup; the next run deletes what a killed one left.
/// </remarks>
internal sealed class BackupJob(DatabaseProvider provider, BackupOptions options, TimeProvider time, DatabaseTelemetry telemetry)
    : IScheduledJob, IHealthCheck
{
    private const string Unfinished = ".partial";
    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    private volatile string? failure;

    public string Name => "database-backup";

    public CronExpression Schedule => options.Schedule;

    public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) => BackUpAsync(cancellationToken);

    /// <summary>Where the copies are: <c>BACKUP_FOLDER</c>, or the provider's data/backups.</summary>
    public string Folder => options.Folder ?? provider.BackupFolder;

    private string Stem => provider.BackupName;

    private string Extension => provider.BackupExtension;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(failure is { } why ? HealthCheckResult.Degraded(why) : HealthCheckResult.Healthy());

    /// <summary>Takes one scheduled backup now and prunes old ones; returns its path. Measured in <c>aegis.database.backup.*</c>.</summary>
    /// <exception cref="OperationCanceledException">Cancelled; no file was left behind.</exception>
    public async Task<string> BackUpAsync(CancellationToken cancellationToken = default)
    {
        var backup = await CopyMeasuredAsync("", cancellationToken);
        Prune();
        return backup;
    }

    /// <summary>
    /// Takes a copy named <c>&lt;name&gt;-&lt;UTC time&gt;-&lt;<paramref name="kind"/>&gt;&lt;extension&gt;</c> that no pruning deletes (a backup
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
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            telemetry.BackupFailed();
            failure = $"The backup at {time.GetUtcNow():u} failed: {e.Message} The scheduler's log says more; it tries again after 1, 5 and 15 minutes.";
            throw;
        }

        failure = null;
        telemetry.BackupSucceeded(Stopwatch.GetElapsedTime(started), time.GetUtcNow());
        return backup;
    }

    private async Task<string> CopyAsync(string suffix, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        DeleteAbandonedCopies();
        var target = Path.Combine(Folder, $"{Stem}-{time.GetUtcNow().ToString(TimeFormat, CultureInfo.InvariantCulture)}{suffix}{Extension}");
        var partial = target + Unfinished;

        // Held open while it is written, so another instance's clean-up can tell it from an abandoned copy.
        var held = new FileStream(partial, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            await using (held)
            {
                await provider.WriteBackupAsync(partial, held, cancellationToken);
                held.Flush(flushToDisk: true); // on disk before the rename makes it a backup
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

    // Scheduled copies only: <name>-<UTC time><extension>, and nothing with a suffix.
    private void Prune()
    {
        var scheduled = Directory.GetFiles(Folder, $"{Stem}-*{Extension}")
            .Where(file => DateTime.TryParseExact(Path.GetFileName(file)[(Stem.Length + 1)..^Extension.Length], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        foreach (var old in scheduled.OrderDescending(StringComparer.Ordinal).Skip(options.Keep))
        {
            File.Delete(old);
        }
    }

    // A killed run leaves its .partial copy (and SQLite's -journal beside it); a copy still being written by another
    // instance sharing the folder is held open by its writer and stays.
    private void DeleteAbandonedCopies()
    {
        foreach (var partial in Directory.GetFiles(Folder, $"{Stem}-*{Extension}{Unfinished}").Where(partial => !IsBeingWritten(partial)))
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
