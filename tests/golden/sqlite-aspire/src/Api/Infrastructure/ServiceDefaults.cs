using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

namespace my_project.Api.Infrastructure;

/// <summary>
/// What the service needs whichever components it has: configuration from <c>.env</c>,
/// the listening port, OpenTelemetry, ProblemDetails errors, validation, OpenAPI, and the <c>/alive</c> and
/// <c>/health</c> endpoints.
/// </summary>
public static class ServiceDefaults
{
    public const string PortKey = "PORT";
    public const string ListenAddressKey = "LISTEN_ADDRESS";
    public const string DotEnvKey = "DOTENV";
    public const int DefaultPort = 8000;

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        // .env configures this machine's runs of the service; the tests turn it off (DOTENV=false) and set up their own.
        if (builder.Configuration.GetValue<bool?>(DotEnvKey) is not false)
        {
            AddDotEnvFile(builder.Configuration, Path.Combine(ProjectRoot.Path, ".env"));
        }

        ListenOnPort(builder);
        builder.AddTelemetry();
        // JSON APIs need no large bodies; a bigger one is refused with 413 before it is read.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 1024 * 1024);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Unreadable bodies throw, so BadRequestExceptionHandler can name the field in every environment.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.Configure<JsonOptions>(options =>
        {
            // A misspelt field ("defense_rating") is rejected rather than silently ignored.
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // Validation errors name fields as the JSON does ("defenseRating"), not as C# does
            // (https://github.com/dotnet/aspnetcore/issues/61764).
            options.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.CamelCase;
            // Numbers are JSON numbers: "10" is a 400, and the OpenAPI document types them as plain integers.
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddValidation();
        builder.Services.AddOpenApi(ApiDocument.Configure);
        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        app.MapOpenApi();
        if (app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference();
        }

        // Liveness: 200 while the process runs and serves HTTP, whatever its dependencies say. A process that fails it
        // is stuck and needs a restart; one that fails /health only needs to be sent no requests until it passes again.
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealthAsync });
        // Readiness: every check, dependencies included.
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealthAsync });
        return app;
    }

    // Values from .env rank above appsettings*.json and below real environment variables and the command line.
    private static void AddDotEnvFile(ConfigurationManager configuration, string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var values = DotNetEnv.Env.NoEnvVars().Load(path)
            .ToDictionary(pair => pair.Key.Replace("__", ConfigurationPath.KeyDelimiter), pair => (string?)pair.Value);
        IList<IConfigurationSource> sources = ((IConfigurationBuilder)configuration).Sources;
        var environmentVariables = sources.ToList().FindIndex(
            source => source is EnvironmentVariablesConfigurationSource { Prefix: null or "" });
        sources.Insert(environmentVariables < 0 ? sources.Count : environmentVariables, new MemoryConfigurationSource { InitialData = values });
    }

    // http://$LISTEN_ADDRESS:$PORT (localhost:8000 unless set; the image sets LISTEN_ADDRESS=0.0.0.0, and platforms such
    // as Cloud Run set PORT). ASP.NET Core's own settings win, in their documented order: Kestrel:Endpoints, then
    // ASPNETCORE_URLS or --urls, then ASPNETCORE_HTTP_PORTS and ASPNETCORE_HTTPS_PORTS.
    private static void ListenOnPort(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any()
            || new[] { WebHostDefaults.ServerUrlsKey, WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey }.Any(key => !string.IsNullOrEmpty(configuration[key])))
        {
            return;
        }

        var value = configuration[PortKey];
        var port = DefaultPort;
        if (!string.IsNullOrEmpty(value) && (!int.TryParse(value, out port) || port is < 1 or > 65535))
        {
            throw new StartupException(
                $"{PortKey} '{value}' is not a port number. Set it to a number from 1 to 65535, e.g. {PortKey}={DefaultPort}, or leave it unset for {DefaultPort}.");
        }

        var address = configuration[ListenAddressKey] is { Length: > 0 } text ? text : "localhost";
        var host = address == "localhost" ? address
            : IPAddress.TryParse(address, out var ip) ? (ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString())
            : throw new StartupException(
                $"{ListenAddressKey} '{address}' is not an IP address. Set it to 0.0.0.0 to listen on every interface (as the container image does), " +
                $"to an address of this machine, or leave it unset for localhost.");
        builder.WebHost.UseUrls($"http://{host}:{port}");
    }

    // Each check's status. Its description and exception can name files, hosts and internals, so they are shown in
    // Development only; the health check service logs them in every environment. Written field by field: serializing
    // anonymous types by reflection cost the first /health, a start-up's readiness probe, about 10 ms more.
    private static async Task WriteHealthAsync(HttpContext context, HealthReport report)
    {
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
