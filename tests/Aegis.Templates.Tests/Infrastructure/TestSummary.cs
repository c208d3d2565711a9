using System.Text.RegularExpressions;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>The counts in <c>dotnet test</c>'s summary lines ("Failed: 0, Passed: 85, Skipped: 0 … Api.Tests.dll").</summary>
public sealed partial record TestSummary(int Passed, int Failed, int Skipped)
{
    /// <summary>
    /// The counts of <paramref name="result"/>, summed over its test projects, or those of the one whose assembly is
    /// <paramref name="assembly"/>; fails the calling test, with the whole output, if there is no such summary.
    /// </summary>
    public static TestSummary Of(ShellResult result, string? assembly = null)
    {
        var lines = Line().Matches(result.StandardOutput)
            .Where(match => assembly is null || match.Groups["assembly"].Value.Contains(assembly, StringComparison.Ordinal))
            .ToList();
        Assert.True(lines.Count > 0, result.ToString());
        return new(Sum(lines, "passed"), Sum(lines, "failed"), Sum(lines, "skipped"));
    }

    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";

    private static int Sum(IEnumerable<Match> lines, string count) => lines.Sum(line => int.Parse(line.Groups[count].Value));

    [GeneratedRegex(@"Failed:\s+(?<failed>\d+), Passed:\s+(?<passed>\d+), Skipped:\s+(?<skipped>\d+)(?<assembly>[^\n]*)")]
    private static partial Regex Line();
}
