using my_project.Api.Database;
using my_project.Api.Shields;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

public sealed class DbSessionTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly DbSession session = factory.Services.GetRequiredService<DbSession>();

    [PostgresFact]
    public async Task Leaving_the_scope_normally_commits()
    {
        var name = Unique();

        await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name, DefenseRating = 95 }));

        Assert.Equal(95, (await FindAsync(name))?.DefenseRating);
    }

    [PostgresFact]
    public async Task Throwing_rolls_back_and_propagates_the_same_exception()
    {
        var (name, other) = (Unique(), Unique());
        var thrown = new InvalidOperationException("boom");

        var caught = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            db.Set<Shield>().AddRange(new Shield { Name = name }, new Shield { Name = other });
            await db.SaveChangesAsync(); // even saved changes are undone: the session is one transaction
            throw thrown;
        }));

        Assert.Same(thrown, caught);
        Assert.Null(await FindAsync(name));
        Assert.Null(await FindAsync(other));
    }

    [PostgresFact]
    public async Task A_failed_save_rolls_the_session_back_even_when_the_callback_catches_it()
    {
        var saved = Unique();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = saved });
            await db.SaveChangesAsync();
            db.Set<Shield>().Add(new Shield { Name = null! }); // NOT NULL: this save fails
            try
            {
                await db.SaveChangesAsync();
            }
            catch (DbUpdateException)
            {
                // swallowed: the session must still not commit the first save
            }
        }));

        Assert.StartsWith("A SaveChanges in this one failed", error.Message);
        Assert.Null(await FindAsync(saved));
    }

    [PostgresFact]
    public async Task Sql_writes_roll_back_with_the_session()
    {
        var name = Unique();
        await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name, DefenseRating = 7 }));

        await Assert.ThrowsAsync<TimeoutException>(() => session.RunAsync(async db =>
        {
            await db.Set<Shield>().Where(s => s.Name == name).ExecuteUpdateAsync(s => s.SetProperty(shield => shield.DefenseRating, 8));
            await db.Database.ExecuteSqlAsync($"DELETE FROM shield WHERE name = {name}");
            throw new TimeoutException();
        }));

        Assert.Equal(7, (await FindAsync(name))?.DefenseRating);
    }

    [PostgresFact]
    public void Synchronous_code_commits_and_rolls_back()
    {
        var kept = Unique();
        var dropped = Unique();

        session.Run(db => db.Set<Shield>().Add(new Shield { Name = kept }));
        Assert.Throws<FormatException>(() => session.Run(db =>
        {
            db.Set<Shield>().Add(new Shield { Name = dropped });
            db.SaveChanges();
            throw new FormatException();
        }));

        Assert.NotNull(Find(kept));
        Assert.Null(Find(dropped));
    }

    [PostgresFact]
    public async Task Async_work_with_awaits_inside_the_scope_commits_and_returns_its_result()
    {
        var name = Unique();

        var id = await session.RunAsync(async db =>
        {
            await Task.Yield();
            var shield = new Shield { Name = name };
            db.Set<Shield>().Add(shield);
            await db.SaveChangesAsync();
            await Task.Delay(1);
            return shield.Id;
        });

        Assert.Equal(id, (await FindAsync(name))?.Id);
    }

    [PostgresFact]
    public async Task A_session_opened_inside_a_catch_block_commits_normally()
    {
        var name = Unique();

        try
        {
            throw new TimeoutException();
        }
        catch (TimeoutException)
        {
            await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name }));
            session.Run(db => db.Set<Shield>().Single(s => s.Name == name).DefenseRating = 42);
        }

        Assert.Equal(42, (await FindAsync(name))?.DefenseRating);
    }

    [PostgresFact]
    public async Task Edits_to_loaded_entities_are_saved_with_the_added_ones()
    {
        var (edited, added) = (Unique(), Unique());
        await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = edited, DefenseRating = 1 }));

        await session.RunAsync(async db =>
        {
            (await db.Set<Shield>().SingleAsync(s => s.Name == edited)).DefenseRating = 2;
            db.Set<Shield>().Add(new Shield { Name = added });
        });

        Assert.Equal(2, (await FindAsync(edited))?.DefenseRating);
        Assert.NotNull(await FindAsync(added));
    }

    [PostgresFact]
    public async Task Sessions_one_after_another_are_independent()
    {
        var first = Unique();
        var second = Unique();

        await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = first }));
        await Assert.ThrowsAsync<ArithmeticException>(() => session.RunAsync(db =>
        {
            db.Set<Shield>().Add(new Shield { Name = second });
            throw new ArithmeticException();
        }));

        Assert.NotNull(await FindAsync(first));
        Assert.Null(await FindAsync(second));
    }

    [PostgresFact]
    public async Task A_nested_session_joins_the_outer_one_and_commits_with_it()
    {
        var outer = Unique();
        var inner = Unique();

        await session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = outer });
            await session.RunAsync(nested =>
            {
                Assert.Same(db, nested);
                nested.Set<Shield>().Add(new Shield { Name = inner });
            });
            Assert.Null(await FindAsync(inner)); // not committed until the outer session ends
        });

        Assert.NotNull(await FindAsync(outer));
        Assert.NotNull(await FindAsync(inner));
    }

    [PostgresFact]
    public async Task A_failed_nested_session_rolls_back_the_whole_unit_even_when_caught()
    {
        var outer = Unique();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = outer });
            try
            {
                await session.RunAsync(async _ => { await Task.Yield(); throw new ArgumentException("inner"); });
            }
            catch (ArgumentException)
            {
                // swallowed on purpose
            }
        }));

        Assert.Contains("nested", error.Message);
        Assert.Null(await FindAsync(outer));
    }

    [PostgresFact]
    public async Task Without_autocommit_only_explicit_saves_are_written()
    {
        var saved = Unique();
        var unsaved = Unique();

        await session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = saved });
            await db.SaveChangesAsync();
            db.Set<Shield>().Add(new Shield { Name = unsaved });
        }, autoCommit: false);

        Assert.NotNull(await FindAsync(saved));
        Assert.Null(await FindAsync(unsaved));
    }

    [PostgresFact]
    public async Task Concurrent_sessions_each_commit_their_own_rows()
    {
        var prefix = Unique();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = $"{prefix}-{i}" })))));

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(8, await db.Set<Shield>().CountAsync(s => s.Name.StartsWith(prefix)));
    }

    private static string Unique() => Guid.NewGuid().ToString("N");

    private async Task<Shield?> FindAsync(string name)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().AsNoTracking().SingleOrDefaultAsync(s => s.Name == name);
    }

    private Shield? Find(string name)
    {
        using var db = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext();
        return db.Set<Shield>().AsNoTracking().SingleOrDefault(s => s.Name == name);
    }
}
