using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// The seed page's workflow on a real generated <c>--database</c> project: <c>make serve</c>, the HTTP API, the
/// <c>sqlite3</c> shell on <c>data/app.db</c>, restarts, and the other ways of launching the app.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class SqliteServiceTests(TemplatePack pack)
{
    private Task<string> ProjectAsync() => pack.BuiltAsync("--database");

    [Fact]
    public async Task Make_serve_serves_the_shields_api()
    {
        var project = await ProjectAsync();
        await using var service = await RunningService.StartAsync(project, "make", ["serve"]);
        var http = service.Http;

        using var health = JsonDocument.Parse(await http.GetStringAsync("/health"));
        Assert.Equal("Healthy", health.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());

        var created = await http.PostAsJsonAsync("/shields", new { name = "Dragon Scale", defenseRating = 95 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var shield = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = shield.GetProperty("id").GetInt32();
        Assert.Equal($"/shields/{id}", created.Headers.Location?.OriginalString);
        Assert.Equal("""{"id":ID,"name":"Dragon Scale","defenseRating":95}""".Replace("ID", id.ToString()), await http.GetStringAsync($"/shields/{id}"));

        var defaulted = await (await http.PostAsJsonAsync("/shields", new { name = "Buckler" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(10, defaulted.GetProperty("defenseRating").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/shields/{id}", new { name = "Dragon Scale", defenseRating = 99 })).StatusCode);
        Assert.Contains("\"defenseRating\":99", await http.GetStringAsync($"/shields/{id}"));
        Assert.Contains("Buckler", await http.GetStringAsync("/shields"));

        var buckler = defaulted.GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/shields/{buckler}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/shields/{buckler}")).StatusCode);

        var makeHealth = await Shell.RunAsync("make", ["health", $"PORT={service.Port}"], project);
        Assert.Contains("\"status\":\"Healthy\"", makeHealth.StandardOutput);
    }

    [Fact]
    public async Task Bad_requests_get_problems_and_write_nothing()
    {
        var project = await ProjectAsync();
        await using var service = await RunningService.StartAsync(project, "make", ["serve"]);
        var http = service.Http;
        var before = await Sqlite(project, "SELECT count(*) FROM shield;");

        (string Body, string Field)[] invalid =
        [
            ("""{"defenseRating":5}""", "name"),
            ("""{"name":""}""", "name"),
            ($$"""{"name":"{{new string('x', 101)}}"}""", "name"),
            ("""{"name":"x","defenseRating":101}""", "defenseRating"),
            ("""{"name":"x","defenseRating":"high"}""", "defenseRating"),
            ("""{"name":"x","defense_rating":5}""", "defense_rating"),
            ("""{"name":""", "name"),
            ("not json", "body"),
        ];
        foreach (var (body, field) in invalid)
        {
            var response = await http.PostAsync("/shields", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body} → {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body} → {problem}");
        }

        foreach (var (method, path) in new[] { ("GET", "/shields/424242"), ("PUT", "/shields/424242"), ("DELETE", "/shields/424242"), ("GET", "/shields/-3") })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { name = "Ghost" }) };
            var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path} → {response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(before, await Sqlite(project, "SELECT count(*) FROM shield;"));
    }

    [Fact]
    public async Task The_sqlite3_shell_sees_what_the_api_wrote_in_data_app_db_at_the_project_root()
    {
        var project = await ProjectAsync();
        var name = $"Tower {Guid.NewGuid():N}";
        await using (var service = await RunningService.StartAsync(project, "make", ["serve"]))
        {
            await service.Http.PostAsJsonAsync("/shields", new { name, defenseRating = 70 });
        }

        Assert.True(File.Exists(Path.Combine(project, "data", "app.db")));
        Assert.Contains("shield", await Sqlite(project, ".tables"));
        var schema = await Sqlite(project, ".schema shield");
        Assert.Contains("\"id\" INTEGER NOT NULL", schema);
        Assert.Contains("\"name\" TEXT NOT NULL", schema);
        Assert.Contains("\"defense_rating\" INTEGER NOT NULL DEFAULT 10", schema);
        Assert.Contains($"|{name}|70", await Sqlite(project, "SELECT * FROM shield;"));
        Assert.Equal("10", (await Sqlite(project, "INSERT INTO shield (name) VALUES ('from the shell') RETURNING defense_rating;")).Trim());
        AssertNoStrayDatabases(project);

        var shell = await Shell.RunAsync("make", ["db-shell"], project, standardInput: ".tables\n");
        Assert.Contains("shield", shell.StandardOutput);
    }

    [Fact]
    public async Task Data_survives_a_restart()
    {
        var project = await ProjectAsync();
        int id;
        await using (var first = await RunningService.StartAsync(project, "make", ["serve"]))
        {
            var created = await first.Http.PostAsJsonAsync("/shields", new { name = "Aegis", defenseRating = 100 });
            id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
            await first.StopAsync();
        }

        await using var second = await RunningService.StartAsync(project, "make", ["serve"]);
        Assert.Contains("\"name\":\"Aegis\"", await second.Http.GetStringAsync($"/shields/{id}"));
    }

    [Fact]
    public async Task Every_launcher_uses_the_same_database_file()
    {
        var project = await ProjectAsync();
        var elsewhere = pack.NewFolder("cwd");
        var dll = TemplatePack.ApiDll(project);
        (string Folder, string Program, string[] Arguments)[] launchers =
        [
            (Path.Combine(project, "src/Api"), "dotnet", ["run", "--no-build"]),
            (project, "dotnet", ["run", "--no-build", "--project", "src/Api"]),
            (elsewhere, "dotnet", [dll]),
        ];

        foreach (var (folder, program, arguments) in launchers)
        {
            var name = $"via {program} {string.Join(' ', arguments)} in {folder}";
            await using var service = await RunningService.StartAsync(folder, program, arguments);
            await service.Http.PostAsJsonAsync("/shields", new { name = name[..Math.Min(100, name.Length)] });
            await service.StopAsync();
            Assert.Contains(name[..Math.Min(100, name.Length)], await Sqlite(project, "SELECT name FROM shield;"));
        }

        AssertNoStrayDatabases(project);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Fact]
    public async Task A_bad_database_url_stops_startup_with_one_clear_line_and_creates_nothing()
    {
        var project = await ProjectAsync();
        var scratch = pack.NewFolder("bad-url");
        Directory.CreateDirectory(Path.Combine(scratch, "folder.db"));
        File.WriteAllText(Path.Combine(scratch, "a-file"), "not a folder");
        File.WriteAllText(Path.Combine(scratch, "notes.db"), "these are my notes, not a database");
        (string Url, string Problem)[] badUrls =
        [
            ("mysql://aegis:hunter2@localhost/app", "the scheme 'mysql' is not supported"),
            ("sqlite://", "it names no database file"),
            ("sqlite:/x.db", "it is not a URL"),
            ("sqlite://nowhere/app.db", "three slashes"),
            ($"sqlite:///{scratch}/folder.db", "is a folder, not a file"),
            ($"sqlite:///{scratch}/a-file/app.db", "in its path is a file, not a folder"),
            ($"sqlite:///{scratch}/notes.db", "is not a SQLite database"),
        ];
        var before = GoldenTree.Files(project).Concat(GoldenTree.Files(scratch)).ToHashSet();

        foreach (var (url, problem) in badUrls)
        {
            var (line, output) = await RunningService.RefusedStartAsync(project, url);

            Assert.StartsWith("DATABASE_URL '", line);
            Assert.Contains(problem, line);
            Assert.Contains("sqlite:///data/app.db", line);
            Assert.DoesNotContain("hunter2", output);
        }

        Assert.Equal(before, GoldenTree.Files(project).Concat(GoldenTree.Files(scratch)).ToHashSet());
        Assert.Equal("these are my notes, not a database", File.ReadAllText(Path.Combine(scratch, "notes.db")));
    }

    [Fact]
    public async Task App_role_migrate_exits_0_on_a_new_and_an_up_to_date_database_and_1_with_one_line_on_one_it_cannot_open()
    {
        var project = await ProjectAsync();
        var file = Path.Combine(pack.NewFolder("migrate"), "app.db");

        var fresh = await MigrateAsync(project, $"sqlite:///{file}");
        Assert.True(fresh.ExitCode == 0, fresh.ToString());
        Assert.Contains("migrations applied now: 1 (20261203085956_InitialCreate)", fresh.StandardOutput);
        Assert.Equal("20261203085956_InitialCreate", (await Shell.RunAsync("sqlite3", [file, "SELECT migration_id FROM __EFMigrationsHistory;"], project)).StandardOutput.Trim());

        var upToDate = await MigrateAsync(project, $"sqlite:///{file}");
        Assert.True(upToDate.ExitCode == 0, upToDate.ToString());
        Assert.Contains("migrations applied now: 0 (none)", upToDate.StandardOutput);

        // /proc takes no new files, even from root.
        var unreachable = await MigrateAsync(project, "sqlite:////proc/app.db");
        Assert.True(unreachable.ExitCode == 1, unreachable.ToString());
        Assert.StartsWith("/proc/app.db cannot be used", Assert.Single(unreachable.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task With_migrate_on_start_off_the_service_refuses_a_new_database_and_make_migrate_readies_it()
    {
        var project = await ProjectAsync();
        var url = $"sqlite:///{pack.NewFolder("migrate-off")}/app.db";
        var environment = new Dictionary<string, string?> { ["DATABASE_URL"] = url, ["MIGRATE_ON_START"] = "false" };

        var refused = await Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project, environment, timeout: TimeSpan.FromMinutes(1), check: false);
        Assert.True(refused.ExitCode == 1, refused.ToString());
        var line = Assert.Single(refused.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("lacks the migrations 20261203085956_InitialCreate", line);
        Assert.Contains("APP_ROLE=migrate dotnet Api.dll (or make migrate)", line);

        var migrate = await Shell.RunAsync("make", ["migrate"], project, environment, timeout: TimeSpan.FromMinutes(3));
        Assert.Contains("migrations applied now: 1", migrate.StandardOutput);
        await using var service = await RunningService.StartAsync(project, "dotnet", [TemplatePack.ApiDll(project)], environment);
        Assert.Equal(HttpStatusCode.OK, (await service.Http.GetAsync("/shields")).StatusCode);
    }

    [Fact]
    public async Task Make_migration_uses_the_pinned_dotnet_ef_and_finds_the_model_fully_migrated()
    {
        // A project of its own: adding a migration changes the build that the other tests share.
        var project = await pack.GenerateAsync("--database");

        var usage = await Shell.RunAsync("make", ["migration"], project, check: false);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("usage: make migration name=AddSword", usage.StandardError);

        await Shell.RunAsync("make", ["migration", "name=Probe"], project, timeout: TimeSpan.FromMinutes(5));
        var probe = Assert.Single(Directory.GetFiles(Path.Combine(project, "src/Api/Database/Sqlite/Migrations"), "*_Probe.cs"));
        var code = await File.ReadAllTextAsync(probe);
        Assert.Contains("namespace my_project.Api.Database.Migrations", code); // beside the shipped ones
        Assert.Matches(@"void Up\(MigrationBuilder migrationBuilder\)\s*\{\s*\}", code);
        Assert.Matches(@"void Down\(MigrationBuilder migrationBuilder\)\s*\{\s*\}", code);
    }

    private static Task<ShellResult> MigrateAsync(string project, string databaseUrl) =>
        Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project,
            new Dictionary<string, string?> { ["APP_ROLE"] = "migrate", ["DATABASE_URL"] = databaseUrl }, timeout: TimeSpan.FromMinutes(1), check: false);

    private static async Task<string> Sqlite(string project, string command) =>
        (await Shell.RunAsync("sqlite3", ["data/app.db", command], project)).StandardOutput;

    private static void AssertNoStrayDatabases(string project)
    {
        var databases = Directory.EnumerateFiles(project, "*.db", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(project, file));
        Assert.Equal(["data/app.db"], databases);
    }
}
