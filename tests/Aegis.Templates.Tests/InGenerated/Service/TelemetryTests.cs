using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace AegisApp.Api.Tests;

/// <summary>OpenTelemetry as an exporter added to the service sees it, and the liveness probe.</summary>
public sealed class TelemetryTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_request_is_traced_and_measured_but_the_probes_are_not_traced()
    {
        var telemetry = new CollectedTelemetry(factory);
        var client = telemetry.CreateClient();
        var (request, probes) = (ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom());

        await client.SendAsync(CollectedTelemetry.Traced(new HttpRequestMessage(HttpMethod.Get, "/alive"), probes));
        await client.SendAsync(CollectedTelemetry.Traced(new HttpRequestMessage(HttpMethod.Get, "/health"), probes));
        var response = await client.SendAsync(CollectedTelemetry.Traced(new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json"), request));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var span = Assert.Single(await telemetry.SpansOfAsync(request, expected: 1));
        Assert.Equal(ActivityKind.Server, span.Kind);
        Assert.Equal(200, span.GetTagItem("http.response.status_code"));
        Assert.Empty(await telemetry.SpansOfAsync(probes, expected: 0)); // they ended before the request above began
        Assert.NotEmpty(telemetry.Points("http.server.request.duration"));
    }

    [Fact]
    public async Task Alive_is_200_and_runs_no_checks()
    {
        var response = await factory.CreateClient().GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"Healthy","checks":{}}""", await response.Content.ReadAsStringAsync());
    }
}
