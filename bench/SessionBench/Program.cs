using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using bench_app.Api.Database; // the namespaces of the project run.sh generates (-n bench-app)
using bench_app.Api.Shields;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Perfolizer.Horology;

// Usage (bench/run.sh): SessionBench [--smoke] --artifacts DIR
var smoke = args.Contains("--smoke");
var artifacts = args.SkipWhile(arg => arg != "--artifacts").Skip(1).FirstOrDefault()
    ?? Path.Combine(Path.GetTempPath(), "aegis-session-bench");

// In process: BenchmarkDotNet's default, a new process per benchmark, would build the generated project once more.
var job = (smoke
        ? Job.Default.WithWarmupCount(1).WithIterationCount(3).WithIterationTime(TimeInterval.FromMilliseconds(100))
        : Job.Default.WithWarmupCount(5).WithIterationCount(20))
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithId(smoke ? "Smoke" : "Full");

var summary = BenchmarkRunner.Run<SessionBenchmarks>(ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithArtifactsPath(artifacts));

// One line per benchmark for run.sh, which prints the ratios and the summary table: name, mean µs, bytes allocated.
var complete = true;
foreach (var report in summary.Reports)
{
    var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
    if (report.ResultStatistics is not { } statistics || report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) is not { } bytes)
    {
        Console.Error.WriteLine($"session-bench: {name} produced no result.");
        complete = false;
        continue;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"session-result {name} {statistics.Mean / 1000:F3} {bytes}"));
}

return complete && summary.Reports.Length == 9 && !summary.HasCriticalValidationErrors ? 0 : 1;

/// <summary>
/// One shield per session, and 100 per session: the generated session helper against a bare DbContext + SaveChanges
/// (the ratio the issue targets) and raw Microsoft.Data.Sqlite (the floor), each committing its own transaction, and
/// the single insert's baseline measured twice (the run's own noise). And what opening a connection costs every
/// request: EF Core's SQLite connection against a plain one.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SessionBenchmarks
{
    private const int Batch = 100;

    private IHost host = null!;
    private IDbContextFactory<AppDbContext> contexts = null!;
    private SqliteConnection raw = null!;
    private SqliteCommand insert = null!;
    private AppDbContext leased = null!;
    private SqliteConnection efConnection = null!;
    private SqliteConnection plainConnection = null!;
    private string folder = "";

    [GlobalSetup]
    public void Setup()
    {
        // A fresh database per benchmark, set up by the generated code itself: AddDatabase, then its start-up work
        // (WAL, migrations), so the contexts carry the service's real options, interceptor and naming convention.
        folder = Directory.CreateTempSubdirectory("aegis-session-bench-").FullName;
        var file = Path.Combine(folder, "app.db");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders(); // both EF Core forms would pay for it alike; it only fills the output
        builder.Configuration["DATABASE_URL"] = "sqlite:///" + file; // file is absolute: four slashes
        builder.AddDatabase();
        host = builder.Build();
        host.Start();
        contexts = host.Services.GetRequiredService<IDbContextFactory<AppDbContext>>();

        // Raw: one open connection with the service's settings and one prepared statement.
        raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, ForeignKeys = true }.ToString());
        raw.Open();
        using (var settings = raw.CreateCommand())
        {
            settings.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;";
            settings.ExecuteNonQuery();
        }

        insert = raw.CreateCommand();
        insert.CommandText = """INSERT INTO "shield" ("name", "defense_rating") VALUES ($name, $rating)""";
        insert.Parameters.Add("$name", SqliteType.Text);
        insert.Parameters.Add("$rating", SqliteType.Integer);
        insert.Prepare();

        // The connection EF Core's SQLite provider made for a context (with the functions its SQL may call registered
        // on it), against a plain one to the same file: a pooled context opens and closes its connection per request.
        leased = contexts.CreateDbContext();
        efConnection = (SqliteConnection)leased.Database.GetDbConnection();
        plainConnection = new SqliteConnection(efConnection.ConnectionString);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        insert.Dispose();
        plainConnection.Dispose();
        leased.Dispose();
        raw.Dispose();
        host.StopAsync().GetAwaiter().GetResult();
        host.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [BenchmarkCategory("insert 1"), Benchmark(Baseline = true)]
    public async Task SaveChanges()
    {
        await using var db = await contexts.CreateDbContextAsync();
        db.Add(NewShield());
        await db.SaveChangesAsync();
    }

    [BenchmarkCategory("insert 1"), Benchmark]
    public async Task Session()
    {
        // A scope per unit, as each request and scheduled run has: the session and its context are scoped.
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DbSession>().RunAsync(db => db.Add(NewShield()));
    }

    [BenchmarkCategory("insert 1"), Benchmark]
    public void RawSqlite() => InsertRaw(1);

    // The baseline once more, measured last in its category (BenchmarkDotNet runs a category's benchmarks in the order
    // they are declared): how far a ratio in this run moves with no change in code at all.
    [BenchmarkCategory("insert 1"), Benchmark]
    public Task SaveChangesControl() => SaveChanges();

    [BenchmarkCategory("batch 100"), Benchmark(Baseline = true)]
    public async Task SaveChanges100()
    {
        await using var db = await contexts.CreateDbContextAsync();
        for (var i = 0; i < Batch; i++)
        {
            db.Add(NewShield());
        }

        await db.SaveChangesAsync();
    }

    [BenchmarkCategory("batch 100"), Benchmark]
    public async Task Session100()
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DbSession>().RunAsync(db =>
        {
            for (var i = 0; i < Batch; i++)
            {
                db.Add(NewShield());
            }
        });
    }

    [BenchmarkCategory("batch 100"), Benchmark]
    public void RawSqlite100() => InsertRaw(Batch);

    [BenchmarkCategory("connection open"), Benchmark(Baseline = true)]
    public void OpenPlain() => OpenAndClose(plainConnection);

    [BenchmarkCategory("connection open"), Benchmark]
    public void OpenEfCore() => OpenAndClose(efConnection);

    private static void OpenAndClose(SqliteConnection connection)
    {
        connection.Open();
        connection.Close();
    }

    private static Shield NewShield() => new() { Name = "Bench shield", DefenseRating = 50 };

    private void InsertRaw(int count)
    {
        using var transaction = raw.BeginTransaction();
        insert.Transaction = transaction;
        for (var i = 0; i < count; i++)
        {
            insert.Parameters[0].Value = "Bench shield";
            insert.Parameters[1].Value = 50;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }
}
