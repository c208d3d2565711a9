using System.Text.RegularExpressions;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>The counts in <c>dotnet test</c>'s summary line ("Failed: 0, Passed: 85, Skipped: 0").</summary>
public sealed partial record TestSummary(int Passed, int Failed, int Skipped)
{
    /// <summary>The summary of <paramref name="result"/>; fails the calling test, with the whole output, if there is none.</summary>
    public static TestSummary Of(ShellResult result)
    {
        var match = Line().Match(result.StandardOutput);
        Assert.True(match.Success, result.ToString());
        return new(int.Parse(match.Groups["passed"].Value), int.Parse(match.Groups["failed"].Value), int.Parse(match.Groups["skipped"].Value));
    }

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+), Skipped:\s+(?<skipped>\d+)")]
    private static partial Regex Line();
}
