using System.Text.Json;
using Xunit.Abstractions;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// Lints a served OpenAPI document with Redocly's recommended rules (no error, no warning) and Spectral's oas ruleset
/// (nothing but <c>info-contact</c> and <c>info-license</c>, which only the service's owner can fill in), each pinned and
/// run through npx: CI needs Node 20.19+ and npm, nothing installed beforehand (npx caches them in ~/.npm). Their
/// configuration is in tests/openapi/.
/// </summary>
public static class OpenApiLint
{
    private const string Redocly = "@redocly/cli@2.77.0";
    private const string Spectral = "@stoplight/spectral-cli@6.16.3";

    public static readonly string ToolFiles = Path.Combine(Repo.Root, "tests", "openapi");

    public static async Task AssertCleanAsync(string document, string folder, ITestOutputHelper output)
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "openapi.json"), document);
        File.Copy(Path.Combine(ToolFiles, "redocly.yaml"), Path.Combine(folder, "redocly.yaml"), overwrite: true);
        File.Copy(Path.Combine(ToolFiles, "spectral.yaml"), Path.Combine(folder, ".spectral.yaml"), overwrite: true);

        var redocly = await Shell.RunAsync("npx", ["--yes", Redocly, "lint", "openapi.json", "--format=json"], folder,
            timeout: TimeSpan.FromMinutes(3), check: false);
        output.WriteLine(redocly.Output);
        Assert.True(redocly.StandardOutput.Contains('{'), redocly.ToString()); // npx could not fetch or start the linter
        var totals = JsonDocument.Parse(redocly.StandardOutput[redocly.StandardOutput.IndexOf('{')..]).RootElement.GetProperty("totals");
        Assert.True(redocly.ExitCode == 0 && totals.GetProperty("errors").GetInt32() == 0 && totals.GetProperty("warnings").GetInt32() == 0, redocly.ToString());

        var spectral = await Shell.RunAsync("npx", ["--yes", Spectral, "lint", "openapi.json", "--format=json", "--quiet"], folder,
            timeout: TimeSpan.FromMinutes(3), check: false);
        output.WriteLine(spectral.Output);
        Assert.True(spectral.StandardOutput.Contains('['), spectral.ToString());
        var findings = JsonDocument.Parse(spectral.StandardOutput[spectral.StandardOutput.IndexOf('[')..]).RootElement.EnumerateArray()
            .Select(finding => $"{finding.GetProperty("code").GetString()}: {finding.GetProperty("message").GetString()}").ToList();
        output.WriteLine($"Spectral (oas): {findings.Count} finding(s){string.Concat(findings.Select(finding => "\n  " + finding))}");
        Assert.All(findings, finding => Assert.True(finding.StartsWith("info-contact:", StringComparison.Ordinal) || finding.StartsWith("info-license:", StringComparison.Ordinal), finding));
    }
}
