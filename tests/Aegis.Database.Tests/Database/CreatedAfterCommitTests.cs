using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Aegis.Database.TestApp;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

/// <summary><see cref="UnitOfWorkResults.Created{TValue}"/>: a 201 whose Location is read after the unit of work saved the entity.</summary>
public sealed class CreatedAfterCommitTests(SqliteApiFactory factory) : IClassFixture<SqliteApiFactory>
{
    [Fact]
    public async Task Its_location_and_body_carry_the_id_the_units_final_save_gave_the_entity_in_one_insert()
    {
        using var commands = new CommandLog(factory);

        var response = await factory.CreateClient().PostAsJsonAsync("/shields/added", new { name = "Added" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var shield = await response.Content.ReadFromJsonAsync<Shield>();
        Assert.True(shield!.Id > 0);
        Assert.Equal($"/shields/{shield.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(["INSERT"], commands.Statements); // no BEGIN, no COMMIT: the final save alone, as a bare SaveChanges
        Assert.Equal("Added", (await factory.CreateClient().GetFromJsonAsync<Shield>(response.Headers.Location))!.Name);
    }

    [Fact]
    public async Task An_entity_no_unit_saved_fails_the_response_with_a_message_naming_the_fix()
    {
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        var result = UnitOfWorkResults.Created(db.Add(new Shield { Name = "Never saved" }), shield => $"/shields/{shield.Id}");
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => result.ExecuteAsync(http));

        Assert.Contains("was not saved (its state is Added)", error.Message);
        Assert.Contains("WithUnitOfWork()", error.Message);
        Assert.False(await db.Shields.AnyAsync(s => s.Name == "Never saved"));
        Assert.Equal(HttpStatusCode.InternalServerError,
            (await factory.CreateClient().PostAsJsonAsync("/shields/added?commit=false", new { name = "Never saved" })).StatusCode);
    }

    [Fact]
    public void Its_endpoint_is_documented_as_a_201_of_the_entity_as_TypedResults_Created_is()
    {
        var endpoint = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Single(e => e.RoutePattern.RawText == "/shields/added");

        var created = Assert.Single(
            endpoint.Metadata.OfType<IProducesResponseTypeMetadata>(), metadata => metadata.StatusCode == StatusCodes.Status201Created);
        Assert.Equal(typeof(Shield), created.Type);
        Assert.Contains("application/json", created.ContentTypes);
    }

    /// <summary>
    /// The statements this factory's context sends from now on, by their first word, with <c>BEGIN</c> and <c>COMMIT</c> for
    /// the transactions it begins and commits (other test classes' factories, running at the same time, are left out).
    /// </summary>
    private sealed class CommandLog : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly object options;
        private readonly IDisposable subscription;
        private readonly List<IDisposable> listeners = [];
        private readonly List<string> statements = [];

        public CommandLog(SqliteApiFactory factory)
        {
            options = factory.Services.GetRequiredService<DbContextOptions<SqliteTestContext>>();
            subscription = DiagnosticListener.AllListeners.Subscribe(this);
        }

        public List<string> Statements
        {
            get
            {
                lock (statements)
                {
                    return [.. statements];
                }
            }
        }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
            {
                lock (listeners)
                {
                    listeners.Add(listener.Subscribe(this, name => name == RelationalEventId.CommandExecuted.Name
                        || name == RelationalEventId.TransactionStarted.Name || name == RelationalEventId.TransactionCommitted.Name));
                }
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Value is DbContextEventData { Context: { } context } && ReferenceEquals(context.GetService<IDbContextOptions>(), options))
            {
                var statement = value.Value is CommandExecutedEventData executed ? executed.Command.CommandText.TrimStart().Split(' ')[0]
                    : value.Key == RelationalEventId.TransactionStarted.Name ? "BEGIN" : "COMMIT";
                lock (statements)
                {
                    statements.Add(statement);
                }
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            subscription.Dispose();
            lock (listeners)
            {
                listeners.ForEach(listener => listener.Dispose());
            }
        }
    }
}
