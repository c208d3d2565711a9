using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace my_project.Api.Infrastructure;

/// <summary>
/// OpenTelemetry: logs, traces (requests served and HTTP calls made) and metrics (ASP.NET Core, HttpClient, the .NET
/// runtime); components add their own sources with <c>AddOpenTelemetry().WithTracing(…)</c>. They are sent over OTLP
/// when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and nowhere when it is not. The standard <c>OTEL_*</c> settings
/// apply, from the environment or <c>.env</c>: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (grpc, the default, or
/// http/protobuf), <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>,
/// <c>OTEL_METRIC_EXPORT_INTERVAL</c>, …
/// </summary>
public static class Telemetry
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";

    /// <summary>Probes answered every few seconds by design: tracing each one would bury the requests that matter.</summary>
    private static readonly PathString[] Probes = ["/alive", "/health"];

    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointKey]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration[ServiceNameKey] is { Length: > 0 } name ? name : "my-project"))
            .WithTracing(tracing =>
            {
                tracing
                    .AddAspNetCoreInstrumentation(options => options.Filter = context => !Probes.Any(probe => context.Request.Path.StartsWithSegments(probe)))
                    .AddHttpClientInstrumentation();
                if (!exporting)
                {
                    // Spans that go nowhere would cost every request its time: trace only what a caller's traceparent
                    // asks to be traced (an in-process exporter, as in the tests, still sees those).
                    tracing.SetSampler(new ParentBasedSampler(new AlwaysOffSampler()));
                }
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation());

        // Reads OTEL_EXPORTER_OTLP_* itself; registered only when there is somewhere to send to, so that an unset
        // endpoint never means retries against the default localhost:4317.
        if (exporting)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }
}
