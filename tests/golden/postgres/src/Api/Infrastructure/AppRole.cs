namespace my_project.Api.Infrastructure;

/// <summary>
/// What this process runs, from <c>APP_ROLE</c>: <c>all</c> (the default: everything in one process), <c>api</c> (the
/// HTTP endpoints only) or <c>scheduler</c> (the scheduled jobs only), so that one image can run as separate containers.
/// </summary>
public enum AppRole
{
    All,
    Api,
    Scheduler,

    /// <summary>Applies the database's pending migrations, then exits: the step before the others start.</summary>
    Migrate,

    /// <summary>Takes a backup that no pruning deletes (<c>make backup</c>), then exits; the service may be running.</summary>
    Backup,

    /// <summary>Puts back the backup <c>RESTORE_FILE</c> names (<c>make restore</c>), then exits; the service must be stopped.</summary>
    Restore,
}

public static class AppRoles
{
    public const string Key = "APP_ROLE";

    private static readonly string Roles = string.Join(", ", Enum.GetNames<AppRole>()).ToLowerInvariant();

    public static AppRole GetAppRole(this IConfiguration configuration) => configuration[Key]?.Trim() switch
    {
        null or "" => AppRole.All,
        var name when char.IsAsciiLetter(name[0]) && Enum.TryParse<AppRole>(name, ignoreCase: true, out var role) => role,
        _ => throw new StartupException(
            $"{Key} '{configuration[Key]}' is not a role. Set it to one of {Roles}; unset means all (the API and the scheduler in one process)."),
    };

    public static bool ServesApi(this AppRole role) => role is AppRole.All or AppRole.Api;

    public static bool RunsScheduler(this AppRole role) => role is AppRole.All or AppRole.Scheduler;

    /// <summary>Whether the role does one thing without the server or the scheduler, then exits (migrate, …).</summary>
    public static bool RunsOnce(this AppRole role) => role is not (AppRole.All or AppRole.Api or AppRole.Scheduler);
}
