using my_project.Api.Scheduling;
using Cronos;
using Microsoft.Data.Sqlite;

namespace my_project.Api.Database;

/// <summary>
/// Copies the live database to <c>data/backups/app-&lt;UTC time&gt;.db</c> with SQLite's online backup API, which gives a
/// consistent snapshot while writers carry on (copying the file would not: the WAL holds recent commits), then keeps
/// the newest <c>BACKUP_KEEP</c> copies. <c>make restore file=…</c> puts one back.
/// </summary>
public sealed class SqliteBackupJob(SqliteDatabase database, BackupOptions options, TimeProvider time) : IScheduledJob
{
    public string Name => "sqlite-backup";

    public CronExpression Schedule => options.Schedule;

    public Task RunAsync(CancellationToken cancellationToken) => BackUpAsync(cancellationToken);

    /// <summary>Takes one backup now and prunes old ones; returns the new file's path.</summary>
    public async Task<string> BackUpAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(database.BackupFolder);
        var name = $"{Path.GetFileNameWithoutExtension(database.File)}-{time.GetUtcNow():yyyyMMdd'T'HHmmssfff'Z'}.db";
        var target = Path.Combine(database.BackupFolder, name);
        var partial = target + ".partial"; // never mistaken for a finished backup if the process dies mid-copy

        await using (var source = new SqliteConnection(database.ConnectionString))
        await using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = partial, Pooling = false }.ToString()))
        {
            await source.OpenAsync(cancellationToken);
            await Task.Run(() => source.BackupDatabase(destination), cancellationToken);
        }

        File.Move(partial, target);
        Prune();
        return target;
    }

    private void Prune()
    {
        var pattern = $"{Path.GetFileNameWithoutExtension(database.File)}-*.db";
        foreach (var old in Directory.GetFiles(database.BackupFolder, pattern).OrderDescending(StringComparer.Ordinal).Skip(options.Keep))
        {
            File.Delete(old);
        }
    }
}
