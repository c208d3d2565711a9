using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

namespace my_project.Api.Infrastructure;

/// <summary>
/// What the service needs whichever components it has: configuration from <c>.env</c>, the listening port
/// (<c>PORT</c>, <c>LISTEN_ADDRESS</c>), OpenTelemetry, ProblemDetails errors, validation, OpenAPI, and the
/// <c>/alive</c> and <c>/health</c> endpoints.
/// </summary>
public static class ServiceDefaults
{
    public const string DotEnvKey = "DOTENV";

    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        // .env configures this machine's runs of the service; the tests turn it off (DOTENV=false) and set up their own.
        if (builder.Configuration.GetValue<bool?>(DotEnvKey) is not false)
        {
            builder.Configuration.AddDotEnvFile(Path.Combine(ProjectRoot.Path, ".env"));
        }

        builder.ListenOnPort();
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
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportWriter.WriteAsync });
        // Readiness: every check, dependencies included.
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthReportWriter.WriteAsync });
        return app;
    }
}
