using System.Net;
using System.Net.Sockets;
using System.Text;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>Each generated project builds with warnings as errors and passes its own tests.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class GeneratedProjectTests(TemplatePack pack)
{
    public static TheoryData<string[], int> Variants => new()
    {
        { [], 6 },
        { ["--database"], 80 },
        { ["--db-provider", "postgres"], 70 },
        { ["--aspire"], 6 },
        { ["--database", "--aspire"], 40 },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task Builds_without_warnings_and_its_own_tests_pass(string[] options, int minimumTests)
    {
        var project = await pack.BuiltAsync(options);
        var data = Snapshot(Path.Combine(project, "data"));

        // The pack's cluster through TEST_DATABASE_URL (AspireContainerTests runs the suite on Testcontainers instead).
        Dictionary<string, string?>? environment = options.Contains("postgres")
            ? new() { ["TEST_DATABASE_URL"] = (await pack.PostgresAsync()).Url }
            : null;
        // A developer's .env configures their own runs of the service, never its tests: these settings would each break
        // them if the tests read it.
        var dotEnv = Path.Combine(project, ".env");
        File.WriteAllText(dotEnv, "MIGRATE_ON_START=false\nAPP_ROLE=api\nDATABASE_URL=nonsense://nowhere\nPORT=not-a-port\n");
        ShellResult result;
        try
        {
            result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false"], project, environment, timeout: TimeSpan.FromMinutes(5));
        }
        finally
        {
            File.Delete(dotEnv);
        }

        var summary = TestSummary.Of(result);
        Assert.Equal((0, 0), (summary.Failed, summary.Skipped));
        Assert.True(summary.Passed >= minimumTests, summary.ToString());
        Assert.True(data.SequenceEqual(Snapshot(Path.Combine(project, "data"))), "The generated tests touched data/ instead of a temporary file.");
    }

    /// <summary>
    /// The query budget of the generated tests catches an N+1: planted in the list of shields (the ids first, then each
    /// row by itself, as a refactoring can bring in), it fails the suite with the endpoint, the count and the SQL.
    /// </summary>
    [Fact]
    public async Task A_list_that_queries_once_per_row_fails_the_generated_suite_naming_the_endpoint_the_count_and_the_sql()
    {
        var project = await pack.GenerateAsync("--database");
        var api = Path.Combine(project, "src/Api/Shields/ShieldsApi.cs");
        var source = File.ReadAllText(api);
        var start = source.IndexOf("var shields = await db.Set<Shield>()", StringComparison.Ordinal);
        var end = source.IndexOf(".ToListAsync(cancellationToken);", start, StringComparison.Ordinal) + ".ToListAsync(cancellationToken);".Length;
        Assert.True(start > 0 && end > start, "The list's query is not where this test plants the N+1.");
        File.WriteAllText(api, source[..start] + """
            var ids = await db.Set<Shield>().Where(s => s.Id > page.After).OrderBy(s => s.Id).Take(page.Limit + 1).Select(s => s.Id).ToListAsync(cancellationToken);
                    var shields = new List<Shield>();
                    foreach (var id in ids)
                    {
                        shields.Add(await db.Set<Shield>().AsNoTracking().SingleAsync(s => s.Id == id, cancellationToken));
                    }
            """ + source[end..]);

        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false", "--filter", "FullyQualifiedName~ShieldsApiTests"],
            project, check: false, timeout: TimeSpan.FromMinutes(5));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Matches(@"GET /shields sent 6\d SQL commands, over its budget of 1:", result.Output); // the ids, then one a row
        Assert.Contains("WHERE \"s\".\"id\" = @", result.Output); // the query of each row, quoted
    }

    /// <summary>
    /// The day an advisory is published for a pinned package, the generated project still builds (its warnings are
    /// errors, but not NuGet audit's) and says so. The advisory comes from a vulnerability feed of this test's own, on
    /// loopback, named in the project's nuget.config as an audit source.
    /// </summary>
    [Fact]
    public async Task A_published_advisory_is_reported_but_does_not_break_the_build()
    {
        var project = await pack.GenerateAsync();
        using var feed = new AdvisoryFeed("Scalar.AspNetCore");
        File.WriteAllText(Path.Combine(project, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <auditSources>
                <clear />
                <add key="advisories" value="{feed.Url}index.json" allowInsecureConnections="true" />
              </auditSources>
            </configuration>
            """);

        var build = await Shell.RunAsync("dotnet", ["build", "-nodeReuse:false"], project, check: false, timeout: TimeSpan.FromMinutes(10));

        Assert.True(build.ExitCode == 0, build.Output);
        Assert.Contains("warning NU1903: Package 'Scalar.AspNetCore'", build.Output);
        Assert.DoesNotContain("error NU19", build.Output);
    }

    // A NuGet vulnerability feed (service index, vulnerability index, one page) naming every version of one package
    // as high severity.
    private sealed class AdvisoryFeed : IDisposable
    {
        private readonly HttpListener listener = new();

        public AdvisoryFeed(string package)
        {
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                Url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
            }

            var files = new Dictionary<string, string>
            {
                ["/index.json"] = $$"""{"version":"3.0.0","resources":[{"@id":"{{Url}}vulnerability/index.json","@type":"VulnerabilityInfo/6.7.0"}]}""",
                ["/vulnerability/index.json"] = $$"""[{"@name":"base","@id":"{{Url}}vulnerability/base.json","@updated":"{{DateTime.UtcNow:O}}"}]""",
                ["/vulnerability/base.json"] = $$"""{"{{package.ToLowerInvariant()}}":[{"severity":2,"url":"https://example.invalid/advisory","versions":"[0.0.0, 999.0.0)"}]}""",
            };
            listener.Prefixes.Add(Url);
            listener.Start();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var context = await listener.GetContextAsync();
                        var found = files.TryGetValue(context.Request.Url!.AbsolutePath, out var body);
                        context.Response.StatusCode = found ? 200 : 404;
                        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body ?? ""));
                        context.Response.Close();
                    }
                }
                catch (Exception) when (!listener.IsListening) // closed by Dispose
                {
                }
            });
        }

        public string Url { get; }

        public void Dispose() => listener.Close();
    }

    // Names, sizes and write times of the files in a folder (other tests may have served from this project).
    private static string[] Snapshot(string folder) => Directory.Exists(folder)
        ? Directory.GetFiles(folder).Order().Select(f => $"{f} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}").ToArray()
        : [];
}
