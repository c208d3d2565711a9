using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Aegis.Templates.Tests;

/// <summary><c>make aspire</c> as a user runs it: the AppHost, the Aspire dashboard, and the service under it.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class AspireTests(TemplatePack pack, ITestOutputHelper output)
{
    private const string Dashboard = "http://localhost:18888"; // the AppHost's launch profile
    private static readonly TimeSpan TelemetryWait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan HalfASecond = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Make_aspire_serves_the_api_whose_traces_and_metrics_reach_the_dashboard_and_stopping_it_leaves_nothing_running()
    {
        var project = await pack.BuiltAsync("--database", "--aspire");
        var data = pack.NewFolder("aspire-data");
        var environment = new Dictionary<string, string?>
        {
            // The dashboard's telemetry API without the browser login, which a test cannot follow.
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
            ["DATABASE_URL"] = $"sqlite:///{data}/app.db", // the shared project's data/ stays as generated
        };

        await using var aspire = await RunningService.StartAsync(project, "make", ["aspire"], environment);
        using var dashboard = new HttpClient { BaseAddress = new Uri(Dashboard), Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal(HttpStatusCode.OK, (await dashboard.GetAsync("/")).StatusCode);
        var created = await aspire.Http.PostAsJsonAsync("/shields", new { name = "Seen by the dashboard" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.True(File.Exists(Path.Combine(data, "app.db")), "The api did not use the DATABASE_URL that make aspire had.");

        // The dashboard shows telemetry a moment after the service exports it.
        var spans = await Poll.UntilAsync(() => dashboard.GetStringAsync("/api/telemetry/spans?resource=api"), json => json.Contains("POST /shields"),
            TelemetryWait, "a POST /shields span in the dashboard", HalfASecond);
        var resources = await Poll.UntilAsync(() => dashboard.GetStringAsync("/api/telemetry/resources"), json => JsonDocument.Parse(json).RootElement
            .EnumerateArray().Any(resource => resource.GetProperty("name").GetString() == "api" && resource.GetProperty("hasMetrics").GetBoolean()),
            TelemetryWait, "metrics from api in the dashboard", HalfASecond);
        output.WriteLine($"{aspire.Output}\nresources: {resources}\nspans: {spans[..Math.Min(spans.Length, 600)]}");

        await aspire.StopAsync(); // SIGTERM to make and what it started, as Ctrl+C
        // The AppHost stops what it started: the service's processes, the orchestrator (dcp) and the dashboard.
        await Poll.UntilAsync(async () => string.Join('\n', (await Shell.RunAsync("ps", ["-eo", "pid,args"], "/")).StandardOutput.Split('\n')
                .Where(line => line.Contains(project) || line.Contains("Aspire.Dashboard") || line.Contains("aspire.hosting.orchestration"))),
            left => left.Length == 0, ShutdownWait, "nothing of make aspire to be left running", HalfASecond);
    }

    [Fact]
    public async Task Make_resource_grows_the_service_of_an_aspire_project_and_the_whole_solution_builds()
    {
        var project = Path.Combine(pack.NewFolder("aspire-grown"), TemplatePack.ProjectName);
        await Shell.RunAsync("cp", ["-R", await pack.BuiltAsync("--database", "--aspire"), project], pack.WorkRoot);

        await Shell.RunAsync("make", ["resource", "name=Sword"], project, pack.CliEnvironment, timeout: TimeSpan.FromMinutes(5));

        Assert.True(File.Exists(Path.Combine(project, "src/Api/Swords/Sword.cs")));
        Assert.True(File.Exists(Path.Combine(project, "tests/Api.Tests/Swords/SwordsApiTests.cs")));
        Assert.False(Directory.Exists(Path.Combine(project, "src/AppHost/Swords")));
        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
    }
}
