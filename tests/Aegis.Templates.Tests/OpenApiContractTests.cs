using System.Text.Json;
using Aegis.Templates.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Aegis.Templates.Tests;

/// <summary>
/// The generated service's OpenAPI document as a contract: the same for both providers and byte for byte its golden
/// copy (a contract change is a reviewed diff), clean under Redocly's recommended rules, and good enough for a
/// generated client (Kiota) to drive the running service, its problems included.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class OpenApiContractTests(TemplatePack pack, ITestOutputHelper output)
{
    private static readonly string ToolFiles = OpenApiLint.ToolFiles;

    [Fact]
    public async Task Database_document_is_the_same_for_both_providers_and_matches_its_golden_copy()
    {
        string sqlite, postgres;
        await using (var service = await ServeAsync("--database"))
        {
            sqlite = await DocumentAsync(service);
        }

        await using (var service = await ServeAsync("--db-provider", "postgres"))
        {
            postgres = await DocumentAsync(service);
        }

        Assert.Equal(sqlite, postgres);
        await GoldenFile.AssertMatchesAsync("openapi.json", sqlite);
    }

    [Fact]
    public async Task Document_without_a_database_matches_its_golden_copy()
    {
        await using var service = await ServeAsync();

        await GoldenFile.AssertMatchesAsync("openapi-default.json", await DocumentAsync(service));
    }

    [Theory]
    [InlineData("--database")]
    [InlineData("")]
    public async Task Document_passes_redocly_recommended_rules_without_a_warning_and_spectral_oas_but_for_contact_and_licence(string options)
    {
        await using var service = await ServeAsync(options.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        await OpenApiLint.AssertCleanAsync(await service.Http.GetStringAsync("/openapi/v1.json"), pack.NewFolder("lint"), output);
    }

    [Fact]
    public async Task Make_client_generates_a_kiota_client_that_drives_the_service_and_reads_its_problems()
    {
        await using var service = await ServeAsync("--database");
        var project = await pack.BuiltAsync("--database");
        var roundTrip = pack.NewFolder("kiota");
        CopyTree(Path.Combine(ToolFiles, "client"), roundTrip);

        var make = await Shell.RunAsync("make", ["client", $"PORT={service.Port}"], project, KiotaQuiet, timeout: TimeSpan.FromMinutes(3));
        Directory.Move(Path.Combine(project, "client"), Path.Combine(roundTrip, "Client")); // leaves the shared project as it was
        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], roundTrip, timeout: TimeSpan.FromMinutes(5));
        var run = await Shell.RunAsync("dotnet", ["bin/Debug/net10.0/KiotaRoundTrip.dll", $"http://127.0.0.1:{service.Port}"], roundTrip,
            timeout: TimeSpan.FromMinutes(2), check: false);

        output.WriteLine($"{make.Command}\n{run.Output}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("FAIL", run.StandardOutput);
    }

    // No telemetry from the generator. (Its update check against GitHub only logs a warning when offline.)
    private static readonly Dictionary<string, string?> KiotaQuiet = new() { ["KIOTA_CLI_TELEMETRY_OPTOUT"] = "true" };

    /// <summary>The built project for <paramref name="options"/>, served on 127.0.0.1 with a database of its own.</summary>
    private async Task<RunningService> ServeAsync(params string[] options)
    {
        var project = await pack.BuiltAsync(options);
        var environment = new Dictionary<string, string?>();
        if (options.Contains("postgres"))
        {
            environment["DATABASE_URL"] = (await pack.PostgresAsync()).UrlOf($"openapi_{Guid.NewGuid():N}");
        }
        else if (options.Length > 0)
        {
            environment["DATABASE_URL"] = $"sqlite:///{pack.NewFolder("openapi-db")}/app.db";
        }

        return await RunningService.StartAsync(project, "dotnet", [TemplatePack.ApiDll(project)], environment, ipv4LoopbackOnly: true);
    }

    /// <summary>The served document, with the one part that changes from run to run, the server's port, made fixed.</summary>
    private static async Task<string> DocumentAsync(RunningService service) =>
        (await service.Http.GetStringAsync("/openapi/v1.json")).Replace($"http://127.0.0.1:{service.Port}", "http://localhost:8000");

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar) is ["bin" or "obj", ..])
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }
}
