using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// A minimal OTLP/HTTP receiver on 127.0.0.1: it answers every POST to <c>/v1/traces</c>, <c>/v1/metrics</c> and
/// <c>/v1/logs</c> with 200 and keeps the protobuf bodies. Without a protobuf decoder it reads them as text: the names
/// of spans, metrics, scopes and services, and log messages, are stored as plain UTF-8 strings in the wire format.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<(string Path, string Body)> received = new();
    private readonly Task serving;

    public OtlpReceiver()
    {
        Port = RunningService.FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The value of <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> for this receiver (with <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>).</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The bodies received so far on <paramref name="path"/>, e.g. <c>/v1/traces</c>, joined.</summary>
    public string Received(string path) => string.Join('\n', received.Where(r => r.Path == path).Select(r => r.Body));

    /// <summary>Waits (60 s at most, checking every 250 ms) until <paramref name="path"/> has received every one of <paramref name="texts"/>.</summary>
    public async Task WaitForAsync(string path, params string[] texts)
    {
        var clock = Stopwatch.StartNew();
        while (texts.Any(text => !Received(path).Contains(text, StringComparison.Ordinal)))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(60))
            {
                var missing = texts.Where(text => !Received(path).Contains(text, StringComparison.Ordinal));
                throw new XunitException($"{path} did not receive {string.Join(", ", missing)} within 60 s; it received {received.Count(r => r.Path == path)} export(s).");
            }

            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        await Task.WhenAny(serving, Task.Delay(TimeSpan.FromSeconds(5)));
        listener.Close();
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            // Latin-1 keeps every byte, so a string's UTF-8 bytes can be found whatever surrounds them.
            received.Enqueue((context.Request.Url!.AbsolutePath, Encoding.Latin1.GetString(body.ToArray())));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }
}
