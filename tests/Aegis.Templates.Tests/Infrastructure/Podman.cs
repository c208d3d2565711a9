using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CliWrap;
using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// podman for the container tests, kept apart from anything else podman holds on this machine: its own
/// containers.conf (runc, cgroupfs, ulimits within this machine's hard limits, its own CNI folder) and storage
/// (<see cref="CacheRoot"/>/podman), pointed to by <c>CONTAINERS_CONF</c> and <c>CONTAINERS_STORAGE_CONF</c>, and its
/// own Docker-compatible socket (<c>podman system service</c>, started here and stopped at the end) that
/// <c>docker-compose</c> drives through <c>DOCKER_HOST</c>. The base images the generated Dockerfile and compose files
/// name are local stand-ins built by <c>standins.sh</c> once and cached in <see cref="CacheRoot"/> between runs.
/// </summary>
public sealed class Podman : IAsyncLifetime
{
    /// <summary>Outside the repository and every temporary folder: <c>AEGIS_TEST_CACHE</c>, or /var/cache/aegis-tests.</summary>
    public static string CacheRoot { get; } =
        System.Environment.GetEnvironmentVariable("AEGIS_TEST_CACHE") is { Length: > 0 } cache ? cache : "/var/cache/aegis-tests";

    private const string RunRoot = "/run/aegis-tests";

    private static readonly TimeSpan StandInsTimeout = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan ServiceTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder serviceOutput = new();
    private readonly CancellationTokenSource forceful = new();
    private readonly CancellationTokenSource graceful = new();
    private CommandTask<CommandResult>? service;

    public string Socket => Path.Combine(RunRoot, "podman.sock");

    /// <summary>What every podman and docker-compose command of these tests runs with.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    /// <summary>What building or finding the stand-ins printed, and how long it took.</summary>
    public string StandIns { get; private set; } = "";

    public Podman()
    {
        var folder = Path.Combine(CacheRoot, "podman");
        Environment = new Dictionary<string, string?>
        {
            ["CONTAINERS_CONF"] = Path.Combine(folder, "containers.conf"),
            ["CONTAINERS_STORAGE_CONF"] = Path.Combine(folder, "storage.conf"),
            ["DOCKER_HOST"] = $"unix://{Socket}",
            ["COMPOSE_INTERACTIVE_NO_CLI"] = "1",
        };
    }

