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
        await podman.UseLibraryAsync(pack.PackagesFolder);
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
    public async Task Postgres_project_scales_the_api_behind_the_proxy_that_spreads_requests_and_loses_no_acknowledged_write_when_one_stops()
    {
        Log(podman.StandIns);
        await podman.UseLibraryAsync(pack.PackagesFolder);
        var project = await pack.GenerateAsync("--db-provider", "postgres");
        var port = RunningService.FreePort();
        var postgresPort = RunningService.FreePort();
        var compose = podman.ComposeIn(project, new Dictionary<string, string?>
        {
            ["PORT"] = port.ToString(), // the proxy's, published on 127.0.0.1 by default
            ["POSTGRES_PORT"] = postgresPort.ToString(), // the compose file binds it to 127.0.0.1 itself
            // The stand-in server is PostgreSQL 15, whose client Debian 12 (the stand-in base image) carries.
            ["POSTGRES_MAJOR"] = "15",
            ["PGDG_APT"] = "false",
            ["POSTGRES_PASSWORD"] = "admin-secret",
            ["DATABASE_PASSWORD"] = "app-secret",
        });
        var database = $"postgresql://app:app-secret@127.0.0.1:{postgresPort}/my_project"; // the services' role
        const string prefix = TemplatePack.ProjectName;
        string[] apis = [$"{prefix}_api_1", $"{prefix}_api_2", $"{prefix}_api_3"];
        const string migrate = $"{prefix}_migrate_1", scheduler = $"{prefix}_scheduler_1";

        try
        {
            await compose.RunAsync(["build"], BuildTimeout);
            Log("build");
            Assert.Contains("pg_dump (PostgreSQL) 15", (await podman.RunAsync(["run", "--rm", "--entrypoint", "pg_dump", $"{prefix}:latest", "--version"])).Output);

            await compose.UpAsync("--scale", "api=3");
            string[] containers = [.. apis, migrate, $"{prefix}_postgres_1", $"{prefix}_proxy_1", scheduler];
            Assert.Equal(containers, await podman.ContainersAsync(prefix));
            // The one-shot step migrated the database and exited 0 before the others started.
            Assert.Equal("exited 0", await Inspect("container", migrate, "{{.State.Status}} {{.State.ExitCode}}"));
            Assert.Contains("migrations applied now: 1", (await podman.RunAsync(["logs", migrate])).Output);
            // As the role the init script made: the database's owner, no superuser.
            Assert.Equal("f|app", await Psql(database, "SELECT rolsuper, pg_get_userbyid(datdba) FROM pg_roles, pg_database WHERE rolname = current_user AND datname = current_database()"));
            foreach (var api in apis)
            {
                Assert.Equal("1654", await Inspect("container", api, "{{.Config.User}}"));
                await podman.WaitHealthyAsync(api);
            }

            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            await WaitForHttpAsync(http);
            Log("up: 3 apis, healthy, behind the proxy");

            // Once the proxy's checks have found every instance (rounds until one is answered by all three), 300 requests.
            var servedBy = new Dictionary<string, int>();
            for (var round = 0; round < 30 && servedBy.Count < apis.Length; round++)
            {
                servedBy = await ServedByAsync(http, 30);
            }

            servedBy = await ServedByAsync(http, 300);
            Log($"300 requests through the proxy: {string.Join(", ", servedBy.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} {pair.Value}"))}");
            Assert.True(servedBy.Count >= 2, $"Only {servedBy.Count} instance answered.");

            // The database stops for 5 s under load. The proxy checks /alive, so every instance stays in rotation, and
            // a write meanwhile gets the service's own 503 problem (never the proxy's bare 503, nor a lost connection).
            const string postgres = $"{prefix}_postgres_1";
            var blip = await WriteWhileAsync(http, "blip", async writes =>
            {
                await podman.RunAsync(["stop", "--time", "2", postgres]);
                await Task.Delay(TimeSpan.FromSeconds(5));
                await podman.RunAsync(["start", postgres]);
                writes.Mark();
                await Task.Delay(TimeSpan.FromSeconds(8)); // writes resume once the server accepts connections again
            });
            var stored = await StoredNamesAsync(database);
            Log($"database blip: {blip.Sent} writes sent, {blip.Acknowledged.Count} acknowledged, {blip.Acknowledged.Count(stored.Contains)} of them found " +
                $"afterwards; answers: {blip.Describe()}");
            Assert.Empty(blip.Unanswered);
            Assert.All(blip.Answers.Where(answer => answer.Status != HttpStatusCode.Created), answer =>
                Assert.Equal((HttpStatusCode.ServiceUnavailable, "application/problem+json"), (answer.Status, answer.MediaType)));
            Assert.Contains(blip.Answers, answer => answer.Status == HttpStatusCode.ServiceUnavailable);
            Assert.Equal(apis.Length, blip.Answers.Where(answer => answer.Status == HttpStatusCode.ServiceUnavailable).Select(answer => answer.ServedBy).Distinct().Count());
            Assert.True(blip.AcknowledgedSinceMark > 0, "No write was acknowledged after the database came back.");
            Assert.DoesNotContain(blip.Acknowledged, name => !stored.Contains(name));

            // Writers through the proxy while one instance stops: every write the service acknowledged (201) is stored.
            var stopped = await WriteWhileAsync(http, "stop", async _ =>
            {
                await podman.RunAsync(["stop", "--time", "10", apis[1]]);
                await Task.Delay(TimeSpan.FromSeconds(6)); // past the proxy's two failed checks
            });
            Assert.True(stopped.AcknowledgedSinceMark > 0, "No write was acknowledged after the instance stopped.");
            stored = await StoredNamesAsync(database);
            var lost = stopped.Acknowledged.Where(name => !stored.Contains(name)).ToList();
            Log($"writes under a stopping instance: {stopped.Sent} sent, {stopped.Acknowledged.Count} acknowledged, {lost.Count} lost; answers: {stopped.Describe()}");
            Assert.Empty(lost);

            // One scheduler; its image's pg_dump backs up the server into the backups volume, as the services' role.
            Assert.Contains("Scheduler started with 1 job(s): database-backup", (await podman.RunAsync(["logs", scheduler])).Output);
            Assert.DoesNotContain("Scheduler started", (await podman.RunAsync(["logs", apis[0]])).Output);
            var backup = await podman.RunAsync(["exec", "-e", "APP_ROLE=backup", scheduler, "dotnet", "Api.dll"]);
            Assert.Matches(@"/app/data/backups/my_project-\d{8}T\d{9}Z-manual\.dump", backup.StandardOutput);
            Log("a backup by hand in the scheduler's container");

            await compose.RunAsync("down", "--volumes");
            Assert.Empty(await podman.ContainersAsync(prefix));
            Assert.DoesNotContain($"{prefix}_postgres-data", (await podman.RunAsync(["volume", "ls", "--format", "{{.Name}}"])).StandardOutput);
            Log("down");
        }
        finally
        {
            await CleanUpAsync(compose);
        }
    }

    /// <summary>
    /// Eight writers through the proxy, for 2 s and then while <paramref name="disturb"/> runs: each POST's answer (its
    /// status, media type and the instance that gave it), or that it got none, and the writes acknowledged (201).
    /// </summary>
    private static async Task<Writes> WriteWhileAsync(HttpClient http, string tag, Func<Writes, Task> disturb)
    {
        var writes = new Writes();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var name = $"{tag}-w{w}-{i}";
                Interlocked.Increment(ref writes.Sent);
                try
                {
                    using var response = await http.PostAsJsonAsync("/shields", new { name });
                    var servedBy = response.Headers.TryGetValues("X-Served-By", out var values) ? values.Single() : null;
                    writes.Answers.Add((response.StatusCode, response.Content.Headers.ContentType?.MediaType, servedBy));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        writes.Acknowledged.Add(name);
                        Interlocked.Increment(ref writes.AcknowledgedSinceMark);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    writes.Unanswered.Add(e.Message);
                }
            }
        })).ToArray();
        await Task.Delay(TimeSpan.FromSeconds(2));
        writes.Mark();
        await disturb(writes);
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        return writes;
    }

    private sealed class Writes
    {
        public int Sent;
        public int AcknowledgedSinceMark; // since the disturbance began, or the moment it marked

        public void Mark() => Interlocked.Exchange(ref AcknowledgedSinceMark, 0);

        public System.Collections.Concurrent.ConcurrentBag<string> Acknowledged { get; } = [];

        public System.Collections.Concurrent.ConcurrentBag<(HttpStatusCode Status, string? MediaType, string? ServedBy)> Answers { get; } = [];

        public System.Collections.Concurrent.ConcurrentBag<string> Unanswered { get; } = [];

        public string Describe() => string.Join(", ", Answers.GroupBy(answer => $"{(int)answer.Status} {answer.MediaType}").OrderBy(group => group.Key)
            .Select(group => $"{group.Count()} × {group.Key}")) + $", {Unanswered.Count} unanswered {string.Join("; ", Unanswered.Distinct().Take(3))}";
    }

    private static async Task<HashSet<string>> StoredNamesAsync(string database) =>
        (await Psql(database, "SELECT name FROM shield")).Split('\n').ToHashSet();

    /// <summary>How many of <paramref name="count"/> GET requests each instance answered, by the proxy's X-Served-By.</summary>
    private static async Task<Dictionary<string, int>> ServedByAsync(HttpClient http, int count)
    {
        var servedBy = new Dictionary<string, int>();
        for (var i = 0; i < count; i++)
        {
            using var response = await http.GetAsync("/shields");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var instance = Assert.Single(response.Headers.GetValues("X-Served-By"));
            servedBy[instance] = servedBy.GetValueOrDefault(instance) + 1;
        }

        return servedBy;
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

    private void Log(string step) => output.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  {step}");
}
