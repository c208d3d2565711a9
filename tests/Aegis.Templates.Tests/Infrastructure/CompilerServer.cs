namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// The C# compiler server (VBCSCompiler) that this run's builds share, on a pipe named after this process, so that it
/// is never another build's server; <see cref="StopAsync"/> stops it when the run ends instead of leaving it idle.
/// </summary>
public static class CompilerServer
{
    public static string PipeName { get; } = $"aegis-tests-{System.Environment.ProcessId}";

    /// <summary>
    /// Kills the server on <see cref="PipeName"/>, if one runs, waits at most 10 s for it to go, and deletes the socket
    /// it listened on (a file named after the pipe in /tmp), which a killed server leaves behind.
    /// </summary>
    public static async Task StopAsync()
    {
        foreach (var id in ServerIds())
        {
            await Shell.RunAsync("kill", ["-TERM", id.ToString()], "/", check: false);
            for (var attempt = 0; attempt < 100 && Directory.Exists($"/proc/{id}"); attempt++)
            {
                await Task.Delay(100);
            }
        }

        foreach (var socket in new[] { Path.Combine("/tmp", PipeName), Path.Combine(Path.GetTempPath(), PipeName) }.Distinct())
        {
            File.Delete(socket); // no error if it is not there
        }
    }

    // Processes whose command line names our pipe: VBCSCompiler -pipename:aegis-tests-<id>.
    private static IEnumerable<int> ServerIds()
    {
        var argument = $"-pipename:{PipeName}";
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var id))
            {
                continue;
            }

            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0');
            }
            catch (IOException)
            {
                continue; // the process ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (arguments.Contains(argument))
            {
                yield return id;
            }
        }
    }
}
