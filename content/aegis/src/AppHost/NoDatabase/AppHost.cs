using Microsoft.Extensions.Configuration;

// The service under the Aspire dashboard: its traces, logs, metrics and health in one place. `make aspire` runs it;
// the dashboard's login link is among the first lines it prints.
var builder = DistributedApplication.CreateBuilder(args);

// The service as `make serve` runs it, with the same .env, on http://localhost:$PORT. The dashboard shows it healthy
// when its /health says so.
builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint(port: builder.Configuration.GetValue("PORT", 8000))
    .WithHttpHealthCheck("/health");

builder.Build().Run();
