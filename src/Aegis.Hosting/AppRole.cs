namespace Aegis.Hosting;

/// <summary>
/// What this process runs, from <c>APP_ROLE</c>: <c>all</c> (the default: everything in one process), <c>api</c> (the
/// HTTP endpoints only) or <c>scheduler</c> (the scheduled jobs only), so that one image can run as separate containers;
/// or one of the database's one-shot roles (migrate, backup, restore), which do their work and exit.
/// </summary>
public enum AppRole
{
    /// <summary>The HTTP endpoints and the scheduled jobs, in one process: the default.</summary>
    All,

    /// <summary>The HTTP endpoints only.</summary>
    Api,

    /// <summary>The scheduled jobs only.</summary>
    Scheduler,

    /// <summary>Applies the database's pending migrations, then exits: the step before the others start.</summary>
    Migrate,

    /// <summary>Takes a backup that no pruning deletes (<c>make backup</c>), then exits; the service may be running.</summary>
    Backup,

    /// <summary>Puts back the backup <c>RESTORE_FILE</c> names (<c>make restore</c>), then exits; the service must be stopped.</summary>
    Restore,
}

/// <summary>Reads <see cref="AppRole"/> from configuration, and says what each role runs.</summary>
public static class AppRoles
{
    /// <summary>The setting that names the role: <c>APP_ROLE</c>.</summary>
    public const string Key = "APP_ROLE";

    private static readonly string Roles = string.Join(", ", Enum.GetNames<AppRole>()).ToLowerInvariant();

    /// <summary>The role <c>APP_ROLE</c> names; unset means <see cref="AppRole.All"/>.</summary>
    /// <exception cref="StartupException">The value names no role; the message lists them.</exception>
    public static AppRole GetAppRole(this IConfiguration configuration) => configuration[Key]?.Trim() switch
    {
        null or "" => AppRole.All,
        var name when char.IsAsciiLetter(name[0]) && Enum.TryParse<AppRole>(name, ignoreCase: true, out var role) => role,
        _ => throw new StartupException(
            $"{Key} '{configuration[Key]}' is not a role. Set it to one of {Roles}; unset means all (the API and the scheduler in one process)."),
    };

    /// <summary>Whether the role serves the HTTP endpoints.</summary>
    public static bool ServesApi(this AppRole role) => role is AppRole.All or AppRole.Api;

    /// <summary>Whether the role runs the scheduled jobs.</summary>
    public static bool RunsScheduler(this AppRole role) => role is AppRole.All or AppRole.Scheduler;

    /// <summary>Whether the role does one thing without the server or the scheduler, then exits (migrate, …).</summary>
    public static bool RunsOnce(this AppRole role) => role is not (AppRole.All or AppRole.Api or AppRole.Scheduler);
}
