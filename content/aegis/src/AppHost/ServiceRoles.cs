using Microsoft.Extensions.DependencyInjection;

namespace AegisApp.AppHost;

/// <summary>
/// The service's project as resources, one per role it runs (<c>APP_ROLE</c>), and dashboard commands that run a
/// one-shot role (migrate, backup) again on demand.
/// </summary>
public static class ServiceRoles
{
    public static IResourceBuilder<ProjectResource> AddRole(this IDistributedApplicationBuilder builder, string role) =>
        builder.AddProject<Projects.Api>(role).WithEnvironment("APP_ROLE", role);

    /// <summary>A command on <paramref name="service"/> that starts <paramref name="oneShot"/> and reports how it exited.</summary>
    public static IResourceBuilder<ProjectResource> WithRunCommand(this IResourceBuilder<ProjectResource> service,
        IResourceBuilder<ProjectResource> oneShot, string displayName, string description) =>
        service.WithCommand(oneShot.Resource.Name, displayName, context => RunAsync(oneShot.Resource, context),
            new CommandOptions { Description = description, IconName = "Play" });

    private static async Task<ExecuteCommandResult> RunAsync(IResource oneShot, ExecuteCommandContext context)
    {
        var requested = DateTime.UtcNow;
        var started = await context.Services.GetRequiredService<ResourceCommandService>()
            .ExecuteCommandAsync(oneShot, KnownResourceCommands.StartCommand, context.CancellationToken);
        if (!started.Success)
        {
            return started;
        }

        var ended = await context.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceAsync(oneShot.Name,
            e => e.Snapshot.StopTimeStamp >= requested && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
            context.CancellationToken);
        return ended.Snapshot.ExitCode == 0
            ? CommandResults.Success($"{oneShot.Name} finished; its console log says what it did.")
            : CommandResults.Failure($"{oneShot.Name} exited with code {ended.Snapshot.ExitCode}; its console log says why.");
    }
}
