using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>A single committed expected output (help text, package file list) under tests/golden/.</summary>
public static class GoldenFile
{
    public static async Task AssertMatchesAsync(string name, string actual)
    {
        var path = Path.Combine(Repo.Root, "tests", "golden", name);
        if (GoldenTree.Updating)
        {
            await File.WriteAllTextAsync(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No golden file {path}: run the tests once with AEGIS_UPDATE_GOLDEN=1 and review it.");
        var expected = await File.ReadAllTextAsync(path);
        if (expected == actual)
        {
            return;
        }

        var actualPath = Path.Combine(Path.GetTempPath(), $"aegis-actual-{Guid.NewGuid():N}-{name}");
        await File.WriteAllTextAsync(actualPath, actual);
        var diff = await Shell.RunAsync("git", ["diff", "--no-index", "--no-color", path, actualPath], Repo.Root, check: false);
        File.Delete(actualPath);
        throw new XunitException($"Output differs from tests/golden/{name} (rerun with AEGIS_UPDATE_GOLDEN=1 if intended):\n{diff.StandardOutput}");
    }
}
