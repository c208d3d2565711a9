using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Aegis.Templates.Tests;

/// <summary>
/// The generated Dockerfile and compose files, built and run as users run them (<c>docker-compose build</c>,
/// <c>up -d</c>, <c>restart</c>, <c>down</c>), here with podman behind docker-compose and local stand-ins for the base
/// images (<see cref="Podman"/>, <c>Infrastructure/standins.sh</c>). They prove our Dockerfile, compose files, users,
/// volumes, ports and healthchecks; not the real base images' contents.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class ContainerTests(TemplatePack pack, Podman podman, ITestOutputHelper output) : IClassFixture<Podman>
{
    // A host user other than root and other than the image's own app user (1654), so that the test sees HOST_UID obeyed.
    private const string HostUid = "1000";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    private readonly Stopwatch watch = Stopwatch.StartNew();

    [PodmanFact]
    public async Task Sqlite_project_runs_api_and_scheduler_in_one_container_as_the_host_user_with_data_mounted()
    {
        Log(podman.StandIns);
        var project = await pack.GenerateAsync("--database");
        var data = Directory.CreateDirectory(Path.Combine(project, "data")).FullName;
        await Shell.RunAsync("chown", [$"{HostUid}:{HostUid}", data], project);
        var port = RunningService.FreePort();
        var compose = podman.ComposeIn(project, new Dictionary<string, string?>
        {
            ["HOST_UID"] = HostUid,
            ["HOST_GID"] = HostUid,
            ["PORT"] = port.ToString(), // published on 127.0.0.1 by default
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        const string container = TemplatePack.ProjectName; // the compose file's container_name

        try
        {
            await compose.RunAsync(["build"], BuildTimeout);
            Log("build");
            Assert.Equal("1654", (await Inspect("image", $"{TemplatePack.ProjectName}:latest", "{{.Config.User}}")));

            await compose.UpAsync();
            Assert.Equal([container, $"{TemplatePack.ProjectName}_data-owner_1"], await podman.ContainersAsync(TemplatePack.ProjectName));
            Assert.Equal($"{HostUid}:{HostUid}", await Inspect("container", container, "{{.Config.User}}"));
            Assert.Equal(HostUid, (await podman.RunAsync(["exec", container, "id", "-u"])).StandardOutput.Trim());
            Assert.Contains($"127.0.0.1:{port}->8000/tcp", (await podman.RunAsync(["ps", "--format", "{{.Ports}}"])).StandardOutput);
            await podman.WaitHealthyAsync(container);
            await WaitForHttpAsync(http);
            Log("up, healthy");

            var created = await http.PostAsJsonAsync("/shields", new { name = "Dragon Scale", defenseRating = 95 });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("Dragon Scale|95", await Sqlite(project, "SELECT name, defense_rating FROM shield"));
            Assert.Equal(HostUid, (await Shell.RunAsync("stat", ["-c", "%u", Path.Combine(data, "app.db")], project)).StandardOutput.Trim());

            // The scheduler runs in this same container, beside the API.
            var logs = (await podman.RunAsync(["logs", container])).Output;
            Assert.Contains("Scheduler started with 1 job(s)", logs);
            Assert.Contains("Now listening on: http://0.0.0.0:8000", logs);

            await compose.RunAsync("restart");
            await podman.WaitHealthyAsync(container);
            await WaitForHttpAsync(http);
            Assert.Contains("Dragon Scale", await http.GetStringAsync("/shields"));
            Log("restarted");

            await compose.RunAsync("down");
            Assert.Empty(await podman.ContainersAsync(TemplatePack.ProjectName));
            Assert.DoesNotContain($"{TemplatePack.ProjectName}_default", (await podman.RunAsync(["network", "ls", "--format", "{{.Name}}"])).StandardOutput);
            Assert.Equal("Dragon Scale|95", await Sqlite(project, "SELECT name, defense_rating FROM shield"));
            Log("down");

            // A platform such as Cloud Run runs the image with PORT set, and routes to that port.
            var platformPort = RunningService.FreePort();
            await podman.RunAsync(["run", "-d", "--name", $"{container}-platform", "-e", "PORT=8080", "-p", $"127.0.0.1:{platformPort}:8080", $"{TemplatePack.ProjectName}:latest"]);
            try
            {
                using var platform = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{platformPort}"), Timeout = TimeSpan.FromSeconds(10) };
                await WaitForHttpAsync(platform);
                Assert.Contains("Now listening on: http://0.0.0.0:8080", (await podman.RunAsync(["logs", $"{container}-platform"])).Output);
            }
            finally
            {
                await podman.RunAsync(["rm", "--force", $"{container}-platform"], check: false);
            }

            Log("PORT=8080 honoured");

            // A fresh clone, docker compose up without make: no ./data yet (the engine creates it as root) and no
            // HOST_UID, so the service runs as the image's user, and still writes its database there.
            await Shell.RunAsync("rm", ["-rf", data], project);
            var plain = podman.ComposeIn(project, new Dictionary<string, string?> { ["PORT"] = port.ToString() });
            await plain.UpAsync();
            await podman.WaitHealthyAsync(container);
            await WaitForHttpAsync(http);
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/shields", new { name = "Aegis", defenseRating = 99 })).StatusCode);
            Assert.Equal("1654", (await Shell.RunAsync("stat", ["-c", "%u", Path.Combine(data, "app.db")], project)).StandardOutput.Trim());
            await plain.RunAsync("down");
            Log("up without make, on a ./data it made");
        }
        finally
        {
            await CleanUpAsync(compose);
        }
    }

    [PodmanFact]
    public async Task Postgres_project_runs_postgres_api_and_scheduler_and_several_apis_write_rows_psql_reads()
    {
        Log(podman.StandIns);
        var project = await pack.GenerateAsync("--db-provider", "postgres");
        var postgresPort = RunningService.FreePort();
        var variables = new Dictionary<string, string?>
        {
            ["PORT"] = RunningService.FreePort().ToString(),
            ["POSTGRES_PORT"] = postgresPort.ToString(), // the compose file binds it to 127.0.0.1 itself
        };
        var compose = podman.ComposeIn(project, variables);
        var database = $"postgresql://aegis:aegis@127.0.0.1:{postgresPort}/my_project"; // the compose file's defaults
        const string api = $"{TemplatePack.ProjectName}-api", scheduler = $"{TemplatePack.ProjectName}-scheduler";
        const string migrate = $"{TemplatePack.ProjectName}_migrate_1";

        // Several api containers at once: the compose file fixes the api's container_name, which docker compose refuses
        // to scale; the same file without that one line, and publishing on a free port per container, scales.
        var scaledFile = Path.Combine(project, "docker-compose.scaled.yml");
        const string published = "- \"${PUBLISH_ADDRESS:-127.0.0.1}:${PORT:-8000}:8000\"";
        Assert.Contains(published, File.ReadAllText(Path.Combine(project, "docker-compose.yml")));
        File.WriteAllLines(scaledFile, File.ReadAllLines(Path.Combine(project, "docker-compose.yml"))
            .Where(line => line.Trim() != $"container_name: {api}")
            .Select(line => line.Trim() == published ? line.Replace(published, "- \"127.0.0.1::8000\"") : line));
        var scaled = podman.ComposeIn(project, variables, scaledFile);

        try
        {
            await compose.RunAsync(["build"], BuildTimeout);
            Log("build");

            await compose.UpAsync();
            var containers = await podman.ContainersAsync(TemplatePack.ProjectName);
            Assert.Equal([api, scheduler, migrate, $"{TemplatePack.ProjectName}_postgres_1"], containers);
            foreach (var container in containers.Except([migrate]))
            {
                Assert.Equal("running", await Inspect("container", container, "{{.State.Status}}"));
            }

            // The one-shot step migrated the database and exited 0 before api and scheduler started.
            Assert.Equal("exited 0", await Inspect("container", migrate, "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.Contains("migrations applied now: 1", (await podman.RunAsync(["logs", migrate])).Output);

            Assert.Equal("1654", await Inspect("container", api, "{{.Config.User}}"));
            await podman.WaitHealthyAsync(api);
            var port = int.Parse((await compose.RunAsync("port", "api", "8000")).StandardOutput.Trim().Split(':')[^1]);
            using (var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) })
            {
                await WaitForHttpAsync(http);
                Log("up, healthy");
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/shields", new { name = "Tower", defenseRating = 70 })).StatusCode);
            }

            Assert.Equal("Tower|70", await Psql(database, "SELECT name, defense_rating FROM shield"));
            Assert.Contains("Scheduler started", (await podman.RunAsync(["logs", scheduler])).Output);
            Assert.DoesNotContain("Scheduler started", (await podman.RunAsync(["logs", api])).Output);

            await scaled.UpAsync("--scale", "api=3");
            var apis = await podman.ContainersAsync(TemplatePack.ProjectName, "api");
            Assert.Equal(3, apis.Length);
            for (var index = 1; index <= apis.Length; index++)
            {
                await podman.WaitHealthyAsync(apis[index - 1]);
                var address = (await scaled.RunAsync("port", "--index", index.ToString(), "api", "8000")).StandardOutput.Trim();
                using var http = new HttpClient { BaseAddress = new Uri($"http://{address}"), Timeout = TimeSpan.FromSeconds(10) };
                await WaitForHttpAsync(http);
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/shields", new { name = $"via api {index}" })).StatusCode);
            }

            Assert.Equal("4", await Psql(database, "SELECT count(*) FROM shield"));
            Assert.Equal("1", await Psql(database, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
            Log("scaled to 3 apis");

            await scaled.RunAsync("down", "--volumes");
            Assert.Empty(await podman.ContainersAsync(TemplatePack.ProjectName));
            Assert.DoesNotContain($"{TemplatePack.ProjectName}_postgres-data", (await podman.RunAsync(["volume", "ls", "--format", "{{.Name}}"])).StandardOutput);
            Log("down");
        }
        finally
        {
            await CleanUpAsync(scaled);
        }
    }

    private async Task<string> Inspect(string kind, string name, string format) =>
        (await podman.RunAsync([kind, "inspect", "--format", format, name])).StandardOutput.Trim();

    private static async Task<string> Sqlite(string project, string sql) =>
        (await Shell.RunAsync("sqlite3", [Path.Combine(project, "data/app.db"), sql], project)).StandardOutput.Trim();

    private static async Task<string> Psql(string url, string sql) =>
        (await Shell.RunAsync("psql", [url, "-tAc", sql], "/")).StandardOutput.Trim();

    // The host reaches the published port some moments after the healthcheck inside passes (port forwarding).
    private static async Task WaitForHttpAsync(HttpClient http, int attempts = 60)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            try
            {
                using var response = await http.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = new HttpRequestException($"/health answered {(int)response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        throw new XunitException($"{http.BaseAddress}health did not answer 200 from the host after {attempts} attempts: {last?.Message}");
    }

    // The project's containers, network, volumes and image. The stand-ins stay cached, and so do the build's layers
    // (as Docker's layer cache would for a user): an unchanged Dockerfile, project and base image reuse them in the
    // next run, anything changed rebuilds from there; layers older than a week are pruned (Podman.cs).
    private async Task CleanUpAsync(Compose compose)
    {
        var down = await compose.DownAsync();
        await podman.RunAsync(["rmi", "--force", $"{TemplatePack.ProjectName}:latest"], check: false);
        Log(down.ExitCode == 0 ? "cleaned up" : $"cleaning up failed: {down}");
    }

    /// <summary>
    /// The AppHost of a PostgreSQL <c>--aspire</c> project on podman (<c>ASPIRE_CONTAINER_RUNTIME=podman</c>), its server
    /// the stand-in image under the name the AppHost asks for: its tests start postgres, wait for migrate to complete,
    /// then reach a healthy api; the project's other tests run on this run's server as usual.
    /// </summary>
    [PodmanFact]
    public async Task Postgres_aspire_project_starts_postgres_on_podman_and_migrate_then_api_and_its_tests_pass()
    {
        Log(podman.StandIns);
        var project = await pack.BuiltAsync("--db-provider", "postgres", "--aspire");
        Log("built");
        var environment = new Dictionary<string, string?>(podman.Environment)
        {
            ["ASPIRE_CONTAINER_RUNTIME"] = "podman",
            ["TEST_DATABASE_URL"] = (await pack.PostgresAsync()).Url,
            ["CI"] = "true", // a test that cannot reach its server fails rather than skips
        };

        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false"], project, environment, timeout: TimeSpan.FromMinutes(8));
        Log("tested");

        var all = TestSummary.Of(result);
        Assert.Equal((0, 0), (all.Failed, all.Skipped));
        Assert.True(TestSummary.Of(result, "AppHost.Tests.dll").Passed >= 3, result.ToString());
    }

    private void Log(string step) => output.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  {step}");
}
