using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// Compares a generated tree with its committed golden copy: every path and every byte. Run the tests with
/// <c>AEGIS_UPDATE_GOLDEN=1</c> to rewrite the golden copies, then review the diff like code.
/// </summary>
public static class GoldenTree
{
    public static bool Updating => System.Environment.GetEnvironmentVariable("AEGIS_UPDATE_GOLDEN") == "1";

    public static async Task AssertMatchesAsync(string scenario, string actualFolder)
    {
        var golden = Repo.Golden(scenario);
        if (Updating)
        {
            if (Directory.Exists(golden))
            {
                Directory.Delete(golden, recursive: true);
            }

            CopyTree(actualFolder, golden);
            return;
        }

        Assert.True(Directory.Exists(golden), $"No golden tree at {golden}: run the tests once with AEGIS_UPDATE_GOLDEN=1 and review it.");
        var expected = Files(golden);
        var actual = Files(actualFolder);
        var different = expected.Intersect(actual)
            .Where(path => !File.ReadAllBytes(Path.Combine(golden, path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualFolder, path))))
            .ToList();
        if (expected.SetEquals(actual) && different.Count == 0)
        {
            return;
        }

        var diff = await Shell.RunAsync("git", ["diff", "--no-index", "--no-color", "--stat", "--patch", golden, actualFolder], Repo.Root, check: false);
        throw new XunitException(
            $"The generated tree differs from tests/golden/{scenario} (rerun with AEGIS_UPDATE_GOLDEN=1 if the change is intended).\n" +
            $"Missing: {string.Join(", ", expected.Except(actual))}\nUnexpected: {string.Join(", ", actual.Except(expected))}\n" +
            $"Changed: {string.Join(", ", different)}\n{diff.StandardOutput}");
    }

    /// <summary>Every file below <paramref name="folder"/>, as a relative path with '/' separators.</summary>
    public static HashSet<string> Files(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(folder, file).Replace('\\', '/'))
            .ToHashSet(StringComparer.Ordinal);

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Files(from))
        {
            var target = Path.Combine(to, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(from, file), target);
        }
    }
}
