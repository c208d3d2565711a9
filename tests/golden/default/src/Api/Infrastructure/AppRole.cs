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

    public static AppRole GetAppRole(this IConfiguration configuration) => configuration[Key]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "all" => AppRole.All,
        "api" => AppRole.Api,
        "scheduler" => AppRole.Scheduler,
        _ => throw new StartupException(
            $"{Key} '{configuration[Key]}' is not a role. Set it to all (API and scheduler in one process, the default), api or scheduler."),
    };

    public static bool ServesApi(this AppRole role) => role is AppRole.All or AppRole.Api;

    public static bool RunsScheduler(this AppRole role) => role is AppRole.All or AppRole.Scheduler;
}