    public async Task InitializeAsync()
    {
        if (PodmanFactAttribute.SkipReason is not null)
        {
            return; // xunit creates class fixtures even when every test of the class is skipped
        }

        var folder = Directory.CreateDirectory(Path.Combine(CacheRoot, "podman")).FullName;
        Directory.CreateDirectory(RunRoot);
        // podman's default ulimits exceed what an unprivileged container may set here ("setrlimit … Operation not
        // permitted"); crun refuses the hybrid cgroup layout and there is no systemd to manage cgroups.
        File.WriteAllText(Environment["CONTAINERS_CONF"]!, $"""
            [containers]
            default_ulimits = ["nofile={HardLimit("Max open files", 16384)}", "nproc={HardLimit("Max processes", 4096)}"]

            [engine]
            runtime = "runc"
            cgroup_manager = "cgroupfs"
            events_logger = "file"

            [network]
            network_config_dir = "{Path.Combine(folder, "cni")}"

            """);
        File.WriteAllText(Environment["CONTAINERS_STORAGE_CONF"]!, $"""
            [storage]
            driver = "overlay"
            graphroot = "{Path.Combine(folder, "storage")}"
            runroot = "{Path.Combine(RunRoot, "storage")}"

            """);

        var watch = Stopwatch.StartNew();
        var standIns = await Shell.RunAsync("bash", [Path.Combine(Repo.Root, "tests/Aegis.Templates.Tests/Infrastructure/standins.sh"), CacheRoot],
            CacheRoot, Environment, timeout: StandInsTimeout);
        StandIns = $"{standIns.StandardOutput.Trim()} ({watch.Elapsed.TotalSeconds:0} s)";
        // Build layers of generated projects are kept between runs (ContainerTests); those older than a week go.
        await RunAsync(["image", "prune", "--force", "--filter", "until=168h"]);

        File.Delete(Socket);
        service = Cli.Wrap("podman")
            .WithArguments(["system", "service", "--time=0", $"unix://{Socket}"])
            .WithEnvironmentVariables(Shell.Merge(Environment))
            .WithStandardOutputPipe(PipeTarget.ToStringBuilder(serviceOutput))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(serviceOutput))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(forceful.Token, graceful.Token);
        await WaitForSocketAsync();
    }

    public async Task DisposeAsync()
    {
        if (service is not null)
        {
            graceful.Cancel();
            if (await Task.WhenAny(service.Task, Task.Delay(ServiceTimeout)) != service.Task)
            {
                forceful.Cancel();
            }

            try
            {
                await service.Task.WaitAsync(ServiceTimeout);
            }
            catch (OperationCanceledException)
            {
                // stopped, as asked
            }
        }

        File.Delete(Socket);
        forceful.Dispose();
        graceful.Dispose();
    }

    /// <summary>
    /// Makes the SDK stand-in (<c>mcr.microsoft.com/dotnet/sdk:10.0</c>) serve the library's packages of this run as a
    /// NuGet source of its own, as nuget.org serves them to users: the Dockerfile restores inside its build context,
    /// where no folder of this machine is visible, and a generated project carries no NuGet.config of ours.
    /// </summary>
    public Task UseLibraryAsync(string packages) => library ??= BuildSdkWithLibraryAsync(packages);

    private Task? library;

    private async Task BuildSdkWithLibraryAsync(string packages)
    {
        var context = Directory.CreateTempSubdirectory("aegis-sdk-").FullName;
        try
        {
            var feed = Directory.CreateDirectory(Path.Combine(context, "packages")).FullName;
            foreach (var package in Directory.GetFiles(packages, "Aegis.*.nupkg").Where(file => !Path.GetFileName(file).StartsWith("Aegis.Templates.")))
            {
                File.Copy(package, Path.Combine(feed, Path.GetFileName(package)));
            }

            File.WriteAllText(Path.Combine(context, "Containerfile"), """
                FROM localhost/aegis/sdk-standin:10.0
                COPY packages/ /aegis-packages/
                RUN dotnet nuget add source /aegis-packages --name aegis-library
                """);
            await RunAsync(["build", "--tag", "mcr.microsoft.com/dotnet/sdk:10.0", context], timeout: TimeSpan.FromMinutes(5));
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }

    /// <summary><c>podman …</c> against the tests' storage.</summary>
    public Task<ShellResult> RunAsync(IEnumerable<string> arguments, bool check = true, TimeSpan? timeout = null) =>
        Shell.RunAsync("podman", arguments, "/", Environment, timeout: timeout ?? TimeSpan.FromMinutes(2), check: check);

    /// <summary><c>docker-compose</c> in <paramref name="project"/> against the tests' podman, with <paramref name="variables"/>.</summary>
    public Compose ComposeIn(string project, IReadOnlyDictionary<string, string?> variables, string? file = null) =>
        new(this, project, new Dictionary<string, string?>(Environment.Concat(variables)), file);

    /// <summary>
    /// Runs <c>podman healthcheck run</c> on <paramref name="container"/> until it passes: without systemd, podman runs
    /// no healthcheck by itself. Fails after <paramref name="attempts"/> attempts one second apart.
    /// </summary>
    public async Task WaitHealthyAsync(string container, int attempts = 90)
    {
        ShellResult? last = null;
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            last = await RunAsync(["healthcheck", "run", container], check: false, timeout: TimeSpan.FromSeconds(30));
            if (last.ExitCode == 0)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var logs = await RunAsync(["logs", container], check: false);
        throw new XunitException($"{container} was not healthy after {attempts} healthchecks.\n{last}\n--- logs\n{logs.Output}");
    }

    /// <summary>The names of the containers of compose project <paramref name="project"/>, running or not.</summary>
    public async Task<string[]> ContainersAsync(string project, string? service = null)
    {
        string[] filters = ["--filter", $"label=com.docker.compose.project={project}",
            .. service is null ? Array.Empty<string>() : ["--filter", $"label=com.docker.compose.service={service}"]];
        var listed = await RunAsync(["ps", "--all", "--format", "{{.Names}}", .. filters]);
        return listed.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();
    }

    private async Task WaitForSocketAsync()
    {
        var deadline = DateTime.UtcNow + ServiceTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (service!.Task.IsCompleted)
            {
                throw new XunitException($"podman system service exited at once.\n{serviceOutput}");
            }

            if (File.Exists(Socket))
            {
                try
                {
                    using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(Socket));
                    return;
                }
                catch (SocketException)
                {
                    // not listening yet
                }
            }

            await Task.Delay(100);
        }

        throw new XunitException($"podman system service did not listen on {Socket} within {ServiceTimeout.TotalSeconds} s.\n{serviceOutput}");
    }

    // "Max open files  20000  20000  files" in /proc/self/limits: the hard limit, or `wanted` if that is lower.
    private static string HardLimit(string name, long wanted)
    {
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith(name, StringComparison.Ordinal));
        var hard = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var limit = hard == "unlimited" ? wanted : Math.Min(wanted, long.Parse(hard));
        return $"{limit}:{limit}";
    }
}

/// <summary>docker-compose in one generated project, as a user would run it, with the variables the test sets.</summary>
public sealed class Compose(Podman podman, string project, IReadOnlyDictionary<string, string?> environment, string? file)
{
    public string Project => project;

    public Task<ShellResult> RunAsync(params string[] arguments) => RunAsync(arguments, TimeSpan.FromMinutes(2));

    public Task<ShellResult> RunAsync(string[] arguments, TimeSpan timeout, bool check = true) =>
        Shell.RunAsync("docker-compose", [.. file is null ? Array.Empty<string>() : ["--file", file], .. arguments], project, environment,
            timeout: timeout, check: check);

    /// <summary>
    /// <c>docker-compose up -d …</c>, running the healthchecks of the project's containers while it waits: a
    /// <c>depends_on: condition: service_healthy</c> would otherwise wait for ever without systemd.
    /// </summary>
    public async Task UpAsync(params string[] arguments)
    {
        var name = Path.GetFileName(project);
        var up = RunAsync(["up", "-d", .. arguments], TimeSpan.FromMinutes(3));
        while (!up.IsCompleted)
        {
            foreach (var container in await podman.ContainersAsync(name))
            {
                await podman.RunAsync(["healthcheck", "run", container], check: false, timeout: TimeSpan.FromSeconds(30));
            }

            await Task.WhenAny(up, Task.Delay(TimeSpan.FromSeconds(1)));
        }

        await up;
    }

    /// <summary>Stops and removes the project's containers, networks and volumes; never fails (for finally blocks).</summary>
    public Task<ShellResult> DownAsync() => RunAsync(["down", "--volumes", "--remove-orphans", "--timeout", "10"], TimeSpan.FromMinutes(2), check: false);
}
