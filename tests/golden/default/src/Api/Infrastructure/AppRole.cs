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
}

public static class AppRoles
{
    public const string Key = "APP_ROLE";

    private static readonly string Roles = string.Join(", ", Enum.GetNames<AppRole>()).ToLowerInvariant();

    public static AppRole GetAppRole(this IConfiguration configuration) => configuration[Key]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "all" => AppRole.All,
        "api" => AppRole.Api,
        "scheduler" => AppRole.Scheduler,
        _ => throw new StartupException(
            $"{Key} '{configuration[Key]}' is not a role. Set it to one of {Roles}; unset means all (the API and the scheduler in one process)."),
    };

    public static bool ServesApi(this AppRole role) => role is AppRole.All or AppRole.Api;

    public static bool RunsScheduler(this AppRole role) => role is AppRole.All or AppRole.Scheduler;
}
