using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aegis.Hosting;

/// <summary>A health report as JSON: <c>{"status":"Healthy","checks":{"database":{"status":"Healthy"}}}</c>.</summary>
public static class HealthReportWriter
{
    /// <summary>
    /// Writes each check's status. Its description and exception can name files, hosts and internals, so they are shown
    /// in Development only; the health check service logs them in every environment.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="report">The report to write.</param>
    /// <returns>A task that completes when the report is written.</returns>
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);
        // Field by field: serializing anonymous types by reflection cost the first /health, a start-up's readiness
        // probe, about 10 ms more.
        var detailed = context.RequestServices.GetRequiredService<IHostEnvironment>().IsDevelopment();
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            if (detailed && (entry.Description ?? entry.Exception?.Message) is { } description)
            {
                json.WriteString("description", description);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted);
    }
}
