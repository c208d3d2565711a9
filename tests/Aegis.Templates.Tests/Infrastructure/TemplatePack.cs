using System.Collections.Concurrent;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// The pack, built once per test run and installed into a hive of its own (<c>--debug:custom-hive</c>), so the
/// user's installed templates are never touched. Generated projects live in a temporary folder outside this
/// repository, so its Directory.Build.props cannot leak into them; each option set is built at most once. The library
/// they reference is packed beside the pack, into <see cref="PackagesFolder"/>, which every restore of this test run
/// reads (<c>RestoreAdditionalProjectSources</c>), never a network feed.
/// </summary>
public sealed class TemplatePack : IAsyncLifetime
{
    public const string ProjectName = "my-project";

    private int folders;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> projectsMadeOnce = new();

    private readonly Lazy<Task<PostgresServer>> postgres = new(PostgresServer.StartAsync);

    public string WorkRoot { get; } = Directory.CreateTempSubdirectory("aegis-tests-").FullName;

    public string Hive => Path.Combine(WorkRoot, "hive");

    public string PackageFile { get; private set; } = "";

    /// <summary>The template pack and the library's packages, as built from this checkout.</summary>
    public string PackagesFolder => Path.Combine(WorkRoot, "packages");

    public ShellResult Install { get; private set; } = null!;

    /// <summary>
    /// For commands that run <c>dotnet new</c> themselves (<c>make resource</c>): a <c>DOTNET_CLI_HOME</c> whose default hive
    /// holds the pack, and the usual NuGet package folder, which would otherwise move into that home.
    /// </summary>
    public IReadOnlyDictionary<string, string?> CliEnvironment { get; private set; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var packages = PackagesFolder;
        foreach (var project in Repo.LibraryProjects.Prepend(Repo.PackProject))
        {
            await Shell.RunAsync("dotnet", ["pack", project, "--output", packages, "-nologo", "-v", "q"], Repo.Root);
        }

        PackageFile = Directory.GetFiles(packages, "Aegis.Templates.*.nupkg").Single();
        UseLibraryAsBuilt(packages);
        Install = await NewAsync(["install", PackageFile]);

        var cliHome = Directory.CreateDirectory(Path.Combine(WorkRoot, "cli-home")).FullName;
        var nugetPackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        CliEnvironment = new Dictionary<string, string?> { ["DOTNET_CLI_HOME"] = cliHome, ["NUGET_PACKAGES"] = nugetPackages };
        await Shell.RunAsync("dotnet", ["new", "install", PackageFile], WorkRoot, CliEnvironment);
    }

