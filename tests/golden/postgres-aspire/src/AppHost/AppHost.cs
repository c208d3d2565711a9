using my_project.AppHost;
using Microsoft.Extensions.Configuration;

// The service and its database under the Aspire dashboard: their traces, logs, metrics and health in one place.
// `make aspire` runs it; the dashboard's login link is among the first lines it prints.
var builder = DistributedApplication.CreateBuilder(args);

// PostgreSQL as docker-compose.yml runs it for development (postgres:17, user and password aegis, localhost:5432),
// its data in a volume that outlives the container: `make serve`, `make migrate` and `make db-shell` reach it too.
var userName = builder.AddParameter("postgres-user", "aegis");
var password = builder.AddParameter("postgres-password", "aegis", secret: true);
var database = builder.AddPostgres("postgres", userName, password, port: 5432)
    .WithImageTag("17")
    .WithDataVolume()
    .AddDatabase("database", "my_project");

// As in the compose file: migrate runs first and exits; the API and the scheduler start once it has succeeded, and
// never migrate themselves.
var migrate = builder.AddRole("migrate")
    .WithEnvironment("DATABASE_URL", database.Resource.UriExpression)
    .WaitFor(database);
var api = builder.AddRole("api")
    .WithEnvironment("DATABASE_URL", database.Resource.UriExpression)
    .WithEnvironment("MIGRATE_ON_START", "false")
    .WithHttpEndpoint(port: builder.Configuration.GetValue("PORT", 8000))
    .WithHttpHealthCheck("/health")
    .WaitForCompletion(migrate);
// The scheduler serves no requests: a port of its own, not the api's, for its liveness probe (as in the compose file).
builder.AddRole("scheduler")
    .WithEnvironment("DATABASE_URL", database.Resource.UriExpression)
    .WithEnvironment("MIGRATE_ON_START", "false")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/alive")
    .WaitForCompletion(migrate);

api.WithRunCommand(migrate, "Apply migrations", "Runs migrate again: applies the migrations the database lacks while the service keeps running.");

builder.Build().Run();
