using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OpenTelemetry.Metrics;
using Xunit.Abstractions;

namespace Aegis.Database.Tests;

/// <summary>The database's own spans and <c>aegis.database.*</c> metrics, as an exporter added to the service sees them.</summary>
public abstract class DatabaseTelemetryTests<TFactory>(TFactory factory, ITestOutputHelper output) : IClassFixture<TFactory>
    where TFactory : ApiFactory
{
    /// <summary>Whether the provider queues this process's writers, and so measures their wait (SQLite only).</summary>
    protected abstract bool QueuesWriters { get; }

    [DatabaseFact]
    public async Task A_post_is_a_request_span_with_its_unit_of_work_and_is_measured_as_committed()
    {
        var telemetry = new CollectedTelemetry(factory);
        var (response, trace) = await telemetry.PostTracedAsync("/shields", new { name = "Traced" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var spans = await telemetry.SpansOfAsync(trace, expected: 2);
        var request = Assert.Single(spans, span => span.Kind == ActivityKind.Server);
        Assert.StartsWith("POST /shields", request.DisplayName);
        var unit = Assert.Single(spans, span => span.Source.Name == DatabaseTelemetry.Name);
        Assert.Equal(("unit of work", request.SpanId), (unit.DisplayName, unit.ParentSpanId));
        Assert.Equal("committed", unit.GetTagItem("outcome"));
        output.WriteLine($"spans: {string.Join(", ", spans.Select(span => $"{span.Source.Name} '{span.DisplayName}'"))}");

        if (QueuesWriters)
        {
            var wait = telemetry.Points("aegis.database.write_queue.wait_time").First(point => point.GetHistogramCount() >= 1);
            output.WriteLine($"aegis.database.write_queue.wait_time: count {wait.GetHistogramCount()}, sum {wait.GetHistogramSum():0.######} s");
        }

        var committed = telemetry.Points("aegis.database.unit_of_work.duration").First(point => CollectedTelemetry.Tag(point, "outcome") == "committed");
        Assert.True(committed.GetHistogramCount() >= 1 && committed.GetHistogramSum() > 0);
        output.WriteLine($"aegis.database.unit_of_work.duration{{outcome=committed}}: count {committed.GetHistogramCount()}, sum {committed.GetHistogramSum():0.######} s");
    }

    [DatabaseFact]
    public async Task A_write_answered_with_an_error_is_measured_as_rolled_back()
    {
        var telemetry = new CollectedTelemetry(factory);

        var response = await telemetry.CreateClient().PutAsJsonAsync("/shields/424242", new { name = "Ghost" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var rolledBack = telemetry.Points("aegis.database.unit_of_work.duration").First(point => CollectedTelemetry.Tag(point, "outcome") == "rolled_back");
        Assert.True(rolledBack.GetHistogramCount() >= 1);
        output.WriteLine($"aegis.database.unit_of_work.duration{{outcome=rolled_back}}: count {rolledBack.GetHistogramCount()}, sum {rolledBack.GetHistogramSum():0.######} s");
    }
}

public sealed class SqliteDatabaseTelemetryTests(SqliteApiFactory factory, ITestOutputHelper output)
    : DatabaseTelemetryTests<SqliteApiFactory>(factory, output)
{
    protected override bool QueuesWriters => true;
}

public sealed class PostgresDatabaseTelemetryTests(PostgresApiFactory factory, ITestOutputHelper output)
    : DatabaseTelemetryTests<PostgresApiFactory>(factory, output)
{
    // PostgreSQL's server orders the writers: the library has no write queue for it, and records no wait.
    protected override bool QueuesWriters => false;
}
