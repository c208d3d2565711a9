using System.Collections.Concurrent;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// The pack, built once per test run and installed into a hive of its own (<c>--debug:custom-hive</c>), so the
/// user's installed templates are never touched. Generated projects live in a temporary folder outside this
/// repository, so its Directory.Build.props cannot leak into them; each option set is built at most once.
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

    public ShellResult Install { get; private set; } = null!;

    /// <summary>
    /// For commands that run <c>dotnet new</c> themselves (<c>make resource</c>): a <c>DOTNET_CLI_HOME</c> whose default hive
    /// holds the pack, and the usual NuGet package folder, which would otherwise move into that home.
    /// </summary>
    public IReadOnlyDictionary<string, string?> CliEnvironment { get; private set; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var packages = Path.Combine(WorkRoot, "packages");
        await Shell.RunAsync("dotnet", ["pack", Repo.PackProject, "--output", packages, "-nologo", "-v", "q"], Repo.Root);
        PackageFile = Directory.GetFiles(packages, "Aegis.Templates.*.nupkg").Single();
        Install = await NewAsync(["install", PackageFile]);

        var cliHome = Directory.CreateDirectory(Path.Combine(WorkRoot, "cli-home")).FullName;
        var nugetPackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        CliEnvironment = new Dictionary<string, string?> { ["DOTNET_CLI_HOME"] = cliHome, ["NUGET_PACKAGES"] = nugetPackages };
        await Shell.RunAsync("dotnet", ["new", "install", PackageFile], WorkRoot, CliEnvironment);
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

    /// <summary>The project for <paramref name="options"/>, generated and built with warnings as errors once per run.</summary>
    public Task<string> BuiltAsync(params string[] options) =>
        OncePerRun($"built: {string.Join(' ', options)}", async () =>
        {
            var project = await GenerateAsync(options);
            await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
            return project;
        });

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
