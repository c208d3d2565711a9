using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Aegis.Database.Tests;

/// <summary>
/// The service's spans and metrics, exported in memory by an exporter added to its own OpenTelemetry pipeline. Spans
/// are found by trace id: activity listeners are process-wide, so other tests' requests are exported here too.
/// </summary>
public sealed class CollectedTelemetry
{
    private static readonly TimeSpan SpanWait = TimeSpan.FromSeconds(10);

    private readonly LockedList<Activity> spans = [];
    private readonly LockedList<MetricSnapshot> metrics = [];
    private readonly WebApplicationFactory<Program> service;

    public CollectedTelemetry(WebApplicationFactory<Program> factory) =>
        service = factory.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddInMemoryExporter(spans))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(this.metrics))));

    public HttpClient CreateClient() => service.CreateClient();

    public IServiceProvider Services => service.Services;

    /// <summary>A request that starts trace <paramref name="traceId"/>, as a caller that traces would send it.</summary>
    public static HttpRequestMessage Traced(HttpRequestMessage request, ActivityTraceId traceId)
    {
        request.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        return request;
    }

    /// <summary>POSTs <paramref name="body"/> as JSON to <paramref name="path"/> in a trace of its own, which it returns.</summary>
    public async Task<(HttpResponseMessage Response, ActivityTraceId Trace)> PostTracedAsync(string path, object body)
    {
        var trace = ActivityTraceId.CreateRandom();
        var response = await CreateClient().SendAsync(Traced(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) }, trace));
        return (response, trace);
    }

    /// <summary>The spans of trace <paramref name="traceId"/>, once <paramref name="expected"/> of them have ended (10 s at most).</summary>
    public async Task<List<Activity>> SpansOfAsync(ActivityTraceId traceId, int expected)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = spans.Snapshot().Where(span => span.TraceId == traceId).ToList();
            if (found.Count >= expected || clock.Elapsed > SpanWait)
            {
                return found; // the server span ends just after the response is sent
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Collects the metrics now and returns every point of <paramref name="name"/> collected so far, from every meter of
    /// that name (other tests' services have their own). A collection exports only the points that changed since the
    /// one before, so earlier collections are kept; the points are cumulative, so a later one only adds to an earlier.
    /// </summary>
    public IReadOnlyList<MetricPoint> Points(string name)
    {
        Services.GetRequiredService<MeterProvider>().ForceFlush();
        return metrics.Snapshot().Where(metric => metric.Name == name).SelectMany(metric => metric.MetricPoints).ToList();
    }

    public static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString();
            }
        }

        return null;
    }

    // The exporters add from whichever thread ends a span or collects metrics.
    private sealed class LockedList<T> : Collection<T>
    {
        public List<T> Snapshot()
        {
            lock (this)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, T item)
        {
            lock (this)
            {
                base.InsertItem(index, item);
            }
        }

        protected override void ClearItems()
        {
            lock (this)
            {
                base.ClearItems();
            }
        }
    }
}
