using System.Net;
using System.Net.Sockets;
using System.Text;
using CliWrap;
using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// A generated service started as a user would (<c>make serve</c>, <c>dotnet run</c>, <c>dotnet Api.dll</c>) on a free
/// loopback port. It runs in a session of its own (setsid) so that stopping it stops the whole tree: make, dotnet run
/// and the app.
/// </summary>
public sealed class RunningService : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly StringBuilder output = new();
    private readonly CancellationTokenSource kill = new();
    private CommandTask<CommandResult> process = null!;

    private RunningService(int port, string description)
    {
        Port = port;
        Description = description;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public string Description { get; }

    public HttpClient Http { get; }

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

    /// <summary>
    /// Starts <paramref name="program"/> with <c>PORT</c> set to a free port and waits for <c>/health</c> to answer;
    /// with <paramref name="ipv4LoopbackOnly"/>, it listens on 127.0.0.1 alone (<c>ASPNETCORE_URLS</c>) instead of localhost.
    /// </summary>
    public static async Task<RunningService> StartAsync(
        string workingDirectory, string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null,
        bool ipv4LoopbackOnly = false)
    {
        var args = arguments.ToArray();
        var port = FreePort();
        var service = new RunningService(port, Shell.Describe(program, args, workingDirectory));
        var variables = Shell.Merge(environment);
        variables["PORT"] = port.ToString();
        if (ipv4LoopbackOnly)
        {
            variables["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        }
        service.process = Cli.Wrap("setsid")
            .WithArguments([program, .. args])
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(variables)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(service.Append))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(service.Append))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(service.kill.Token);
        await service.WaitUntilHealthyAsync();
        return service;
    }

    /// <summary>
    /// Sends SIGTERM to the whole process group (as Ctrl+C or docker stop would) and waits until every process in it
    /// is gone, so the next start finds the database closed. Returns the exit code of the process started.
    /// </summary>
    public Task<int> StopAsync() => StopAsync("TERM");

    /// <summary>Kills the whole process group with SIGKILL, as a crash or a power cut to the process would.</summary>
    public Task<int> KillAsync() => StopAsync("KILL");

    private async Task<int> StopAsync(string signal)
    {
        await Signal(signal);
        var deadline = DateTime.UtcNow + StopTimeout;
        while ((await Signal("0")).ExitCode == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                await Signal("KILL");
                throw new XunitException($"{Description} did not stop within {StopTimeout.TotalSeconds} s of SIGTERM.\n{Output}");
            }

            await Task.Delay(100);
        }

        return (await process.Task.WaitAsync(StopTimeout)).ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await Signal("KILL");
        await Task.WhenAny(process.Task, Task.Delay(StopTimeout));

        kill.Dispose();
        Http.Dispose();
    }

    private async Task WaitUntilHealthyAsync()
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        using var probe = new HttpClient { BaseAddress = Http.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        while (DateTime.UtcNow < deadline)
        {
            if (process.Task.IsCompleted)
            {
                throw new XunitException($"{Description} exited before it served /health.\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        await Signal("KILL");
        throw new XunitException($"{Description} did not serve /health within {StartTimeout.TotalSeconds} s.\n{Output}");
    }

    private Task<ShellResult> Signal(string signal) =>
        Shell.RunAsync("kill", [$"-{signal}", "--", $"-{process.ProcessId}"], "/", check: false);

    private void Append(string line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    /// <summary>
    /// Runs the built service of <paramref name="project"/> with <c>DATABASE_URL</c> = <paramref name="databaseUrl"/>
    /// and asserts that it refuses to start: exit code 1 and exactly one line on stderr, which is returned with the
    /// whole output.
    /// </summary>
    public static async Task<(string Line, string Output)> RefusedStartAsync(string project, string databaseUrl)
    {
        var result = await Shell.RunAsync("dotnet", [TemplatePack.ApiDll(project)], project,
            new Dictionary<string, string?> { ["DATABASE_URL"] = databaseUrl }, timeout: TimeSpan.FromMinutes(1), check: false);

        Assert.True(result.ExitCode == 1, $"DATABASE_URL={databaseUrl}: {result}");
        return (Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries)), result.Output);
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
