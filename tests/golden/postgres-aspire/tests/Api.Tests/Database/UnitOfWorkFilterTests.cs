using my_project.Api.Database;
using my_project.Api.Shields;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

/// <summary>The request-scoped unit of work, driven with handlers that succeed, fail with a status, and throw.</summary>
public sealed class UnitOfWorkFilterTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    public static TheoryData<int, bool> Outcomes => new()
    {
        { StatusCodes.Status200OK, true },
        { StatusCodes.Status201Created, true },
        { StatusCodes.Status204NoContent, true },
        { StatusCodes.Status400BadRequest, false },
        { StatusCodes.Status404NotFound, false },
        { StatusCodes.Status409Conflict, false },
        { StatusCodes.Status500InternalServerError, false },
    };

    [PostgresTheory]
    [MemberData(nameof(Outcomes))]
    public async Task Changes_are_committed_only_for_a_success_status(int status, bool committed)
    {
        var name = Guid.NewGuid().ToString("N");

        await RunHandlerAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            await db.SaveChangesAsync(); // saved inside the request's transaction, as POST does for its id
            return TypedResults.StatusCode(status);
        });

        Assert.Equal(committed, await ExistsAsync(name));
    }

    [PostgresTheory]
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

    [PostgresFact]
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

    [PostgresFact]
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

    [PostgresTheory]
    [InlineData(StatusCodes.Status200OK, true)]
    [InlineData(StatusCodes.Status422UnprocessableEntity, false)]
    public async Task A_session_opened_by_the_handler_joins_the_request(int status, bool committed)
    {
        var name = Guid.NewGuid().ToString("N");
        var session = factory.Services.GetRequiredService<DbSession>();

        await RunHandlerAsync(async db =>
        {
            await session.RunAsync(joined =>
            {
                Assert.Same(db, joined);
                joined.Set<Shield>().Add(new Shield { Name = name });
            });
            return TypedResults.StatusCode(status);
        });

        Assert.Equal(committed, await ExistsAsync(name));
    }

    [PostgresFact]
    public async Task A_handler_that_catches_a_duplicate_key_and_answers_409_gets_409_and_writes_nothing()
    {
        var (saved, duplicate) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        var takenId = await CreateAsync(Guid.NewGuid().ToString("N"));

        var result = await RunHandlerAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = saved });
            await db.SaveChangesAsync();
            db.Set<Shield>().Add(new Shield { Id = takenId, Name = duplicate }); // the primary key is unique
            try
            {
                await db.SaveChangesAsync();
                return TypedResults.Created();
            }
            catch (DbUpdateException)
            {
                return TypedResults.Conflict();
            }
        });

        Assert.IsType<Conflict>(result);
        Assert.False(await ExistsAsync(saved));
        Assert.False(await ExistsAsync(duplicate));
    }

    [PostgresFact]
    public async Task EF_Cores_concurrency_retry_succeeds_inside_a_write_endpoint()
    {
        var id = await CreateAsync(Guid.NewGuid().ToString("N"), defenseRating: 1);

        var result = await RunHandlerAsync(async db =>
        {
            var shield = await db.Set<Shield>().SingleAsync(s => s.Id == id);
            await DbSessionTests.ChangeBehindTheTrackerAsync(db, id, defenseRating: 50);
            shield.DefenseRating += 10;
            shield.Version = Guid.NewGuid();
            await DbSessionTests.SaveAddingToTheStoredRatingAsync(db, added: 10, CancellationToken.None);
            return TypedResults.Ok();
        });

        Assert.IsType<Ok>(result);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        Assert.Equal(60, (await db.Set<Shield>().SingleAsync(s => s.Id == id)).DefenseRating);
    }

    [PostgresTheory]
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

    [PostgresFact]
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

    private Task<object?> RunHandlerAsync(Func<AppDbContext, Task<object?>> handler) => RunHandlerAsync((db, _) => handler(db));

    private async Task<object?> RunHandlerAsync(Func<AppDbContext, HttpContext, Task<object?>> handler)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        return await UnitOfWorkFilter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), async _ => await handler(db, http));
    }

    private async Task<int> CreateAsync(string name, int defenseRating = Shield.DefaultDefenseRating)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var shield = db.Set<Shield>().Add(new Shield { Name = name, DefenseRating = defenseRating }).Entity;
        await db.SaveChangesAsync();
        return shield.Id;
    }

    /// <summary>A result that sets its status only when it is written, as a custom one may.</summary>
    private sealed class StatuslessResult : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
            return Task.CompletedTask;
        }
    }

    private async Task<bool> ExistsAsync(string name)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AnyAsync(s => s.Name == name);
    }
}
