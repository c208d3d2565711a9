using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Aegis.Templates.Tests.Infrastructure;
using CliWrap;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Aegis.Templates.Tests;

/// <summary>
/// <c>dotnet new aegis-database</c> gives any ASP.NET Core project the database component: in projects made by the real
/// <c>dotnet new web</c> and <c>dotnet new webapi</c>, the files it adds take the project's root namespace, the two lines
/// it prints go into Program.cs as printed, the project builds with warnings as errors, <c>dotnet run</c> creates
/// <c>data/app.db</c> where the library's rule puts it and serves the Shield example, and <c>dotnet new aegis-entity</c>
/// then adds a resource. It never overwrites a file, and its texts and versions come from one place.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed partial class DatabaseItemTemplateTests(TemplatePack pack, ITestOutputHelper output)
{
    private const string Folder = "aegis-database";

    /// <summary>What the template adds with SQLite and a tool manifest, besides the package references.</summary>
    private static readonly string[] AddedFiles =
    [
        ".config/dotnet-tools.json",
        "Database/AppDbContext.cs",
        "Database/DatabaseExtensions.cs",
        "Database/DbSession.cs",
        "Database/Migrations/20261203085956_InitialCreate.Designer.cs",
        "Database/Migrations/20261203085956_InitialCreate.cs",
        "Database/Migrations/AppDbContextModelSnapshot.cs",
        "Database/UnitOfWorkFilter.cs",
        "Database/Usings.cs",
        "Shields/Shield.cs",
        "Shields/ShieldsApi.cs",
    ];

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    // Project Shop in the folder shop-web: the namespace comes from the project, not from the folder. No solution file
    // above it, so data/ is the project's. The same project then refuses a second run and takes a resource.
    [Fact]
    public async Task Web_project_gains_the_database_serves_shields_from_its_own_data_folder_and_takes_a_resource()
    {
        var project = Path.Combine(pack.NewFolder("db-web"), "checkout", "shop-web");
        await pack.NewAsync(["web", "-n", "Shop", "-o", project]);
        var before = GoldenTree.Files(project);

        var added = await pack.NewAsync([Folder], project);

        Assert.Equal(AddedFiles, GoldenTree.Files(project).Except(before).Where(IsSource).Order(StringComparer.Ordinal));
        AssertNamespace(project, "Shop");
        var csproj = File.ReadAllText(Path.Combine(project, "Shop.csproj"));
        Assert.Contains("<PackageReference Include=\"Aegis.Database.Sqlite\" Version=\"0.2.0\" />", csproj);
        Assert.DoesNotContain("Aegis.Database.PostgreSQL", csproj);
        Assert.Contains("\"dotnet-ef\"", File.ReadAllText(Path.Combine(project, ".config/dotnet-tools.json")));
        Assert.Contains("Add data/ to .gitignore", added.StandardOutput);
        AddPrintedLinesToProgram(project, added.StandardOutput);
        await BuildAsync(project);

        await using (var app = await StartedAppAsync(project))
        {
            await AssertServesShieldsAsync(app);
        }

        Assert.True(File.Exists(Path.Combine(project, "data/app.db")), "dotnet run created no data/app.db in the project's folder");

        // A second run would overwrite every file: it writes nothing and names them.
        var files = Snapshot(project);
        var again = await pack.NewAsync([Folder], project, check: false);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("Overwrite   ./Database/AppDbContext.cs", again.Output);
        Assert.Contains("Overwrite   ./.config/dotnet-tools.json", again.Output);
        Assert.Equal(files, Snapshot(project));

        // The resource template reads the same root namespace and finds what it uses: IEndpoints, Page and WithTag from
        // Aegis.Hosting (through Database/Usings.cs), DbSession and WithUnitOfWork from the added source.
        await pack.NewAsync(["aegis-entity", "-n", "MagicRing"], project);
        Assert.Contains("namespace Shop.MagicRings;", File.ReadAllText(Path.Combine(project, "MagicRings/MagicRing.cs")));
        await BuildAsync(project);
    }

    // Project Inventory in src/inventory-api below a solution file, with a RootNamespace of its own (Acme.Inventory).
    [Fact]
    public async Task Webapi_project_below_a_solution_keeps_its_data_in_the_solution_folder_and_its_own_root_namespace()
    {
        var solution = pack.NewFolder("db-webapi");
        await pack.NewAsync(["sln", "-n", "Store", "-o", solution]);
        var project = Path.Combine(solution, "src", "inventory-api");
        await pack.NewAsync(["webapi", "-n", "Inventory", "-o", project]);
        var csprojPath = Path.Combine(project, "Inventory.csproj");
        var csproj = XDocument.Load(csprojPath);
        csproj.Root!.Element("PropertyGroup")!.Add(new XElement("RootNamespace", "Acme.Inventory"));
        csproj.Save(csprojPath);

        var added = await pack.NewAsync([Folder], project);

        AssertNamespace(project, "Acme.Inventory");
        AddPrintedLinesToProgram(project, added.StandardOutput);
        await BuildAsync(project);
        await using (var app = await StartedAppAsync(project))
        {
            await AssertServesShieldsAsync(app);
        }

        Assert.True(File.Exists(Path.Combine(solution, "data/app.db")), "dotnet run created no data/app.db beside Store.slnx");
        Assert.False(Directory.Exists(Path.Combine(project, "data")), "the database went to the project's folder, not the solution's");
    }

    // Project 2nd-ledger with a tool manifest of its own, and without the RootNamespace that dotnet new writes for such a
    // name (as a project file written by hand or renamed has none): MSBuild's default, 2nd-ledger, is no C# namespace.
    [Fact]
    public async Task Postgres_variant_builds_and_a_project_with_a_tool_manifest_keeps_it_untouched()
    {
        var project = Path.Combine(pack.NewFolder("db-postgres"), "2nd-ledger");
        await pack.NewAsync(["web", "-n", "2nd-ledger", "-o", project]);
        var csprojPath = Path.Combine(project, "2nd-ledger.csproj");
        var csprojXml = XDocument.Load(csprojPath);
        csprojXml.Descendants("RootNamespace").Single().Remove();
        csprojXml.Save(csprojPath);
        var manifest = Path.Combine(Directory.CreateDirectory(Path.Combine(project, ".config")).FullName, "dotnet-tools.json");
        const string ownManifest = "{\n  \"version\": 1,\n  \"isRoot\": true,\n  \"tools\": {}\n}\n";
        File.WriteAllText(manifest, ownManifest);
        var before = Snapshot(project);

        var refused = await pack.NewAsync([Folder, "--db-provider", "postgres"], project, check: false);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Overwrite   ./.config/dotnet-tools.json", refused.Output);
        Assert.Equal(before, Snapshot(project));

        var added = await pack.NewAsync([Folder, "--db-provider", "postgres", "--no-tool-manifest"], project);

        Assert.Equal(ownManifest, File.ReadAllText(manifest));
        Assert.Contains("\n    dotnet tool install dotnet-ef --version 10.0.15\n", added.StandardOutput.ReplaceLineEndings("\n"));
        Assert.Contains("DATABASE_URL", added.StandardOutput);
        AssertNamespace(project, "_2nd_ledger");
        Assert.Contains("NpgsqlModelBuilderExtensions", File.ReadAllText(Path.Combine(project, "Database/Migrations/AppDbContextModelSnapshot.cs")));
        Assert.Contains("AddPostgresDatabase<AppDbContext>", File.ReadAllText(Path.Combine(project, "Database/DatabaseExtensions.cs")));
        var csproj = File.ReadAllText(csprojPath);
        Assert.Contains("<PackageReference Include=\"Aegis.Database.PostgreSQL\" Version=\"0.2.0\" />", csproj);
        Assert.DoesNotContain("Aegis.Database.Sqlite", csproj);
        AddPrintedLinesToProgram(project, added.StandardOutput);
        await BuildAsync(project);
    }

    [Fact]
    public async Task Outside_a_project_it_writes_nothing_and_says_how_to_name_the_namespace()
    {
        var folder = pack.NewFolder("db-no-project");

        var result = await pack.NewAsync([Folder], folder);

        Assert.Contains("The project's root namespace is unknown, so nothing was written.", result.StandardOutput);
        Assert.Contains("--namespace", result.StandardOutput);
        Assert.DoesNotContain("Adding a package reference", result.StandardOutput);
        Assert.Empty(GoldenTree.Files(folder));
    }

    [Fact]
    public async Task Help_lists_every_option_as_committed()
    {
        var help = await pack.NewAsync([Folder, "--help"]);

        await GoldenFile.AssertMatchesAsync("database-help.txt", help.StandardOutput);
    }

    /// <summary>
    /// The checks that TemplateConfigTests runs on every template of <see cref="TemplateJson.Folders"/>, run on this one;
    /// and the conditions in the files it takes from content/aegis name only symbols that it defines.
    /// </summary>
    [Fact]
    public void Template_passes_the_checks_of_every_template_and_its_shared_files_know_its_symbols()
    {
        var checks = new TemplateConfigTests(pack);
        checks.Every_symbol_a_condition_or_a_template_file_uses_exists(Folder);
        checks.Every_choice_and_parameter_has_a_description(Folder);
        checks.Post_actions_name_primary_outputs_that_exist(Folder);
        checks.Host_files_name_only_existing_parameters_and_the_ide_lists_all_of_them(Folder);
        checks.Ide_icon_is_a_png_of_at_least_32_pixels(Folder);
        checks.Every_user_facing_string_is_localized_in_every_language_and_no_key_is_stale(Folder);

        var template = new TemplateJson(Folder);
        var symbols = template.Template["symbols"]!.AsObject().Select(s => s.Key).ToHashSet();
        using var package = ZipFile.OpenRead(pack.PackageFile);
        var shared = package.Entries.Where(e => e.FullName.StartsWith($"content/{Folder}/", StringComparison.Ordinal) && e.FullName.EndsWith(".cs", StringComparison.Ordinal)).ToList();
        Assert.True(shared.Count >= 10, $"The package holds {shared.Count} source files for {Folder}.");
        var used = shared.SelectMany(entry => Condition().Matches(new StreamReader(entry.Open()).ReadToEnd()))
            .SelectMany(condition => Identifier().Matches(condition.Groups["expression"].Value).Select(m => m.Value)).ToHashSet();
        Assert.Contains("UsePostgres", used);
        Assert.Subset(symbols, used);
    }

    /// <summary>
    /// The Aegis packages are added at the pack's version (Directory.Build.props), the other packages at the versions the
    /// project template pins (content/aegis/Directory.Packages.props), and dotnet-ef at the project template's version,
    /// in the added manifest and in every text that names it, in every language.
    /// </summary>
    [Fact]
    public void Versions_are_the_packs_and_the_project_templates()
    {
        var version = XDocument.Load(Path.Combine(Repo.Root, "Directory.Build.props")).Descendants("Version").Single().Value;
        var pinned = XDocument.Load(Path.Combine(Repo.TemplateContent, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!);
        var template = new TemplateJson(Folder);
        var references = template.Template["postActions"]!.AsArray()
            .Where(a => (string?)a!["actionId"] == "B17581D1-C5C9-4489-8F0A-004BE667B814")
            .Select(a => ((string)a!["args"]!["reference"]!, (string)a["args"]!["version"]!)).ToList();
        Assert.Equal(5, references.Count);
        foreach (var (package, packageVersion) in references)
        {
            Assert.Equal((package, package.StartsWith("Aegis.", StringComparison.Ordinal) ? version : pinned[package]), (package, packageVersion));
        }

        static string DotnetEf(string manifest) =>
            (string)JsonNode.Parse(File.ReadAllText(manifest))!["tools"]!["dotnet-ef"]!["version"]!;
        var dotnetEf = DotnetEf(Path.Combine(Repo.TemplateContent, ".config/dotnet-tools.json"));
        Assert.Equal(dotnetEf, DotnetEf(Path.Combine(template.Content, ".config/dotnet-tools.json")));
        var texts = new[] { "template.json", "localize/templatestrings.en.json", "localize/templatestrings.de.json", "localize/templatestrings.fr.json", "localize/templatestrings.ja.json" }
            .Select(file => File.ReadAllText(Path.Combine(template.ConfigFolder, file))).ToList();
        var named = texts.SelectMany(text => DotnetEfVersion().Matches(text).Select(m => m.Groups["version"].Value)).ToList();
        Assert.True(named.Count >= 5 * 4, $"Found {named.Count} mentions of dotnet-ef's version.");
        Assert.All(named, v => Assert.Equal(dotnetEf, v));
        var aegisVersions = texts.SelectMany(text => AegisPackageVersion().Matches(text).Select(m => m.Groups["version"].Value)).ToList();
        Assert.True(aegisVersions.Count >= 5 * 2, $"Found {aegisVersions.Count} mentions of the Aegis packages' version.");
        Assert.All(aegisVersions, v => Assert.Equal(version, v));
    }

    private static bool IsSource(string path) => !path.StartsWith("obj/", StringComparison.Ordinal) && !path.StartsWith("bin/", StringComparison.Ordinal);

    /// <summary>Every added C# file is in <paramref name="rootNamespace"/>, and nothing of the template's own name is left.</summary>
    private static void AssertNamespace(string project, string rootNamespace)
    {
        Assert.Contains($"namespace {rootNamespace}.Database;", File.ReadAllText(Path.Combine(project, "Database/AppDbContext.cs")));
        Assert.Contains($"namespace {rootNamespace}.Shields;", File.ReadAllText(Path.Combine(project, "Shields/ShieldsApi.cs")));
        Assert.Contains($"namespace {rootNamespace}.Database.Migrations", File.ReadAllText(Path.Combine(project, "Database/Migrations/AppDbContextModelSnapshot.cs")));
        Assert.Contains($"global using {rootNamespace}.Database;", File.ReadAllText(Path.Combine(project, "Database/Usings.cs")));
        foreach (var file in Directory.GetFiles(Path.Combine(project, "Database"), "*.cs", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(project, "Shields"), "*.cs")))
        {
            var text = File.ReadAllText(file);
            Assert.False(text.Contains("AegisApp", StringComparison.Ordinal) || text.Contains("#if", StringComparison.Ordinal), $"{file} still holds template text");
        }
    }

    /// <summary>
    /// Adds the code lines of the printed instructions to Program.cs, each as printed: the <c>builder.</c> line before
    /// <c>builder.Build()</c>, the <c>app.</c> line before <c>app.Run()</c>, <c>using</c> lines at the top.
    /// </summary>
    private void AddPrintedLinesToProgram(string project, string printed)
    {
        var code = printed.ReplaceLineEndings("\n").Split('\n').Where(line => line.StartsWith("    ", StringComparison.Ordinal))
            .Select(line => line.Trim()).Where(line => CodeLine().IsMatch(line)).ToList();
        Assert.Equal(["builder.AddDatabase();", "app.MapEndpoints();"], code.Where(line => !line.StartsWith("using ", StringComparison.Ordinal)));
        var path = Path.Combine(project, "Program.cs");
        var lines = File.ReadAllLines(path).ToList();
        lines.Insert(lines.FindIndex(line => line.Contains("builder.Build()", StringComparison.Ordinal)), code.Single(line => line.StartsWith("builder.", StringComparison.Ordinal)));
        lines.Insert(lines.FindIndex(line => line.Trim() == "app.Run();"), code.Single(line => line.StartsWith("app.", StringComparison.Ordinal)));
        lines.InsertRange(0, code.Where(line => line.StartsWith("using ", StringComparison.Ordinal)));
        File.WriteAllLines(path, lines);
        output.WriteLine($"Program.cs of {Path.GetFileName(project)}:\n{string.Join('\n', lines)}");
    }

    private static Task BuildAsync(string project) =>
        Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: BuildTimeout);

    private static async Task AssertServesShieldsAsync(App app)
    {
        var created = await app.Http.PostAsJsonAsync("/shields", new { name = "Aegis" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"POST /shields: {(int)created.StatusCode}\n{await created.Content.ReadAsStringAsync()}\n{app.Output}");
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal($"/shields/{id}", created.Headers.Location?.OriginalString);
        using var shield = JsonDocument.Parse(await app.Http.GetStringAsync($"/shields/{id}"));
        Assert.Equal("Aegis", shield.RootElement.GetProperty("name").GetString());
    }

    /// <summary>Every file of the project but its build output, with its bytes.</summary>
    private static Dictionary<string, string> Snapshot(string project) =>
        GoldenTree.Files(project).Where(IsSource).Order(StringComparer.Ordinal)
            .ToDictionary(path => path, path => Convert.ToBase64String(File.ReadAllBytes(Path.Combine(project, path))));

    /// <summary>
    /// <c>dotnet run --no-build</c> in <paramref name="project"/> (its launch profile: Development), on a free loopback
    /// port, once <c>GET /shields/0</c> answers. A plain web project maps no <c>/health</c>, which RunningService waits for.
    /// </summary>
    private async Task<App> StartedAppAsync(string project)
    {
        var app = new App(RunningService.FreePort());
        app.Start(project);
        var started = DateTime.UtcNow;
        try
        {
            await Poll.UntilAsync(async () =>
            {
                if (app.Exited)
                {
                    throw new XunitException("dotnet run exited before it served.");
                }

                try
                {
                    using var response = await app.Http.GetAsync("/shields/0");
                    return response.StatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    return (HttpStatusCode)0; // not listening yet
                }
            }, status => status != 0, TimeSpan.FromMinutes(2), "GET /shields/0 to answer", TimeSpan.FromMilliseconds(250));
        }
        catch (XunitException e)
        {
            await app.DisposeAsync();
            throw new XunitException($"dotnet run in {project}: {e.Message}\n{app.Output}");
        }

        output.WriteLine($"{Path.GetFileName(project)} served after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
        return app;
    }

    private sealed class App(int port) : IAsyncDisposable
    {
        private readonly StringBuilder output = new();
        private readonly CancellationTokenSource kill = new();
        private CommandTask<CommandResult>? process;

        public HttpClient Http { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };

        public bool Exited => process?.Task.IsCompleted ?? true;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        // In a session of its own (setsid), so that the signal reaches dotnet run and the app it started.
        public void Start(string project) =>
            process = Cli.Wrap("setsid")
                .WithArguments(["dotnet", "run", "--no-build", "--", "--urls", $"http://127.0.0.1:{port}"])
                .WithWorkingDirectory(project)
                .WithEnvironmentVariables(Shell.Merge(null))
                .WithStandardOutputPipe(PipeTarget.ToDelegate(Append))
                .WithStandardErrorPipe(PipeTarget.ToDelegate(Append))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(kill.Token);

        public async ValueTask DisposeAsync()
        {
            if (process is not null)
            {
                await Shell.RunAsync("kill", ["-KILL", "--", $"-{process.ProcessId}"], "/", check: false);
                await Task.WhenAny(process.Task, Task.Delay(TimeSpan.FromSeconds(30)));
            }

            kill.Dispose();
            Http.Dispose();
        }

        private void Append(string line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"^(builder\.\w+\(\);|app\.\w+\(\);|using [\w.]+;)$")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"#(?:if|elif|elseif)\s*\((?<expression>.*)\)")]
    private static partial Regex Condition();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"dotnet-ef (?:--version )?(?<version>\d+\.\d+\.\d+)")]
    private static partial Regex DotnetEfVersion();

    [GeneratedRegex(@"Aegis\.Database\.\w+ --version (?<version>\d+\.\d+\.\d+)")]
    private static partial Regex AegisPackageVersion();
}
