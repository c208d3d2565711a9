using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

public sealed record ShellResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;

    public override string ToString() =>
        $"`{Command}` exited {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>Runs real commands with a time limit; a failure message carries the command, its folder and its output.</summary>
public static class Shell
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Quiet, English, no telemetry, no MSBuild nodes left behind holding our pipes open. Builds use the C# compiler
    /// server, as they do by default for users (a machine may turn it off), but a server of this run's own
    /// (<see cref="CompilerServer"/>): each build then saves the compiler's start-up, several seconds on two cores.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> Environment = new Dictionary<string, string?>
    {
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_UI_LANGUAGE"] = "en",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["UseSharedCompilation"] = "true",
        ["SharedCompilationId"] = CompilerServer.PipeName,
        ["ASPNETCORE_ENVIRONMENT"] = null,
        ["DATABASE_URL"] = null,
        ["PORT"] = null,
        ["APP_ROLE"] = null,
        ["MIGRATE_ON_START"] = null,
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
    };

    public static async Task<ShellResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null,
        bool check = true)
    {
        var args = arguments.ToArray();
        var command = Describe(program, args, workingDirectory);
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        BufferedCommandResult result;
        try
        {
            result = await Cli.Wrap(program)
                .WithArguments(args)
                .WithWorkingDirectory(workingDirectory)
                .WithEnvironmentVariables(Merge(environment))
                .WithStandardInputPipe(standardInput is null ? PipeSource.Null : PipeSource.FromString(standardInput))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(Encoding.UTF8, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new XunitException($"`{command}` did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0} s.");
        }

        var shellResult = new ShellResult(command, result.ExitCode, result.StandardOutput, result.StandardError);
        if (check && result.ExitCode != 0)
        {
            throw new XunitException(shellResult.ToString());
        }

        return shellResult;
    }

    public static Dictionary<string, string?> Merge(IReadOnlyDictionary<string, string?>? extra)
    {
        var merged = new Dictionary<string, string?>(Environment);
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        return merged;
    }

    public static string Describe(string program, IEnumerable<string> arguments, string workingDirectory) =>
        $"{program} {string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"'{a}'" : a))}` in `{workingDirectory}";
}
