using Cronos;

namespace Aegis.Database;

/// <summary>
/// When the database is backed up (<c>BACKUP_SCHEDULE</c>, cron, UTC), how many copies are kept (<c>BACKUP_KEEP</c>) and
/// where (<c>BACKUP_FOLDER</c>, relative to the root; unset: the provider's data/backups). Read here rather than
/// bound by the options binder, which refuses an empty value for a number, and the compose file passes an unset one so.
/// </summary>
internal sealed record BackupOptions(CronExpression Schedule, int Keep, string? Folder = null)
{
    public const string ScheduleKey = "BACKUP_SCHEDULE";
    public const string KeepKey = "BACKUP_KEEP";
    public const string FolderKey = "BACKUP_FOLDER";
    public const string DefaultSchedule = "0 3 * * *";
    public const int DefaultKeep = 7;

    /// <exception cref="StartupException">A value is not a cron expression or a positive whole number.</exception>
    public static BackupOptions FromConfiguration(IConfiguration configuration, string root)
    {
        var schedule = configuration[ScheduleKey] is { Length: > 0 } text ? text : DefaultSchedule;
        if (!CronExpression.TryParse(schedule, out var cron))
        {
            throw new StartupException(
                $"{ScheduleKey} '{schedule}' is not a cron expression. Use five fields in UTC, e.g. {ScheduleKey}={DefaultSchedule} (daily at 03:00).");
        }

        var keepText = configuration[KeepKey];
        var keep = DefaultKeep;
        if (!string.IsNullOrEmpty(keepText) && (!int.TryParse(keepText, out keep) || keep < 1))
        {
            throw new StartupException(
                $"{KeepKey} '{keepText}' is not a number of backups to keep. Set it to a whole number of at least 1, e.g. {KeepKey}={DefaultKeep}.");
        }

        var folder = configuration[FolderKey] is { Length: > 0 } path ? Path.GetFullPath(Path.Combine(root, path)) : null;
        return new BackupOptions(cron, keep, folder);
    }
}
