using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Aegis.Templates.Tests;

/// <summary>
/// The built <c>--database</c> service as a real process in Production, each test on a database file of its own:
/// concurrent clients, a crash, a graceful stop, oversized bodies, a full disk, and backup and restore through the
/// Makefile.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class ReliabilityTests(TemplatePack pack, ITestOutputHelper output)
{
    private const int Clients = 32;

    [Fact]
    public async Task Thirty_two_concurrent_clients_all_get_201_and_every_201_is_a_row()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        await using var service = await StartAsync(project, environment);

        var clock = Stopwatch.StartNew();
        var statuses = new ConcurrentBag<HttpStatusCode>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                var response = await service.Http.PostAsJsonAsync("/shields", new { name = $"client {client} shield {i}", defenseRating = i });
                statuses.Add(response.StatusCode);
            }
        }))).WaitAsync(TimeSpan.FromMinutes(3));

        output.WriteLine($"{statuses.Count} POSTs from {Clients} clients in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.Created, status));
        Assert.Equal(statuses.Count.ToString(), await SqliteAsync(database, "SELECT count(*) FROM shield;"));
    }

    [Fact]
    public async Task After_kill_9_mid_stream_every_acknowledged_shield_is_there_and_the_file_is_intact()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        var service = await StartAsync(project, environment);
        var acknowledged = new ConcurrentBag<int>();

        var killed = await WhileClientsPostAsync(service, acknowledged, stopAfter: TimeSpan.FromSeconds(2), service.KillAsync);
        await service.DisposeAsync();

        output.WriteLine($"killed (exit {killed}) after {acknowledged.Count} acknowledged POSTs");
        Assert.Equal(137, killed); // 128 + SIGKILL
        Assert.NotEmpty(acknowledged);
        Assert.Equal("ok", await SqliteAsync(database, "PRAGMA integrity_check;"));
        await using var restarted = await StartAsync(project, environment);
        var stored = (await SqliteAsync(database, "SELECT group_concat(id) FROM shield;")).Split(',').Select(int.Parse).ToHashSet(); // all, not a page
        Assert.Subset(stored, acknowledged.ToHashSet());
        Assert.Equal(HttpStatusCode.Created, (await restarted.Http.PostAsJsonAsync("/shields", new { name = "after the crash" })).StatusCode);
    }

    [Fact]
    public async Task Sigterm_during_requests_finishes_them_stops_cleanly_and_loses_nothing()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        var service = await StartAsync(project, environment);
        var acknowledged = new ConcurrentBag<int>();

        var exitCode = await WhileClientsPostAsync(service, acknowledged, stopAfter: TimeSpan.FromSeconds(2), service.StopAsync);
        await service.DisposeAsync();

        output.WriteLine($"stopped (exit {exitCode}) after {acknowledged.Count} acknowledged POSTs");
        Assert.Equal(0, exitCode);
        Assert.Contains("Application is shutting down", service.Output);
        Assert.DoesNotContain("fail:", service.Output);
        Assert.Equal(acknowledged.Count.ToString(), await SqliteAsync(database, "SELECT count(*) FROM shield;"));
    }

    [Fact]
    public async Task A_body_over_one_megabyte_is_a_413_problem_and_writes_nothing()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        await using var service = await StartAsync(project, environment);
        var huge = $$"""{"name":"{{new string('x', 2 * 1024 * 1024)}}"}""";

        var response = await service.Http.PostAsync("/shields", new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0", await SqliteAsync(database, "SELECT count(*) FROM shield;"));
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Http.PostAsJsonAsync("/shields", new { name = new string('x', 10_000) })).StatusCode);
    }

    [Fact]
    public async Task Make_backup_works_while_serving_and_make_restore_waits_until_the_service_is_stopped_and_keeps_what_it_replaces()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        var make = new Dictionary<string, string?>(environment) { ["DB_FILE"] = database };
        var service = await StartAsync(project, environment);
        await service.Http.PostAsJsonAsync("/shields", new { name = "in the backup" });

        var backup = (await Shell.RunAsync("make", ["--no-print-directory", "backup"], project, make)).StandardOutput.Trim();
        await service.Http.PostAsJsonAsync("/shields", new { name = "after the backup" });
        var refused = await Shell.RunAsync("make", ["--no-print-directory", "restore", $"file={backup}"], project, make, check: false);
        await service.StopAsync();
        await service.DisposeAsync();
        var restored = await Shell.RunAsync("make", ["--no-print-directory", "restore", $"file={backup}"], project, make);

        Assert.Matches(@"/backups/app-\d{8}T\d{9}Z-manual\.db$", backup); // taken by hand: never pruned
        var before = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(backup)!, "*-before-restore.db"));
        Assert.Equal($"Restored {database} from {backup}; the database as it was is {before}.", restored.StandardOutput.Trim());
        Assert.Equal("in the backup,after the backup", await SqliteAsync(before, "SELECT group_concat(name) FROM shield;"));
        Assert.NotEqual(0, refused.ExitCode); // make itself exits 2 whenever a recipe fails
        Assert.Contains("the service is running", refused.StandardError);
        Assert.Equal("in the backup", await SqliteAsync(database, "SELECT group_concat(name) FROM shield;"));
        var usage = await Shell.RunAsync("make", ["--no-print-directory", "restore"], project, make, check: false);
        Assert.NotEqual(0, usage.ExitCode);
        Assert.Contains("usage: make restore file=", usage.StandardError);
    }

    /// <summary>Posts from 8 clients until <paramref name="stop"/> runs after <paramref name="stopAfter"/>; returns its exit code.</summary>
    private static async Task<int> WhileClientsPostAsync(RunningService service, ConcurrentBag<int> acknowledged, TimeSpan stopAfter, Func<Task<int>> stop)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stopping = false;
        var clients = Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
        {
            for (var i = 0; !Volatile.Read(ref stopping) && !deadline.IsCancellationRequested; i++)
            {
                try
                {
                    var response = await service.Http.PostAsJsonAsync("/shields", new { name = $"stream {client}-{i}" }, deadline.Token);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((await response.Content.ReadFromJsonAsync<JsonElement>(deadline.Token)).GetProperty("id").GetInt32());
                    }
                    else
                    {
                        Assert.Fail($"POST answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                    }
                }
                catch (HttpRequestException)
                {
                    // the service went away between requests: expected once it stops
                }
            }
        })).ToArray();

        await Task.Delay(stopAfter);
        var exitCode = await stop();
        Volatile.Write(ref stopping, true);
        await Task.WhenAll(clients);
        return exitCode;
    }

    [Fact]
    public async Task A_backup_killed_mid_copy_leaves_nothing_that_counts_as_a_backup_and_the_next_start_and_backup_are_fine()
    {
        var (project, database, environment) = await FreshDatabaseAsync();
        environment["BACKUP_SCHEDULE"] = "* * * * *"; // every minute: the soonest cron allows
        await (await StartAsync(project, new(environment) { ["APP_ROLE"] = "api" })).DisposeAsync(); // the schema, no backup
        // About 45 MB, so that a copy takes long enough to be killed in the middle of it.
        await SqliteAsync(database, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) " +
            "INSERT INTO shield (name, defense_rating) SELECT printf('%0100d', i), 10 FROM n;");
        var backups = Path.Combine(Path.GetDirectoryName(database)!, "backups");

        var service = await StartAsync(project, environment);
        await WaitForAsync(service, "Job database-backup started.", TimeSpan.FromSeconds(90));
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        await service.KillAsync();
        await service.DisposeAsync();

        var left = Directory.GetFiles(backups).Select(Path.GetFileName).ToList();
        output.WriteLine($"left by the killed run: {string.Join(", ", left)}");
        Assert.DoesNotContain(left, name => name!.EndsWith(".db", StringComparison.Ordinal));
        Assert.Equal("ok", await SqliteAsync(database, "PRAGMA integrity_check;"));

        await using var restarted = await StartAsync(project, environment);
        Assert.Equal(HttpStatusCode.Created, (await restarted.Http.PostAsJsonAsync("/shields", new { name = "after the kill" })).StatusCode);
        await WaitForAsync(restarted, "Job database-backup succeeded", TimeSpan.FromSeconds(90));
        var backup = Assert.Single(Directory.GetFiles(backups));
        Assert.EndsWith(".db", backup);
        Assert.Equal("ok", await SqliteAsync(backup, "PRAGMA integrity_check;"));
        Assert.Equal("400001", await SqliteAsync(backup, "SELECT count(*) FROM shield;"));
    }

    [RootFact]
    public async Task On_a_full_disk_writes_get_a_503_problem_health_is_degraded_and_writes_resume_when_space_is_freed()
    {
        var project = await pack.BuiltAsync("--database");
        var disk = pack.NewFolder("tmpfs");
        await Shell.RunAsync("mount", ["-t", "tmpfs", "-o", "size=600k", "tmpfs", disk], "/");
        try
        {
            var ballast = Path.Combine(disk, "ballast");
            await File.WriteAllBytesAsync(ballast, new byte[128 * 1024]); // deleted later to free space
            var database = Path.Combine(disk, "app.db");
            await using var service = await StartAsync(project, new() { ["DATABASE_URL"] = $"sqlite:///{database}", ["ASPNETCORE_ENVIRONMENT"] = "Production" });

            var created = 0;
            HttpResponseMessage? refused = null;
            for (var i = 0; i < 20_000 && refused is null; i++) // 600 KB hold a few thousand rows
            {
                var response = await service.Http.PostAsJsonAsync("/shields", new { name = new string('x', 100) });
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    created++;
                }
                else
                {
                    refused = response;
                }
            }

            output.WriteLine($"{created} shields fitted before the disk was full");
            Assert.NotNull(refused);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Contains("disk is full", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
            var degraded = await service.Http.GetFromJsonAsync<JsonElement>("/health");
            Assert.Equal("Degraded", degraded.GetProperty("status").GetString());
            Assert.False(degraded.GetProperty("checks").GetProperty("database-writes").TryGetProperty("description", out _), "Production /health showed a description.");

            File.Delete(ballast);
            Assert.Equal(HttpStatusCode.Created, (await service.Http.PostAsJsonAsync("/shields", new { name = "after" })).StatusCode);
            Assert.Equal("Healthy", (await service.Http.GetFromJsonAsync<JsonElement>("/health")).GetProperty("status").GetString());
            Assert.Equal((created + 1).ToString(), await SqliteAsync(database, "SELECT count(*) FROM shield;"));
            Assert.Equal("ok", await SqliteAsync(database, "PRAGMA integrity_check;"));
        }
        finally
        {
            await Shell.RunAsync("umount", ["--lazy", disk], "/", check: false);
        }
    }

    private async Task<(string Project, string Database, Dictionary<string, string?> Environment)> FreshDatabaseAsync()
    {
        var project = await pack.BuiltAsync("--database");
        var database = Path.Combine(pack.NewFolder("db"), "app.db");
        return (project, database, new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = $"sqlite:///{database}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        });
    }

    // Every 20 ms: the killed-backup test kills the service a moment after the line appears, in the middle of the copy.
    private static Task WaitForAsync(RunningService service, string logLine, TimeSpan limit) =>
        Poll.UntilAsync(() => Task.FromResult(service.Output), output => output.Contains(logLine, StringComparison.Ordinal), limit,
            $"'{logLine}' in the service's output", TimeSpan.FromMilliseconds(20));

    private static Task<RunningService> StartAsync(string project, Dictionary<string, string?> environment) =>
        RunningService.StartAsync(project, "dotnet", [TemplatePack.ApiDll(project)], environment);

    private static async Task<string> SqliteAsync(string database, string sql) =>
        (await Shell.RunAsync("sqlite3", [database, sql], "/")).StandardOutput.Trim();
}
