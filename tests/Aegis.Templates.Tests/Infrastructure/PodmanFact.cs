namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// A test that runs containers with podman (<see cref="Podman"/>): it needs Linux, root and Debian's podman, runc,
/// CNI dnsname plugin, debootstrap and docker-compose. Elsewhere it is skipped with the reason, except under
/// <c>CI=true</c>, where it runs and fails rather than pass as a skip.
/// </summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    private static readonly string[] Programs = ["podman", "runc", "debootstrap", "docker-compose", "chroot"];

    public PodmanFactAttribute()
    {
        Skip = SkipReason;
    }

    /// <summary>Why these tests are skipped here, or null when they run (always under <c>CI=true</c>).</summary>
    public static string? SkipReason { get; } =
        System.Environment.GetEnvironmentVariable("CI") != "true" && Missing() is { } reason
            ? $"Needs {reason} to build and run the generated containers: run the tests as root after apt-get install " +
              "podman runc golang-github-containernetworking-plugin-dnsname debootstrap docker-compose (as CI does)."
            : null;

    private static string? Missing()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "Linux";
        }

        if (!System.Environment.IsPrivilegedProcess)
        {
            return "root";
        }

        var path = (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"]);
        var missing = Programs.Where(program => !path.Any(folder => File.Exists(Path.Combine(folder, program)))).ToList();
        if (!File.Exists("/usr/lib/cni/dnsname"))
        {
            missing.Add("the CNI dnsname plugin");
        }

        return missing.Count > 0 ? string.Join(", ", missing) : null;
    }
}
