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

    private async Task RunHandlerAsync(Func<AppDbContext, Task<object?>> handler)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var context = new DefaultEndpointFilterInvocationContext(new DefaultHttpContext { RequestServices = scope.ServiceProvider });
        await UnitOfWorkFilter.InvokeAsync(context, async _ => await handler(db));
    }

    private async Task<bool> ExistsAsync(string name)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AnyAsync(s => s.Name == name);
    }
}
