using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// The <c>--db-provider postgres</c> project against a real PostgreSQL server: <c>make serve</c> and the HTTP API,
/// the rows seen through <c>psql</c> and <c>make db-shell</c>, instances starting together on a new database, bad
/// <c>DATABASE_URL</c>s, and the multi-container compose file.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class PostgresServiceTests(TemplatePack pack)
{
    private static readonly string[] Postgres = ["--db-provider", "postgres"];

    [Fact]
    public async Task Make_serve_writes_shields_that_psql_and_make_db_shell_see()
    {
        var (project, server) = (await pack.BuiltAsync(Postgres), await pack.PostgresAsync());
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = server.UrlOf(NewDatabaseName()) };

        await using (var service = await RunningService.StartAsync(project, "make", ["serve"], environment))
        {
            foreach (var (name, rating) in new[] { ("Dragon Scale", 95), ("Buckler", 10), ("Tower", 70) })
            {
                var created = await service.Http.PostAsJsonAsync("/shields", new { name, defenseRating = rating });
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            Assert.Equal(HttpStatusCode.NoContent, (await service.Http.DeleteAsync("/shields/2")).StatusCode);
            Assert.Contains("Tower", await service.Http.GetStringAsync("/shields"));
            await service.StopAsync(); // make's exit code after SIGTERM is 143 whatever the service does
        }

        var rows = await Shell.RunAsync("psql", [environment["DATABASE_URL"]!, "-tAc", "SELECT id, name, defense_rating FROM shield ORDER BY id"], project);
        Assert.Equal("1|Dragon Scale|95\n3|Tower|70", rows.StandardOutput.Trim());

        var shell = await Shell.RunAsync("make", ["--no-print-directory", "db-shell"], project, environment, standardInput: "\\d shield\n");
        Assert.Contains("defense_rating", shell.StandardOutput);
        Assert.Contains("pk_shield", shell.StandardOutput);
    }

    [Fact]
    public async Task Two_instances_starting_together_on_a_new_database_both_serve_and_migrate_it_once()
    {
        var (project, server) = (await pack.BuiltAsync(Postgres), await pack.PostgresAsync());
        var url = server.UrlOf(NewDatabaseName());
        var dll = TemplatePack.ApiDll(project);
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = url, ["ASPNETCORE_URLS"] = null };

        var starting = Enumerable.Range(0, 2).Select(_ => RunningService.StartAsync(project, "dotnet", [dll], environment)).ToArray();
        var services = await Task.WhenAll(starting);
        try
        {
            foreach (var service in services)
            {
                Assert.Equal(HttpStatusCode.Created, (await service.Http.PostAsJsonAsync("/shields", new { name = $"via {service.Port}" })).StatusCode);
            }

            Assert.Equal("1", await PsqlAsync(url, "SELECT count(*) FROM \"__EFMigrationsHistory\""));
            Assert.Equal("2", await PsqlAsync(url, "SELECT count(*) FROM shield"));
        }
        finally
        {
            foreach (var service in services)
            {
                await service.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_bad_database_url_stops_startup_with_one_clear_line_that_never_shows_the_password()
    {
        var project = await pack.BuiltAsync(Postgres);
        (string Url, string Problem)[] badUrls =
        [
            ("sqlite:///data/app.db", "the scheme 'sqlite' is not supported"),
            ("postgresql://aegis:hunter2@localhost", "a host and a database name"),
            ("postgresql://aegis:hunter2@localhost/app?sslmode=sometimes", "'sslmode' is not a connection option"),
            ("postgresql://aegis:hunter2@127.0.0.1:1/app", "cannot be used"), // nothing listens on port 1
            // Outside Development (here Production) no URL is taken by default, nor .env.example's public password.
            ("", "DATABASE_URL is not set"),
            ("postgresql://app:example-app-password@localhost/app", "still carries the example password"),
        ];

        foreach (var (url, problem) in badUrls)
        {
            var (line, output) = await RunningService.RefusedStartAsync(project, url);

            Assert.Contains(problem, line);
            Assert.Contains("DATABASE_URL", line);
            Assert.DoesNotContain("hunter2", output);
        }
    }

    [Fact]
    public async Task App_role_migrate_exits_0_on_a_new_and_an_up_to_date_database_and_1_with_one_line_on_an_unreachable_server()
    {
        var (project, server) = (await pack.BuiltAsync(Postgres), await pack.PostgresAsync());
        var url = server.UrlOf(NewDatabaseName());

        var fresh = await MigrateAsync(project, url);
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.Contains("migrations applied now: 1 (20261203090022_InitialCreate)", fresh.StandardOutput);
        Assert.Equal("20261203090022_InitialCreate", await PsqlAsync(url, "SELECT migration_id FROM \"__EFMigrationsHistory\""));

        var upToDate = await MigrateAsync(project, url);
        Assert.True(upToDate.ExitCode == 0, upToDate.ToString());
        Assert.Contains("migrations applied now: 0 (none)", upToDate.StandardOutput);

        var unreachable = await MigrateAsync(project, "postgresql://aegis:hunter2@127.0.0.1:1/app"); // nothing listens on port 1
        Assert.True(unreachable.ExitCode == 1, unreachable.ToString());
        Assert.Contains("cannot be used", Assert.Single(unreachable.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        Assert.DoesNotContain("hunter2", unreachable.Output);
    }

    [Fact]
    public async Task With_migrate_on_start_off_the_service_refuses_a_database_with_pending_migrations_naming_them()
    {
        var (project, server) = (await pack.BuiltAsync(Postgres), await pack.PostgresAsync());
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = server.UrlOf(NewDatabaseName()), ["MIGRATE_ON_START"] = "false" };

        var refused = await Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project, environment, timeout: TimeSpan.FromMinutes(1), check: false);

        Assert.True(refused.ExitCode == 1, refused.ToString());
        var line = Assert.Single(refused.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("does not exist yet, so it lacks the migrations 20261203090022_InitialCreate", line);
        Assert.Contains("APP_ROLE=migrate dotnet Api.dll", line);
    }

    [Fact]
    public async Task Compose_runs_postgres_and_an_api_and_a_scheduler_from_one_image()
    {
        var project = await pack.GenerateAsync(Postgres);

        // No default password: without .env's, the compose file says which to set.
        var unset = await Shell.RunAsync("docker-compose", ["config"], project, check: false);
        Assert.NotEqual(0, unset.ExitCode);
        Assert.Contains("set POSTGRES_PASSWORD in .env", unset.StandardError + unset.StandardOutput);
        var passwords = new Dictionary<string, string?> { ["POSTGRES_PASSWORD"] = "admin-secret", ["DATABASE_PASSWORD"] = "app-secret" };
        var config = await Shell.RunAsync("docker-compose", ["config"], project, passwords);
        var services = await Shell.RunAsync("docker-compose", ["config", "--services"], project, passwords);

        Assert.Equal(["api", "migrate", "postgres", "proxy", "scheduler"], services.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Contains("APP_ROLE: api", config.StandardOutput);
        Assert.Contains("APP_ROLE: scheduler", config.StandardOutput);
        Assert.Contains("APP_ROLE: migrate", config.StandardOutput);
        Assert.Contains("condition: service_healthy", config.StandardOutput);
        // api and scheduler start only after the one-shot migrate step has succeeded, and never migrate themselves.
        foreach (var service in new[] { "api", "scheduler" })
        {
            var definition = ServiceSection(config.StandardOutput, service);
            Assert.Matches(@"depends_on:\s+migrate:\s+condition: service_completed_successfully", definition);
            Assert.Contains("MIGRATE_ON_START: \"false\"", definition);
        }

        Assert.Matches(@"depends_on:\s+postgres:\s+condition: service_healthy", ServiceSection(config.StandardOutput, "migrate"));
        Assert.Contains("GET /health", ServiceSection(config.StandardOutput, "api"));
        Assert.Contains("GET /alive", ServiceSection(config.StandardOutput, "scheduler"));
        Assert.Contains("pg_isready", config.StandardOutput);
        Assert.Contains("postgres:17", config.StandardOutput);
        // The services connect as the database's owner role, the server alone knows the superuser's password; every
        // major's data is in a folder of its own below the volume's mount.
        foreach (var service in new[] { "api", "scheduler", "migrate" })
        {
            Assert.Contains("DATABASE_URL: postgresql://app:app-secret@postgres:5432/my_project", ServiceSection(config.StandardOutput, service));
            Assert.DoesNotContain("admin-secret", ServiceSection(config.StandardOutput, service));
        }

        var postgres = ServiceSection(config.StandardOutput, "postgres");
        Assert.Contains("PGDATA: /var/lib/postgresql/17/docker", postgres);
        Assert.Contains("- postgres-data:/var/lib/postgresql:rw", postgres);
        Assert.Contains("/postgres-init:/docker-entrypoint-initdb.d:ro", postgres);
        // Scalable: no fixed container name, and only the proxy publishes a port.
        Assert.DoesNotContain("container_name", config.StandardOutput);
        Assert.DoesNotContain("published", ServiceSection(config.StandardOutput, "api"));
        Assert.Contains("haproxy.cfg", ServiceSection(config.StandardOutput, "proxy"));
        Assert.Contains("/app/data/backups", ServiceSection(config.StandardOutput, "scheduler"));
    }

    [Fact]
    public async Task A_backup_killed_during_pg_dump_leaves_nothing_that_counts_as_a_backup_and_the_next_one_clears_it()
    {
        var (project, server) = (await pack.BuiltAsync(Postgres), await pack.PostgresAsync());
        var url = server.UrlOf(NewDatabaseName());
        Assert.Equal(0, (await MigrateAsync(project, url)).ExitCode);
        var backups = pack.NewFolder("killed-backup");
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = url, ["APP_ROLE"] = "backup", ["BACKUP_FOLDER"] = backups };

        // A session that holds the table locked makes pg_dump wait in the middle of its work, where it is killed.
        var locker = Shell.RunAsync("psql", [url + "?application_name=locker", "-c", "BEGIN; LOCK TABLE shield IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(90); COMMIT;"],
            Repo.Root, timeout: TimeSpan.FromSeconds(120), check: false);
        await WaitUntilAsync(async () => await PsqlAsync(url, "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND relation = 'shield'::regclass") == "1", TimeSpan.FromSeconds(30), "the table lock");

        var start = new ProcessStartInfo("dotnet", [TemplatePack.ApiDll(project)]) { WorkingDirectory = project, RedirectStandardOutput = true };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var backup = Process.Start(start)!;
        await WaitUntilAsync(async () => (await Shell.RunAsync("pgrep", ["-P", backup.Id.ToString(), "pg_dump"], Repo.Root, check: false)).ExitCode == 0,
            TimeSpan.FromSeconds(60), "pg_dump under the backup role");
        backup.Kill(); // SIGKILL to the service alone: its pg_dump is left waiting for the lock
        await backup.WaitForExitAsync();
        await PsqlAsync(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'");
        await locker;
        await WaitUntilAsync(async () => (await Shell.RunAsync("pgrep", ["-x", "pg_dump"], Repo.Root, check: false)).ExitCode != 0,
            TimeSpan.FromSeconds(60), "the orphaned pg_dump to stop at its broken pipe");

        var left = Directory.GetFiles(backups).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(left, name => name!.EndsWith(".dump", StringComparison.Ordinal));
        Assert.Single(left, name => name!.EndsWith(".dump.partial", StringComparison.Ordinal));

        var next = await Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project, environment, timeout: TimeSpan.FromMinutes(1));
        var kept = Assert.Single(Directory.GetFiles(backups));
        Assert.Contains(kept, next.StandardOutput);
        Assert.EndsWith("-manual.dump", kept);
        Assert.Contains("TABLE DATA public shield", (await Shell.RunAsync("pg_restore", ["--list", kept], Repo.Root)).StandardOutput);
    }

    private static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what) =>
        Poll.UntilAsync(condition, done => done, limit, what);

    // One service's lines in `docker-compose config` output: from "  name:" to the next service at the same indentation.
    private static string ServiceSection(string config, string service) =>
        System.Text.RegularExpressions.Regex.Match(config, $@"(?ms)^  {service}:\n(.*?)(?=^  \S|^\S|\z)").Groups[1].Value;

    private static Task<ShellResult> MigrateAsync(string project, string databaseUrl) =>
        Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project,
            new Dictionary<string, string?> { ["APP_ROLE"] = "migrate", ["DATABASE_URL"] = databaseUrl }, timeout: TimeSpan.FromMinutes(1), check: false);

    private static string NewDatabaseName() => $"aegis_{Guid.NewGuid():N}";

    private static async Task<string> PsqlAsync(string url, string sql) =>
        (await Shell.RunAsync("psql", [url, "-tAc", sql], Repo.Root)).StandardOutput.Trim();
}
