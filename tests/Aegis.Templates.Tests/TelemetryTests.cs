using System.Net;
using System.Net.Http.Json;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// A generated service run as a real process with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set sends its traces, metrics
/// and logs over OTLP/HTTP to a receiver written here, on 127.0.0.1.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed class TelemetryTests(TemplatePack pack)
{
    [Fact]
    public async Task The_sqlite_service_sends_its_spans_its_database_metrics_and_its_logs_to_the_otlp_endpoint()
    {
        var project = await pack.BuiltAsync("--database");
        await using var receiver = new OtlpReceiver();
        var environment = Otlp(receiver, $"sqlite:///{pack.NewFolder("otel")}/app.db");

        await using (var service = await RunningService.StartAsync(project, "dotnet", [TemplatePack.ApiDll(project)], environment))
        {
            Assert.Equal(HttpStatusCode.Created, (await service.Http.PostAsJsonAsync("/shields", new { name = "Exported" })).StatusCode);

            await receiver.WaitForAsync("/v1/traces", "my-project", "POST /shields", "unit of work", "Aegis.Database");
            await receiver.WaitForAsync("/v1/metrics", "http.server.request.duration", "dotnet.gc.collections",
                "aegis.database.write_queue.wait_time", "aegis.database.unit_of_work.duration", "committed");
            await receiver.WaitForAsync("/v1/logs", "is ready; migrations applied now: 1");
            await service.StopAsync();
        }

        Assert.DoesNotContain("GET /health", receiver.Received("/v1/traces")); // the start-up probes were not traced
    }

    [Fact]
    public async Task The_postgres_service_also_sends_npgsql_command_spans()
    {
        var (project, server) = (await pack.BuiltAsync("--db-provider", "postgres"), await pack.PostgresAsync());
        await using var receiver = new OtlpReceiver();
        var environment = Otlp(receiver, server.UrlOf($"otel_{Guid.NewGuid():N}"));

        await using var service = await RunningService.StartAsync(project, "dotnet", [TemplatePack.ApiDll(project)], environment);
        Assert.Equal(HttpStatusCode.Created, (await service.Http.PostAsJsonAsync("/shields", new { name = "Exported" })).StatusCode);

        await receiver.WaitForAsync("/v1/traces", "POST /shields", "unit of work", "Npgsql", "INSERT INTO shield");
        await receiver.WaitForAsync("/v1/metrics", "aegis.database.unit_of_work.duration", "db.client.operation.duration");
    }

    private static Dictionary<string, string?> Otlp(OtlpReceiver receiver, string databaseUrl) => new()
    {
        ["DATABASE_URL"] = databaseUrl,
        ["ASPNETCORE_URLS"] = null,
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
    };
}
