using AegisApp.AppHost;
using Microsoft.Extensions.Configuration;

// The service under the Aspire dashboard: its traces, logs, metrics and health in one place, and buttons for its
// database. `make aspire` runs it; the dashboard's login link is among the first lines it prints.
var builder = DistributedApplication.CreateBuilder(args);

// The service as `make serve` runs it (the API and the scheduler in one process), with the same .env and
// data/app.db, on http://localhost:$PORT. The dashboard shows it healthy when its /health says so.
var api = builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint(port: builder.Configuration.GetValue("PORT", 8000))
    .WithHttpHealthCheck("/health");

// The one-shot roles of `make backup` and `make migrate` as buttons on the service, each run as a resource of its own
// whose console log says what it did.
var backup = builder.AddRole("backup").WithExplicitStart().WithParentRelationship(api);
var migrate = builder.AddRole("migrate").WithExplicitStart().WithParentRelationship(api);
api.WithRunCommand(backup, "Back up now", "Takes a backup of the database that scheduled pruning never deletes.")
    .WithRunCommand(migrate, "Apply migrations", "Applies the migrations the database lacks; the service may keep running.");

builder.Build().Run();
