using my_project.Api.Database;
using my_project.Api.Shields;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

/// <summary>
/// How this service writes, as tests to copy: a session commits when its callback returns, and a nested one joins it; a write endpoint commits only when it answers 2xx, so a handler that catches a failed save
/// and answers 409 writes nothing; EF Core's concurrency retry works inside both.
/// </summary>
public sealed class SessionPatternTests(ApiFactory factory) : IClassFixture<ApiFactory>, IDisposable
{
    private readonly IServiceScope scope = factory.Services.CreateScope(); // a session belongs to a scope, as to a request

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

    private DbSession Session => scope.ServiceProvider.GetRequiredService<DbSession>();

    public void Dispose() => scope.Dispose();

    [Fact]
    public async Task Leaving_the_scope_normally_commits()
    {
        var name = Unique();

        await Session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name, DefenseRating = 95 }));

        Assert.Equal(95, (await FindAsync(name))?.DefenseRating);
    }

    [Fact]
    public async Task A_nested_session_joins_the_outer_one_and_commits_with_it()
    {
        var (outer, inner) = (Unique(), Unique());

        await Session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = outer });
            await Session.RunAsync(nested =>
            {
                Assert.Same(db, nested);
                nested.Set<Shield>().Add(new Shield { Name = inner });
            });
            Assert.Null(await FindAsync(inner)); // not committed until the outer session ends
        });

        Assert.NotNull(await FindAsync(outer));
        Assert.NotNull(await FindAsync(inner));
    }

    [Theory]
    [MemberData(nameof(Outcomes))]
    public async Task A_write_endpoint_commits_only_for_a_success_status(int status, bool committed)
    {
        var name = Unique();

        await RunHandlerAsync(factory, async (db, _) =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            await db.SaveChangesAsync(); // saved midway (to learn an id, say): inside the request's transaction
            return TypedResults.StatusCode(status);
        });

        Assert.Equal(committed, await ExistsAsync(factory, name));
    }

    [Fact]
    public async Task A_handler_that_catches_a_duplicate_key_and_answers_409_gets_409_and_writes_nothing()
    {
        var (saved, duplicate) = (Unique(), Unique());
        var takenId = await CreateAsync(Unique());

        var result = await RunHandlerAsync(factory, async (db, _) =>
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
        Assert.False(await ExistsAsync(factory, saved));
        Assert.False(await ExistsAsync(factory, duplicate));
    }

    [Fact]
    public async Task EF_Cores_concurrency_retry_succeeds_inside_a_write_endpoint()
    {
        var id = await CreateAsync(Unique(), defenseRating: 1);

        var result = await RunHandlerAsync(factory, async (db, _) =>
        {
            var shield = await db.Set<Shield>().SingleAsync(s => s.Id == id);
            await ChangeBehindTheTrackerAsync(db, id, defenseRating: 50);
            shield.DefenseRating += 10;
            shield.Version = Guid.NewGuid();
            await SaveAddingToTheStoredRatingAsync(db, added: 10, CancellationToken.None);
            return TypedResults.Ok();
        });

        Assert.IsType<Ok>(result);
        Assert.Equal(60, (await FindAsync(id))?.DefenseRating);
    }

    /// <summary>Runs <paramref name="handler"/> as a write endpoint's handler, in a request scope of its own.</summary>
    internal static async Task<object?> RunHandlerAsync(ApiFactory factory, Func<AppDbContext, HttpContext, Task<object?>> handler)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        return await UnitOfWorkFilter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), async _ => await handler(db, http));
    }

    internal static async Task<bool> ExistsAsync(ApiFactory factory, string name)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AnyAsync(s => s.Name == name);
    }

    /// <summary>Another writer changes the row after this unit read it, as a concurrent request would.</summary>
    /// <remarks>Through the unit's own connection: on SQLite the unit holds the only write lock.</remarks>
    internal static Task ChangeBehindTheTrackerAsync(AppDbContext db, int id, int defenseRating) =>
        db.Set<Shield>().Where(s => s.Id == id).ExecuteUpdateAsync(update => update
            .SetProperty(s => s.DefenseRating, defenseRating)
            .SetProperty(s => s.Version, Guid.NewGuid()));

    /// <summary>
    /// EF Core's documented concurrency pattern (learn.microsoft.com/ef/core/saving/concurrency): catch the conflict,
    /// read the stored values, decide (here: add to the stored rating), refresh the original values and save again.
    /// </summary>
    internal static async Task SaveAddingToTheStoredRatingAsync(AppDbContext db, int added, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateConcurrencyException conflict) when (attempt < 3)
            {
                foreach (var entry in conflict.Entries)
                {
                    var stored = await entry.GetDatabaseValuesAsync(cancellationToken)
                        ?? throw new InvalidOperationException("The row was deleted.", conflict);
                    entry.CurrentValues[nameof(Shield.DefenseRating)] = stored.GetValue<int>(nameof(Shield.DefenseRating)) + added;
                    entry.OriginalValues.SetValues(stored);
                }
            }
        }
    }

    private static string Unique() => Guid.NewGuid().ToString("N");

    private async Task<int> CreateAsync(string name, int defenseRating = Shield.DefaultDefenseRating)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var shield = db.Set<Shield>().Add(new Shield { Name = name, DefenseRating = defenseRating }).Entity;
        await db.SaveChangesAsync();
        return shield.Id;
    }

    private async Task<Shield?> FindAsync(string name)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AsNoTracking().SingleOrDefaultAsync(s => s.Name == name);
    }

    private async Task<Shield?> FindAsync(int id)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AsNoTracking().SingleOrDefaultAsync(s => s.Id == id);
    }
}
