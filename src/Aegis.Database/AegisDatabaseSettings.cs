namespace Aegis.Database;

/// <summary>
/// Which of the database component's behaviours run, read from the configuration section <c>Aegis:Database</c> and
/// then from the callback passed to <c>AddSqliteDatabase</c> or <c>AddPostgresDatabase</c> (the last wins). Every
/// switch defaults to false, so an empty section turns everything on. The database itself and its schedule are set
/// by the flat settings the service's operators use: <c>DATABASE_URL</c>, <c>MIGRATE_ON_START</c>,
/// <c>BACKUP_SCHEDULE</c>, <c>BACKUP_KEEP</c> and <c>BACKUP_FOLDER</c>.
/// </summary>
public sealed class AegisDatabaseSettings
{
    /// <summary>The configuration section the settings are bound from.</summary>
    public const string SectionName = "Aegis:Database";

    /// <summary>
    /// The folder that relative paths (a SQLite file in <c>DATABASE_URL</c>, <c>BACKUP_FOLDER</c>, <c>RESTORE_FILE</c>)
    /// are resolved against.
    /// </summary>
    /// <value>
    /// The default value is null: the folder of the solution file above the app's binaries (so that <c>dotnet run</c>,
    /// an IDE and <c>dotnet App.dll</c> all find <c>data/</c> beside it), or the host's content root where there is none,
    /// as in a container.
    /// </value>
    public string? RootPath { get; set; }

    /// <summary>Whether the API and scheduler leave the migrations to <c>APP_ROLE=migrate</c>, as <c>MIGRATE_ON_START=false</c> does.</summary>
    /// <value>The default value is false.</value>
    public bool DisableMigrationsOnStart { get; set; }

    /// <summary>Whether the scheduled backups, and their health check, are left out. Backups by hand still work.</summary>
    /// <value>The default value is false.</value>
    public bool DisableBackups { get; set; }

    /// <summary>Whether the in-process scheduler is left out, so that no <see cref="IScheduledJob"/> runs, backups included.</summary>
    /// <value>The default value is false.</value>
    public bool DisableScheduler { get; set; }

    /// <summary>Whether database faults stay 500s instead of becoming 409 (a lost race) and 503 (no writes) problems.</summary>
    /// <value>The default value is false.</value>
    public bool DisableFaultMapping { get; set; }

    /// <summary>Whether the <c>database</c>, <c>database-writes</c> and <c>database-backups</c> health checks are left out.</summary>
    /// <value>The default value is false.</value>
    public bool DisableHealthChecks { get; set; }
}
