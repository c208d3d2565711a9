using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>Each generated project builds with warnings as errors and passes its own tests.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class GeneratedProjectTests(TemplatePack pack)
{
    public static TheoryData<string[], int> Variants => new()
    {
        { [], 3 },
        { ["--database"], 80 },
        { ["--db-provider", "postgres"], 70 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Builds_without_warnings_and_its_own_tests_pass(string[] options, int minimumTests)
    {
        var project = await pack.BuiltAsync(options);
        var data = Snapshot(Path.Combine(project, "data"));

        // CI=true: a test that needs the server fails rather than skips if TEST_DATABASE_URL does not reach it.
        Dictionary<string, string?>? environment = options.Contains("postgres")
            ? new() { ["TEST_DATABASE_URL"] = (await pack.PostgresAsync()).Url, ["CI"] = "true" }
            : null;
        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false"], project, environment, timeout: TimeSpan.FromMinutes(5));

        var summary = TestSummary.Of(result);
        Assert.Equal((0, 0), (summary.Failed, summary.Skipped));
        Assert.True(summary.Passed >= minimumTests, summary.ToString());
        Assert.True(data.SequenceEqual(Snapshot(Path.Combine(project, "data"))), "The generated tests touched data/ instead of a temporary file.");
    }

    // Names, sizes and write times of the files in a folder (other tests may have served from this project).
    private static string[] Snapshot(string folder) => Directory.Exists(folder)
        ? Directory.GetFiles(folder).Order().Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}").ToArray()
        : [];
}
