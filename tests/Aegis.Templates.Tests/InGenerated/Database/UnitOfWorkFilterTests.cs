using System.Diagnostics;
using AegisApp.Api.Database;
using AegisApp.Api.Shields;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace AegisApp.Api.Tests.Database;

/// <summary>
/// The request-scoped unit of work, driven with handlers that succeed, fail with a status, and throw (beyond the
/// patterns in <see cref="SessionPatternTests"/>).
/// </summary>
public sealed class UnitOfWorkFilterTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_result_union_is_judged_by_the_result_it_holds(bool found)
    {
        var name = Guid.NewGuid().ToString("N");

        await RunHandlerAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            await db.SaveChangesAsync();
            Results<Ok, NotFound> result = found ? TypedResults.Ok() : TypedResults.NotFound(); // as the handlers return
            return result;
        });

        Assert.Equal(found, await ExistsAsync(name));
    }

    [Fact]
    public async Task A_unit_whose_only_write_is_its_final_save_begins_no_transaction_and_one_that_saves_midway_begins_one()
    {
        var (single, midway) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        using var transactions = new TransactionCounter();
        var (singleDb, midwayDb) = ((AppDbContext?)null, (AppDbContext?)null);

        await RunHandlerAsync(db =>
        {
            singleDb = db;
            db.Set<Shield>().Add(new Shield { Name = single }); // saved by the unit as it ends: one INSERT, as a bare SaveChanges
            return Task.FromResult<object?>(TypedResults.NoContent());
        });
        var inSingle = transactions.Of(singleDb!);
        transactions.Clear(); // the pool may hand the same context to the next unit
        await RunHandlerAsync(async db =>
        {
            midwayDb = db;
            db.Set<Shield>().Add(new Shield { Name = midway });
            await db.SaveChangesAsync(); // a write before the final save: the unit's transaction begins here
            return TypedResults.NoContent();
        });

        Assert.Equal(0, inSingle);
        Assert.Equal(1, transactions.Of(midwayDb!));
        Assert.True(await ExistsAsync(single));
        Assert.True(await ExistsAsync(midway));
    }

    [Theory]
    [InlineData(StatusCodes.Status409Conflict)]
    [InlineData(StatusCodes.Status503ServiceUnavailable)]
    public async Task Rows_a_handler_saved_midway_are_rolled_back_when_it_then_answers_an_error(int status)
    {
        var (first, second) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));

        await RunHandlerAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = first });
            await db.SaveChangesAsync();
            await db.Set<Shield>().Where(s => s.Name == first).ExecuteUpdateAsync(s => s.SetProperty(shield => shield.DefenseRating, 1));
            db.Set<Shield>().Add(new Shield { Name = second });
            await db.SaveChangesAsync();
            return TypedResults.Problem(statusCode: status);
        });

        Assert.False(await ExistsAsync(first));
        Assert.False(await ExistsAsync(second));
    }

    [Fact]
    public async Task Unsaved_changes_of_a_successful_handler_are_saved()
    {
        var name = Guid.NewGuid().ToString("N");

        await RunHandlerAsync(db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            return Task.FromResult<object?>(TypedResults.NoContent());
        });

        Assert.True(await ExistsAsync(name));
    }

    [Fact]
    public async Task A_throwing_handler_writes_nothing_and_its_exception_propagates()
    {
        var name = Guid.NewGuid().ToString("N");

        await Assert.ThrowsAsync<TimeoutException>(() => RunHandlerAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            await db.SaveChangesAsync();
            throw new TimeoutException();
        }));

        Assert.False(await ExistsAsync(name));
    }

    [Theory]
    [InlineData(StatusCodes.Status200OK, true)]
    [InlineData(StatusCodes.Status422UnprocessableEntity, false)]
    public async Task A_session_opened_by_the_handler_joins_the_request(int status, bool committed)
    {
        var name = Guid.NewGuid().ToString("N");

        await RunHandlerAsync(async (db, http) =>
        {
            await http.RequestServices.GetRequiredService<DbSession>().RunAsync(joined =>
            {
                Assert.Same(db, joined);
                joined.Set<Shield>().Add(new Shield { Name = name });
            });
            return TypedResults.StatusCode(status);
        });

        Assert.Equal(committed, await ExistsAsync(name));
    }

    [Theory]
    [InlineData(StatusCodes.Status200OK, true)]
    [InlineData(StatusCodes.Status409Conflict, false)]
    public async Task A_value_or_an_empty_result_is_judged_by_the_status_the_handler_set(int status, bool committed)
    {
        var (asValue, asEmpty) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));

        await RunHandlerAsync((db, http) =>
        {
            http.Response.StatusCode = status;
            db.Set<Shield>().Add(new Shield { Name = asValue });
            return Task.FromResult<object?>(new { asValue });
        });
        await RunHandlerAsync((db, http) =>
        {
            http.Response.StatusCode = status;
            db.Set<Shield>().Add(new Shield { Name = asEmpty });
            return Task.FromResult<object?>(Results.Empty);
        });

        Assert.Equal(committed, await ExistsAsync(asValue));
        Assert.Equal(committed, await ExistsAsync(asEmpty));
    }

    [Fact]
    public async Task A_result_that_does_not_say_its_status_is_refused_and_writes_nothing()
    {
        var name = Guid.NewGuid().ToString("N");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunHandlerAsync(db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            return Task.FromResult<object?>(new StatuslessResult());
        }));

        Assert.StartsWith("A write endpoint returned StatuslessResult, which does not say its status code", error.Message);
        Assert.False(await ExistsAsync(name));
    }

    [Fact]
    public async Task A_nested_failure_that_the_handler_catches_leaves_the_handlers_answer_and_writes_nothing()
    {
        var name = Guid.NewGuid().ToString("N");

        var result = await RunHandlerAsync(async (db, http) =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            try
            {
                await http.RequestServices.GetRequiredService<DbSession>().RunAsync(async _ => { await Task.Yield(); throw new ArgumentException("invalid"); });
            }
            catch (ArgumentException)
            {
                return TypedResults.BadRequest();
            }

            return TypedResults.Ok();
        });

        Assert.IsType<BadRequest>(result);
        Assert.False(await ExistsAsync(name));
    }

    [Fact]
    public async Task A_nested_failure_under_a_success_is_refused_with_its_cause_and_writes_nothing()
    {
        var name = Guid.NewGuid().ToString("N");
        var cause = new ArgumentException("invalid");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunHandlerAsync(async (db, http) =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            try
            {
                await http.RequestServices.GetRequiredService<DbSession>().RunAsync(async _ => { await Task.Yield(); throw cause; });
            }
            catch (ArgumentException)
            {
                // swallowed, and a success answered anyway
            }

            return TypedResults.Ok();
        }));

        Assert.Contains("nested", error.Message);
        Assert.Same(cause, error.InnerException);
        Assert.False(await ExistsAsync(name));
    }

    private Task<object?> RunHandlerAsync(Func<AppDbContext, Task<object?>> handler) =>
        SessionPatternTests.RunHandlerAsync(factory, (db, _) => handler(db));

    private Task<object?> RunHandlerAsync(Func<AppDbContext, HttpContext, Task<object?>> handler) =>
        SessionPatternTests.RunHandlerAsync(factory, handler);

    /// <summary>A result that sets its status only when it is written, as a custom one may.</summary>
    private sealed class StatuslessResult : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
            return Task.CompletedTask;
        }
    }

    private Task<bool> ExistsAsync(string name) => SessionPatternTests.ExistsAsync(factory, name);

    /// <summary>Counts the transactions begun on each context, from EF Core's diagnostic events, until disposed.</summary>
    private sealed class TransactionCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly IDisposable subscription;
        private readonly List<IDisposable> listeners = [];
        private readonly List<(DbContext Context, Guid Transaction)> begun = [];

        public TransactionCounter() => subscription = DiagnosticListener.AllListeners.Subscribe(this);

        public void Clear()
        {
            lock (begun)
            {
                begun.Clear();
            }
        }

        public int Of(DbContext context)
        {
            lock (begun)
            {
                return begun.Where(t => t.Context == context).Select(t => t.Transaction).Distinct().Count();
            }
        }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == DbLoggerCategory.Name)
            {
                lock (listeners)
                {
                    listeners.Add(listener.Subscribe(this, name => name == RelationalEventId.TransactionStarted.Name));
                }
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Value is TransactionEventData { Context: { } context } started)
            {
                lock (begun)
                {
                    begun.Add((context, started.TransactionId));
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
