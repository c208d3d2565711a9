using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace my_project.AppHost.Tests;

/// <summary>Each resource of the AppHost reaches the state the dashboard should show it in.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ResourceTests(RunningAppHost appHost)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    private static readonly string[] Running = ["postgres", "database", "api", "scheduler"];

    public static TheoryData<string> LongRunning => new(Running);

    [Theory]
    [MemberData(nameof(LongRunning))]
    public async Task Resource_becomes_healthy(string resource)
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var healthy = await (await appHost.AppAsync()).ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);

        Assert.Equal(HealthStatus.Healthy, healthy.Snapshot.HealthStatus);
    }

    [Fact]
    public async Task Migrate_completes()
    {
        using var timeout = new CancellationTokenSource(Timeout);

        var ended = await (await appHost.AppAsync()).ResourceNotifications.WaitForResourceAsync("migrate",
            e => KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), timeout.Token);

        Assert.Equal((KnownResourceStates.Finished, 0), (ended.Snapshot.State?.Text, ended.Snapshot.ExitCode));
    }

    // A resource added to the AppHost needs a test above.
    [Fact]
    public async Task Every_resource_the_dashboard_shows_is_tested()
    {
        var app = await appHost.AppAsync();

        var shown = app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is not ParameterResource && !(app.ResourceNotifications.TryGetCurrentState(r.Name, out var state) && state.Snapshot.IsHidden))
            .Select(r => r.Name);

        Assert.Equal(Running.Append("migrate").Order(StringComparer.Ordinal), shown.Order(StringComparer.Ordinal));
    }
}
