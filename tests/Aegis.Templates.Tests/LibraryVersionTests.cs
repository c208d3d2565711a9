using System.Text.RegularExpressions;
using System.Xml.Linq;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// Fixes reach the projects already generated: a project that an earlier release generated, with nothing changed but
/// the library's version in its <c>Directory.Packages.props</c>, builds with warnings as errors and passes its own
/// tests against this checkout's packages. The earlier release's project is its golden tree, taken from git at
/// <see cref="EarlierRelease"/>; each release moves that commit forward, and the library follows semantic versioning
/// so that this test keeps passing between majors.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed partial class LibraryVersionTests(TemplatePack pack)
{
    /// <summary>The commit that brought the library, 0.1.0: the first project generated against packages.</summary>
    private const string EarlierRelease = "4c6c4c53884ac61bda10fd7b787cc0640fb38557";

    [Fact]
    public async Task A_project_an_earlier_release_generated_builds_and_passes_its_tests_with_only_the_library_version_raised()
    {
        var project = pack.NewFolder("earlier-release");
        await Shell.RunAsync("bash", ["-c", $"git -C '{Repo.Root}' archive {EarlierRelease} tests/golden/sqlite | tar -x -C '{project}' --strip-components=3"], project);
        var packages = Path.Combine(project, "Directory.Packages.props");
        var pinned = File.ReadAllText(packages);

        var raised = AegisVersion().Replace(pinned, match => match.Groups["before"].Value + CurrentVersion);
        File.WriteAllText(packages, raised);

        Assert.NotEqual(0, AegisVersion().Count(pinned));
        Assert.Equal(Lines(pinned).Count, Lines(raised).Count);
        Assert.All(Lines(pinned).Zip(Lines(raised)).Where(pair => pair.First != pair.Second), pair => Assert.Matches(AegisVersion(), pair.First));
        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(5));
        var summary = TestSummary.Of(result);
        Assert.Equal((0, 0), (summary.Failed, summary.Skipped));
        Assert.True(summary.Passed >= 20, summary.ToString());
    }

    [Fact]
    public void A_generated_project_pins_the_library_at_the_version_of_the_pack_that_generated_it()
    {
        var pins = AegisVersion().Matches(File.ReadAllText(Path.Combine(Repo.TemplateContent, "Directory.Packages.props")));

        Assert.Equal(3, pins.Count); // Aegis.Hosting, and the database's package of either provider
        Assert.All(pins, pin => Assert.EndsWith($"Version=\"{CurrentVersion}", pin.Value));
    }

    /// <summary>The pack's and the library's version: Directory.Build.props at the root of this repository.</summary>
    private static string CurrentVersion =>
        XDocument.Load(Path.Combine(Repo.Root, "Directory.Build.props")).Descendants("Version").Single().Value;

    private static List<string> Lines(string text) => [.. text.Split('\n')];

    [GeneratedRegex("""(?<before><PackageVersion Include="Aegis\.[A-Za-z.]+" Version=")[^"]+""")]
    private static partial Regex AegisVersion();
}
