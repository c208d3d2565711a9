using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Aegis.Database.Tests;

/// <summary>Npgsql's spans inside the unit of work, and lock errors as PostgreSQL reports them.</summary>
public sealed class PostgresTelemetryTests(PostgresApiFactory factory, ITestOutputHelper output) : IClassFixture<PostgresApiFactory>
{
    [PostgresFact]
    public async Task A_post_traces_its_sql_commands_inside_its_unit_of_work()
    {
        var telemetry = new CollectedTelemetry(factory);
        var (response, trace) = await telemetry.PostTracedAsync("/shields", new { name = "Traced" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var spans = await telemetry.SpansOfAsync(trace, expected: 3);
        var unit = Assert.Single(spans, span => span.Source.Name == DatabaseTelemetry.Name);
        var commands = spans.Where(span => span.Source.Name == "Npgsql").ToList();
        Assert.Contains(commands, command => command.ParentSpanId == unit.SpanId && $"{command.GetTagItem("db.query.text")}".Contains("INSERT INTO shield"));
        output.WriteLine($"spans: {string.Join(", ", spans.Select(span => $"{span.Source.Name} '{span.DisplayName}'"))}");
    }

    [PostgresFact]
    public async Task A_write_that_waits_too_long_for_a_lock_is_counted_as_a_lock_error()
    {
        using var lockErrors = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), DatabaseTelemetry.Name, "aegis.database.lock_errors");
        await factory.CreateClient().GetAsync("/health"); // the service has created and migrated its database
        await using var holder = await factory.OpenConnectionAsync();
        await using (var command = holder.CreateCommand())
        {
            command.CommandText = "BEGIN; LOCK TABLE shield IN ACCESS EXCLUSIVE MODE;"; // held until the connection closes
            await command.ExecuteNonQueryAsync();
        }

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<PostgresTestContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        await db.Database.ExecuteSqlRawAsync("SET lock_timeout = '200ms';");

        var error = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("INSERT INTO shield (name) VALUES ('blocked');"));

        Assert.Equal(PostgresErrorCodes.LockNotAvailable, error.SqlState);
        var counted = Assert.Single(lockErrors.GetMeasurementSnapshot());
        Assert.Equal((1L, "lock_not_available"), (counted.Value, counted.Tags["error.type"]));
        output.WriteLine($"aegis.database.lock_errors: {counted.Value} {{error.type={counted.Tags["error.type"]}}}");
    }
}
