using System.Text.RegularExpressions;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// <c>bench/run.sh --smoke</c>: the benchmark harness builds every contender, serves, loads and measures each scenario
/// (the HTTP ones in both forced regimes, CPU-bound and lock-bound) for a few seconds and prints each figure's ratio to the baselines measured in
/// the same run. This proves that the
/// harness works; it asserts nothing about speed (benchmarks are not timed tests).
/// </summary>
[Collection(TemplatePackCollection.Name)] // one at a time with the other heavy tests: the machine has two cores
public sealed class BenchmarkSmokeTests
{
    private static readonly string[] RatioLines =
    [
        "POST /shields server CPU per request, generated vs bare EF Core (cpu)",
        "POST /shields throughput, generated vs bare EF Core (cpu)",
        "POST /shields throughput, generated vs raw baseline (cpu)",
        "GET /shields/{id} server CPU per request, generated vs bare EF Core (cpu)",
        "GET /shields/{id} throughput, generated vs bare EF Core (cpu)",
        "RSS after the HTTP scenarios, generated vs bare EF Core (cpu)",
        "POST /shields server CPU per request, generated vs bare EF Core (lock)",
        "POST /shields throughput, generated vs bare EF Core (lock)",
        "POST /shields p99 latency, generated vs bare EF Core (lock)",
        "GET /shields/{id} server CPU per request, generated vs bare EF Core (lock)",
        "GET /shields/{id} throughput, generated vs bare EF Core (lock)",
        "insert 1 per session: session helper vs bare SaveChanges",
        "insert 1 per session, control: bare SaveChanges measured again vs bare SaveChanges",
        "batch of 100 per session: session helper vs bare SaveChanges",
        "connection open and close: EF Core's SQLite connection vs a plain SqliteConnection",
        "instantiate, dotnet new aegis --database vs dotnet new webapi",
        "cold start to first 200, generated service vs empty web app",
    ];

    [Fact]
    public async Task Smoke_run_prints_a_ratio_for_every_scenario()
    {
        foreach (var tool in new[] { "wrk", "hyperfine" })
        {
            var found = await Shell.RunAsync("sh", ["-c", $"command -v {tool}"], Repo.Root, check: false);
            Assert.True(found.ExitCode == 0, $"The benchmark harness needs {tool}: apt-get install -y wrk hyperfine");
        }

        var run = await Shell.RunAsync("bash", [Path.Combine(Repo.Root, "bench", "run.sh"), "--smoke"], Repo.Root, timeout: TimeSpan.FromMinutes(6));

        Assert.Contains("all servers answered the probe requests identically", run.StandardOutput);
        foreach (var figure in RatioLines)
        {
            // e.g. "ratio  POST /shields throughput, generated vs bare EF Core: 1375 / 1225 req/s = 1.12  (target >= 1.0: met)"
            var line = new Regex($@"^ratio  {Regex.Escape(figure)}.*: [0-9.]+ / [0-9.]+ \S+ = [0-9]+\.[0-9]{{2}}\b", RegexOptions.Multiline);
            Assert.True(line.IsMatch(run.StandardOutput), $"No ratio line for '{figure}' in:\n{run.StandardOutput}");
        }
    }
}
