using System.Diagnostics;
using System.Xml.Linq;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Aegis.Templates.Tests;

/// <summary>
/// A PostgreSQL <c>--aspire</c> project's own tests as a developer with Podman and no <c>TEST_DATABASE_URL</c> runs them:
/// the AppHost drives podman (<c>ASPIRE_CONTAINER_RUNTIME=podman</c>), and the API tests start their throwaway server
/// with Testcontainers through podman's Docker-compatible socket (<c>DOCKER_HOST</c>). Both find the stand-in image
/// (<see cref="Podman"/>) under the name they ask for, <c>postgres:17</c>.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class AspireContainerTests(TemplatePack pack, Podman podman, ITestOutputHelper output) : IClassFixture<Podman>
{
    private static readonly string[] Options = ["--db-provider", "postgres", "--aspire"];

    private static readonly string TestNamespace = TemplatePack.ProjectName.Replace('-', '_');

    private readonly Stopwatch watch = Stopwatch.StartNew();

    /// <summary>
    /// The AppHost's tests start postgres, wait for migrate to complete and for every other resource, scheduler
    /// included, to be healthy, each in a test of its own; the API tests run on a server Testcontainers started.
    /// </summary>
    [PodmanFact]
    public async Task Postgres_aspire_project_starts_postgres_on_podman_and_migrate_then_api_and_its_tests_pass()
    {
        Log(podman.StandIns);
        var project = await pack.BuiltAsync(Options);
        Log("built");
        var environment = new Dictionary<string, string?>(podman.Environment)
        {
            ["ASPIRE_CONTAINER_RUNTIME"] = "podman",
            ["TEST_DATABASE_URL"] = null, // so the API tests start their own server
            // Ryuk, Testcontainers' reaper, is one more image that no registry here serves; the tests remove their server.
            ["TESTCONTAINERS_RYUK_DISABLED"] = "true",
        };

        // Each test project's results file names the tests that passed (no second run to list them).
        var results = pack.NewFolder("aspire-results");
        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false", "--logger", "trx", "--results-directory", results],
            project, environment, timeout: TimeSpan.FromMinutes(8));
        Log("tested");

        var all = TestSummary.Of(result);
        Assert.Equal((0, 0), (all.Failed, all.Skipped));
        Assert.True(TestSummary.Of(result, "Api.Tests.dll").Passed >= 30, result.ToString());
        var passed = Directory.GetFiles(results, "*.trx").SelectMany(file => XDocument.Load(file).Descendants())
            .Where(e => e.Name.LocalName == "UnitTestResult" && (string?)e.Attribute("outcome") == "Passed")
            .Select(e => (string?)e.Attribute("testName") ?? "").ToList();
        Assert.Equal(all.Passed, passed.Count);
        string[] resourceTests =
        [
            .. new[] { "postgres", "database", "api", "scheduler" }.Select(resource => $"Resource_becomes_healthy(resource: \"{resource}\")"),
            "Migrate_completes",
            "Every_resource_the_dashboard_shows_is_tested",
        ];
        Assert.All(resourceTests, test => Assert.Contains($"{TestNamespace}.AppHost.Tests.ResourceTests.{test}", passed));
        Assert.Equal("", (await podman.RunAsync(["ps", "--all", "--quiet", "--filter", "label=org.testcontainers"])).StandardOutput.Trim());
    }

    /// <summary>
    /// Without <c>TEST_DATABASE_URL</c> and any container runtime, the API tests that need a server fail, saying what to
    /// set. Where the container tests run there is no Docker daemon: podman serves only the socket they start.
    /// </summary>
    [PodmanFact]
    public async Task Postgres_api_tests_fail_naming_what_to_set_when_there_is_no_server_and_no_container_runtime()
    {
        var project = await pack.BuiltAsync(Options);
        var nowhere = Path.Combine(pack.NewFolder("no-docker"), "docker.sock");
        var environment = new Dictionary<string, string?> { ["TEST_DATABASE_URL"] = null, ["DOCKER_HOST"] = $"unix://{nowhere}" };

        var result = await Shell.RunAsync("dotnet", ["test", "tests/Api.Tests", "--no-build", "-nodeReuse:false"], project, environment,
            check: false, timeout: TimeSpan.FromMinutes(5));

        var summary = TestSummary.Of(result);
        Assert.Equal((0, 0), (summary.Passed, summary.Skipped));
        Assert.True(summary.Failed >= 30, summary.ToString());
        Assert.Contains("No PostgreSQL server to test against: set TEST_DATABASE_URL", result.StandardOutput);
        Assert.Contains("or start Docker or Podman (with DOCKER_HOST naming its socket)", result.StandardOutput);
    }

    private void Log(string step) => output.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  {step}");
}
