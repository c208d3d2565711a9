using Microsoft.EntityFrameworkCore;

namespace Aegis.Database;

/// <summary>
/// What the shared machinery asks of a provider's package: how EF Core connects, how the database is readied and
/// migrated, how it is copied for a backup, and how its errors are told apart.
/// </summary>
internal abstract class DatabaseProvider : IDisposable
{
    /// <summary>The database as log lines and errors name it.</summary>
    public abstract string DisplayName { get; }

    /// <summary>How an operator gets back a database this build can use.</summary>
    public string RestoreAdvice => "restore a backup taken before it (make restore)";

    /// <summary>Where <see cref="BackupJob"/> keeps copies unless <c>BACKUP_FOLDER</c> says otherwise.</summary>
    public abstract string BackupFolder { get; }

    /// <summary>The stem of a backup's file name.</summary>
    public abstract string BackupName { get; }

    /// <summary>The extension of a backup's file name, with its dot.</summary>
    public abstract string BackupExtension { get; }

    /// <summary>Points <paramref name="options"/> at the database, with the provider's connection settings.</summary>
    public abstract void Configure(DbContextOptionsBuilder options);

    /// <summary>Readies the database for use; returns whether it exists. A missing one is created only if <paramref name="create"/>.</summary>
    public abstract Task<bool> PrepareAsync(DbContext db, bool create, CancellationToken cancellationToken);

    /// <summary>Applies the pending migrations, so that of instances starting together only one applies each.</summary>
    public abstract Task MigrateAsync(DbContext db, CancellationToken cancellationToken);

    /// <summary>The migrations the database has, without failing (or logging a failure) on a database that has none.</summary>
    public virtual async Task<IReadOnlyCollection<string>> GetAppliedMigrationsAsync(DbContext db, CancellationToken cancellationToken) =>
        [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)];

    /// <summary>Writes a consistent copy of the database to <paramref name="path"/>, open as <paramref name="file"/>.</summary>
    public abstract Task WriteBackupAsync(string path, FileStream file, CancellationToken cancellationToken);

    /// <summary>A sentence for operators and clients if <paramref name="exception"/> means the storage cannot take writes.</summary>
    public abstract string? DescribeStorageFault(Exception exception);

    /// <summary>
    /// A sentence for clients if <paramref name="exception"/> means the database server cannot be reached for now (down,
    /// restarting, or the connection to it lost): the request is answered 503 rather than 500.
    /// </summary>
    public virtual string? DescribeOutage(Exception exception) => null;

    /// <summary>The provider's name for the error if <paramref name="exception"/> failed because a lock was not granted.</summary>
    public abstract string? LockErrorOf(Exception exception);

    public virtual void Dispose()
    {
    }
}

/// <summary>Backups by hand and restores: the <c>backup</c> and <c>restore</c> roles.</summary>
internal interface IDatabaseRestore
{
    /// <summary>The setting that names the backup to restore.</summary>
    const string FileKey = "RESTORE_FILE";

    /// <summary>Takes a copy that no pruning deletes; returns its path.</summary>
    /// <exception cref="StartupException">Nothing was backed up: why.</exception>
    Task<string> BackUpByHandAsync(CancellationToken cancellationToken);

    /// <summary>Puts <paramref name="backup"/> (relative to the root) in place of the database; returns what it did.</summary>
    /// <exception cref="StartupException">Nothing was restored: why, and what to do.</exception>
    Task<string> RestoreAsync(string? backup, CancellationToken cancellationToken);
}
