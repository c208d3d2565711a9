using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

public abstract class DatabaseFaultHandlerTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : ApiFactory
{
    [DatabaseFact]
    public async Task A_concurrency_conflict_nobody_caught_answers_409_saying_what_to_do()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider, Response = { Body = new MemoryStream() } };
        var handler = scope.ServiceProvider.GetServices<IExceptionHandler>().OfType<DatabaseFaultHandler>().Single();

        Assert.True(await handler.TryHandleAsync(http, new DbUpdateConcurrencyException("lost a race"), CancellationToken.None));

        Assert.Equal(StatusCodes.Status409Conflict, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal("Another request changed this data first.", problem.RootElement.GetProperty("title").GetString());
    }

    [DatabaseFact]
    public async Task Other_exceptions_are_declined()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetServices<IExceptionHandler>().OfType<DatabaseFaultHandler>().Single();

        Assert.False(await handler.TryHandleAsync(new DefaultHttpContext { RequestServices = scope.ServiceProvider }, new TimeoutException(), CancellationToken.None));
    }
}

public sealed class SqliteDatabaseFaultHandlerTests(SqliteApiFactory factory) : DatabaseFaultHandlerTests<SqliteApiFactory>(factory);

public sealed class PostgresDatabaseFaultHandlerTests(PostgresApiFactory factory) : DatabaseFaultHandlerTests<PostgresApiFactory>(factory);

public sealed class PostgresOutageTests(PostgresApiFactory factory) : IClassFixture<PostgresApiFactory>
{
    // A server that is down or restarting: the service's own 503 problem, which clients retry, rather than a bare 500.
    [PostgresTheory]
    [InlineData("connection refused", "The database server cannot be reached.")]
    [InlineData("57P01", "The database server is restarting.")]
    public async Task A_server_that_cannot_be_reached_answers_503_saying_so(string failure, string detail)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider, Response = { Body = new MemoryStream() } };
        var handler = scope.ServiceProvider.GetServices<IExceptionHandler>().OfType<DatabaseFaultHandler>().Single();
        Exception driver = failure == "connection refused"
            ? new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:5432", new System.Net.Sockets.SocketException(111))
            : new Npgsql.PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", failure);

        Assert.True(await handler.TryHandleAsync(http, new DbUpdateException("An error occurred while saving", driver), CancellationToken.None));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, http.Response.StatusCode);
        http.Response.Body.Position = 0;
        using var problem = await JsonDocument.ParseAsync(http.Response.Body);
        Assert.Equal("The database is unavailable.", problem.RootElement.GetProperty("title").GetString());
        Assert.StartsWith(detail, problem.RootElement.GetProperty("detail").GetString());
    }
}