    /// <summary>
    /// Makes every restore that this test run starts find the library in <paramref name="packages"/>, and never a copy
    /// of the same version cached by an earlier run: the version stays the pack's until a release, so the cached copies
    /// are deleted first.
    /// </summary>
    private static void UseLibraryAsBuilt(string packages)
    {
        System.Environment.SetEnvironmentVariable("RestoreAdditionalProjectSources", packages);
        var cache = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var cached in Directory.Exists(cache) ? Directory.GetDirectories(cache, "aegis.database*") : [])
        {
            Directory.Delete(cached, recursive: true);
        }
    }

    public async Task DisposeAsync()
    {
        await CompilerServer.StopAsync();
        if (postgres.IsValueCreated && postgres.Value.IsCompletedSuccessfully)
        {
            await (await postgres.Value).DisposeAsync();
        }

        if (System.Environment.GetEnvironmentVariable("AEGIS_KEEP_TEST_OUTPUT") is null)
        {
            Directory.Delete(WorkRoot, recursive: true);
        }
    }

    /// <summary>The PostgreSQL server of this run, started by the first test that needs it.</summary>
    public Task<PostgresServer> PostgresAsync() => postgres.Value;

    /// <summary><c>dotnet new …</c> against this run's hive.</summary>
    public Task<ShellResult> NewAsync(IEnumerable<string> arguments, string? workingDirectory = null, bool check = true) =>
        Shell.RunAsync("dotnet", ["new", .. arguments, "--debug:custom-hive", Hive], workingDirectory ?? WorkRoot, check: check);

    /// <summary>A fresh <c>dotnet new aegis -n my-project</c> with <paramref name="options"/>; returns the project folder.</summary>
    public async Task<string> GenerateAsync(params string[] options)
    {
        var output = Path.Combine(NewFolder("gen"), ProjectName);
        await NewAsync(["aegis", "--name", ProjectName, "--output", output, "--no-restore", .. options]);
        return output;
    }

    /// <summary>A new empty folder below this run's work folder.</summary>
    public string NewFolder(string prefix) =>
        Directory.CreateDirectory(Path.Combine(WorkRoot, $"{prefix}-{Interlocked.Increment(ref folders)}")).FullName;

    /// <summary>
    /// A <c>dotnet new aegis -n my-project</c> with <paramref name="options"/> generated once per run for the tests that
    /// name the same <paramref name="purpose"/>; they may build in it, but must not change its files.
    /// </summary>
    public Task<string> SharedAsync(string purpose, params string[] options) =>
        OncePerRun($"generated for {purpose}: {string.Join(' ', options)}", () => GenerateAsync(options));

    /// <summary>The service's dll in a project built by <see cref="BuiltAsync"/>.</summary>
    public static string ApiDll(string project) => Path.Combine(project, "src/Api/bin/Debug/net10.0/Api.dll");

    /// <summary>
    /// The project for <paramref name="options"/>, generated and built with warnings as errors once per run, with the
    /// tests of <c>InGenerated/</c> added to its own (<see cref="AddInGeneratedTests"/>).
    /// </summary>
    public Task<string> BuiltAsync(params string[] options) =>
        OncePerRun($"built: {string.Join(' ', options)}", async () =>
        {
            var project = await GenerateAsync(options);
            AddInGeneratedTests(project, options);
            await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
            return project;
        });

    /// <summary>
    /// Tests of what a generated project does beyond what its own tests show: InGenerated/Service/ (the service defaults)
    /// in every project, and InGenerated/Database/ (the session helper beyond its patterns, the OpenAPI conventions on the
    /// example) in a database project without Aspire, whose API is the same code. They are written as the template would
    /// write them: in the namespace of <see cref="ProjectName"/>, with the template's provider symbol defined.
    /// </summary>
    public static void AddInGeneratedTests(string project, string[] options)
    {
        var database = options.Any(option => option is "--database" or "--db-provider");
        var folders = database && !options.Contains("--aspire") ? new[] { "Service", "Database" } : ["Service"];
        var symbols = !database ? "" : options.Contains("postgres") ? "#define UsePostgres\n" : "#define UseSqlite\n";
        foreach (var folder in folders)
        {
            var target = Directory.CreateDirectory(Path.Combine(project, "tests/Api.Tests/InGenerated", folder)).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "InGenerated", folder), "*.cs"))
            {
                var source = File.ReadAllText(file).Replace("AegisApp.", ProjectName.Replace('-', '_') + ".", StringComparison.Ordinal);
                File.WriteAllText(Path.Combine(target, Path.GetFileName(file)), symbols + source);
            }
        }
    }

    // The first caller with KEY makes the project; every later one gets the same folder (or the same failure).
    private Task<string> OncePerRun(string key, Func<Task<string>> make) =>
        projectsMadeOnce.GetOrAdd(key, _ => new Lazy<Task<string>>(make)).Value;
}

[CollectionDefinition(Name)]
public sealed class TemplatePackCollection : ICollectionFixture<TemplatePack>
{
    // One collection: the tests share the installed pack and its builds, and run one after another so that
    // builds and servers do not compete for the machine's two cores.
    public const string Name = "template pack";
}
