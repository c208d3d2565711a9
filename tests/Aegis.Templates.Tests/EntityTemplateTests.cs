using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Aegis.Templates.Tests;

/// <summary>
/// <c>dotnet new aegis-entity</c> grows a generated service one resource at a time: a multi-word name and an
/// irregular plural, on both providers, through <c>make resource</c> and the template run in <c>src/Api</c>,
/// <c>make migration</c>, a build with warnings as errors, the project's own tests, the served API and the tables. The
/// namespace is the API project's, whatever the folder is called. Bad input writes nothing and says why.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class EntityTemplateTests(TemplatePack pack, ITestOutputHelper output)
{
    private static readonly string[] NewResourceFiles =
    [
        "src/Api/Knives/Knife.cs",
        "src/Api/Knives/KnivesApi.cs",
        "src/Api/MagicRings/MagicRing.cs",
        "src/Api/MagicRings/MagicRingsApi.cs",
        "src/Api/People/Person.cs",
        "src/Api/People/PeopleApi.cs",
        "tests/Api.Tests/Knives/KnivesApiTests.cs",
        "tests/Api.Tests/MagicRings/MagicRingsApiTests.cs",
        "tests/Api.Tests/People/PeopleApiTests.cs",
    ];

    // Generated as Acme.Shop in shop/, then copied to checkout-123 (a clone under another name): no folder is named
    // after the namespace.
    [Fact]
    public async Task Sqlite_service_gains_two_resources_that_migrate_build_pass_their_tests_and_serve()
    {
        var generated = Path.Combine(pack.NewFolder("named"), "shop");
        await pack.NewAsync(["aegis", "-n", "Acme.Shop", "-o", generated, "--no-restore", "--database"]);
        var project = Path.Combine(pack.NewFolder("copied"), "checkout-123");
        await Shell.RunAsync("cp", ["-R", generated, project], pack.WorkRoot);
        await GrownProjectAsync(project, sqlite: true);

        await using var service = await RunningService.StartAsync(project, "make", ["serve"]);
        var http = service.Http;
        var created = await http.PostAsJsonAsync("/magic-rings", new { name = "The One Ring" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var ring = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal($"/magic-rings/{ring}", created.Headers.Location?.OriginalString);
        Assert.Equal($$"""{"id":{{ring}},"name":"The One Ring"}""", await http.GetStringAsync($"/magic-rings/{ring}"));
        Assert.Equal(HttpStatusCode.OK, (await http.PutAsJsonAsync($"/magic-rings/{ring}", new { name = "Nenya" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("/knives", new { name = "Sting" })).StatusCode);
        Assert.Contains("Sting", await http.GetStringAsync("/knives"));

        var blank = await http.PostAsJsonAsync("/knives", new { name = " " });
        Assert.Equal(HttpStatusCode.BadRequest, blank.StatusCode);
        Assert.Equal("application/problem+json", blank.Content.Headers.ContentType?.MediaType);
        var missing = await http.DeleteAsync("/knives/999999");
        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json"), (missing.StatusCode, missing.Content.Headers.ContentType?.MediaType));
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync($"/magic-rings/{ring}")).StatusCode);

        var served = await http.GetStringAsync("/openapi/v1.json");
        await OpenApiLint.AssertCleanAsync(served, pack.NewFolder("lint-grown"), output); // two resources added, still clean
        using var document = JsonDocument.Parse(served);
        var paths = document.RootElement.GetProperty("paths");
        Assert.Equal("CreateMagicRing", paths.GetProperty("/magic-rings").GetProperty("post").GetProperty("operationId").GetString());
        Assert.True(paths.GetProperty("/knives/{id}").GetProperty("put").GetProperty("responses").TryGetProperty("503", out _));

        var schema = await Shell.RunAsync("sqlite3", ["data/app.db", ".schema magic_ring"], project);
        Assert.Contains("\"magic_ring\" (", schema.StandardOutput);
        Assert.Contains("\"name\" TEXT NOT NULL", schema.StandardOutput);
        Assert.Equal("Sting\n", (await Shell.RunAsync("sqlite3", ["data/app.db", "SELECT name FROM knife;"], project)).StandardOutput);
    }

    // Generated as grow-app in g/, then the folder renamed.
    [Fact]
    public async Task Postgres_service_gains_the_same_resources_and_its_tests_pass_on_the_server()
    {
        var folder = pack.NewFolder("renamed");
        await pack.NewAsync(["aegis", "-n", "grow-app", "-o", Path.Combine(folder, "g"), "--no-restore", "--db-provider", "postgres"]);
        Directory.Move(Path.Combine(folder, "g"), Path.Combine(folder, "grow-app-renamed"));
        await GrownProjectAsync(Path.Combine(folder, "grow-app-renamed"), sqlite: false);
    }

    [Fact]
    public async Task Output_for_a_multi_word_name_is_as_committed()
    {
        var project = await pack.GenerateAsync("--database");

        await Shell.RunAsync("dotnet", ["restore", "src/Api", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(5));
        await NewEntityAsync(project, "-n", "MagicRing", "--project", "src/Api/Api.csproj");

        var added = pack.NewFolder("magic-ring");
        foreach (var file in NewResourceFiles.Where(file => file.Contains("MagicRing")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(added, file))!);
            File.Copy(Path.Combine(project, file), Path.Combine(added, file));
        }

        await GoldenTree.AssertMatchesAsync("entity", added);
    }

    [Theory]
    [InlineData("my-sword", "The name is not usable")]
    [InlineData("1Sword", "The name is not usable")]
    [InlineData("sword", "The name is not usable")]
    [InlineData("Task", "The name is not usable")]
    [InlineData("Knife --plural Knife", "The plural is not usable")]
    [InlineData("Knife --plural knives", "The plural is not usable")]
    [InlineData("Equipment", "The name has no plural of its own")]
    [InlineData("Sword", "The project's root namespace is unknown")] // at the root, with no project to read it from
    public async Task Bad_input_writes_nothing_and_says_why(string arguments, string message)
    {
        var project = await pack.GenerateAsync("--database");
        var before = GoldenTree.Files(project);

        var result = await NewEntityAsync(project, ["-n", .. arguments.Split(' ')]);

        Assert.Contains(message + ", so nothing was written.", result.StandardOutput);
        Assert.Equal(before.Order(StringComparer.Ordinal), GoldenTree.Files(project).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_existing_resource_is_refused_without_force_and_nothing_changes()
    {
        var project = await pack.GenerateAsync("--database");
        await NewEntityAsync(project, "-n", "Sword", "--namespace", "my_project");
        var sword = Path.Combine(project, "src/Api/Swords/Sword.cs");
        File.AppendAllText(sword, "// the user's own line\n");
        var before = GoldenTree.Files(project);

        var again = await NewEntityAsync(project, ["-n", "Sword", "--namespace", "my_project"], check: false);

        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("--force", again.Output);
        Assert.EndsWith("// the user's own line\n", File.ReadAllText(sword));
        Assert.Equal(before.Order(StringComparer.Ordinal), GoldenTree.Files(project).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Outside_a_project_it_asks_for_the_namespace_and_with_one_it_uses_it()
    {
        var folder = pack.NewFolder("not-a-project");

        var unknown = await NewEntityAsync(folder, "-n", "Sword");
        Assert.Contains("The project's root namespace is unknown, so nothing was written.", unknown.StandardOutput);
        Assert.Contains("make resource name=<Name>", unknown.StandardOutput);
        Assert.Empty(GoldenTree.Files(folder));

        await NewEntityAsync(folder, "-n", "Sword", "--namespace", "Armoury");
        Assert.Contains("namespace Armoury.Api.Swords;", File.ReadAllText(Path.Combine(folder, "src/Api/Swords/Sword.cs")));
        Assert.Equal(["src/Api/Swords/Sword.cs", "src/Api/Swords/SwordsApi.cs", "tests/Api.Tests/Swords/SwordsApiTests.cs"], GoldenTree.Files(folder).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The project in <paramref name="project"/> with MagicRing added by <c>make resource</c> at its root and Person
    /// (plural People) and Knife (plural given: Knives) by the template run in <c>src/Api</c>, as an IDE's Add New Item
    /// runs it: before <c>make migration</c> its schema test fails and says what to run (checked on SQLite); after it,
    /// the project builds with warnings as errors and all its tests pass (on the test server for PostgreSQL).
    /// </summary>
    private async Task GrownProjectAsync(string project, bool sqlite)
    {
        await Shell.RunAsync("make", ["resource", "name=MagicRing"], project, pack.CliEnvironment, timeout: TimeSpan.FromMinutes(5));
        var api = Path.Combine(project, "src/Api");
        await NewEntityAsync(api, "-n", "Person");
        await NewEntityAsync(api, "-n", "Knife", "--plural", "Knives");
        Assert.All(NewResourceFiles, file => Assert.True(File.Exists(Path.Combine(project, file)), $"{file} was not written"));
        var rootNamespace = XDocument.Load(Path.Combine(api, "Api.csproj")).Descendants("RootNamespace").Single().Value;
        Assert.Contains($"namespace {rootNamespace}.People;", File.ReadAllText(Path.Combine(api, "People/Person.cs")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(api), entry => Path.GetFileName(entry) is "src" or "tests");

        Dictionary<string, string?>? environment = sqlite ? null
            : new() { ["TEST_DATABASE_URL"] = (await pack.PostgresAsync()).Url };
        if (sqlite) // the check is the same for both providers; one build of it is enough
        {
            await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
            var unmigrated = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false", "--filter", "FullyQualifiedName~SchemaTests"],
                project, check: false, timeout: TimeSpan.FromMinutes(5));
            Assert.NotEqual(0, unmigrated.ExitCode);
            Assert.Contains("The model has changes that no migration describes", unmigrated.Output);
        }

        await Shell.RunAsync("make", ["migration", "name=AddMagicRingsPeopleAndKnives"], project, timeout: TimeSpan.FromMinutes(5));
        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
        // The run's results file shows the new tests among those that passed (no second run to list them).
        var results = Path.Combine(pack.NewFolder("grown-tests"), "results.trx");
        var tests = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false", "--logger", $"trx;LogFileName={results}"],
            project, environment, timeout: TimeSpan.FromMinutes(5));
        var summary = TestSummary.Of(tests);
        Assert.Equal((0, 0), (summary.Failed, summary.Skipped));
        var passed = XDocument.Load(results).Descendants().Where(e => e.Name.LocalName == "UnitTestResult" && (string?)e.Attribute("outcome") == "Passed")
            .Select(e => (string?)e.Attribute("testName") ?? "").ToList();
        Assert.Equal(summary.Passed, passed.Count);
        Assert.Contains(passed, name => name.Contains(".MagicRingsApiTests.", StringComparison.Ordinal));
        Assert.Contains(passed, name => name.Contains(".KnivesApiTests.", StringComparison.Ordinal));
        Assert.Contains(passed, name => name.Contains(".PeopleApiTests.", StringComparison.Ordinal));
    }

    private Task<ShellResult> NewEntityAsync(string folder, params string[] arguments) => NewEntityAsync(folder, arguments, check: true);

    private Task<ShellResult> NewEntityAsync(string folder, string[] arguments, bool check) =>
        Shell.RunAsync("dotnet", ["new", "aegis-entity", .. arguments, "--debug:custom-hive", pack.Hive], folder, check: check);
}
