namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// A test that needs root (to mount a filesystem). CI runs as root; elsewhere it is skipped with that reason, except
/// under <c>CI=true</c>, where it runs and fails rather than pass as a skip.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!System.Environment.IsPrivilegedProcess && System.Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "Needs root, to mount a small tmpfs: run the tests as root (as CI does).";
        }
    }
}
