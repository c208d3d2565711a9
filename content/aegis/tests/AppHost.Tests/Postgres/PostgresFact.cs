namespace AegisApp.AppHost.Tests;

/// <summary>
/// A test that needs the AppHost's PostgreSQL, so a container runtime: skipped with the reason when there is none
/// on PATH (docker, or what <c>ASPIRE_CONTAINER_RUNTIME</c> names), and failed instead under CI (<c>CI=true</c>).
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = SkipReason;

    public static string? SkipReason
    {
        get
        {
            var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } name ? name : "docker";
            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
                .Any(folder => File.Exists(Path.Combine(folder, runtime)) || File.Exists(Path.Combine(folder, runtime + ".exe")));
            return onPath || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"Needs a container runtime for PostgreSQL: install Docker, or Podman and set ASPIRE_CONTAINER_RUNTIME=podman ({runtime} is not on PATH).";
        }
    }
}
