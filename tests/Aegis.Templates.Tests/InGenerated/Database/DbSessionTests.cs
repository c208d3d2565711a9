using System.Reflection;
using AegisApp.Api.Database;
using AegisApp.Api.Shields;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AegisApp.Api.Tests.Database;

public sealed class DbSessionTests(ApiFactory factory) : IClassFixture<ApiFactory>, IDisposable
{
    private readonly IServiceScope scope = factory.Services.CreateScope();

    private DbSession session => scope.ServiceProvider.GetRequiredService<DbSession>();

    public void Dispose() => scope.Dispose();

    [Fact]
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

    [Fact]
    public async Task EF_Cores_concurrency_retry_succeeds_inside_a_session()
    {
        var id = await session.RunAsync(async db =>
        {
            var shield = db.Set<Shield>().Add(new Shield { Name = Unique(), DefenseRating = 1 }).Entity;
            await db.SaveChangesAsync();
            return shield.Id;
        });

        await session.RunAsync(async (db, cancellationToken) =>
        {
            var shield = await db.Set<Shield>().SingleAsync(s => s.Id == id, cancellationToken);
            await SessionPatternTests.ChangeBehindTheTrackerAsync(db, id, defenseRating: 50);
            shield.DefenseRating += 10;
            shield.Version = Guid.NewGuid();
            await SessionPatternTests.SaveAddingToTheStoredRatingAsync(db, added: 10, cancellationToken);
        });

        Assert.Equal(60, (await FindAsync(id))?.DefenseRating);
    }

    [Fact]
    public async Task A_failed_save_the_callback_catches_writes_nothing_of_itself_and_the_rest_commits()
    {
        var (saved, afterwards) = (Unique(), Unique());

        await session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = saved });
            await db.SaveChangesAsync();
            var failing = db.Set<Shield>().Add(new Shield { Name = null! }); // NOT NULL: this save fails
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            failing.State = EntityState.Detached; // as EF Core's docs say: deal with the entity, or it is saved again
            db.Set<Shield>().Add(new Shield { Name = afterwards });
        });

        Assert.NotNull(await FindAsync(saved));
        Assert.NotNull(await FindAsync(afterwards));
    }

    [Fact]
    public async Task A_first_save_that_fails_half_way_and_is_caught_writes_none_of_its_rows()
    {
        var (inFailedSave, afterwards) = (Unique(), Unique());

        await session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = inFailedSave }); // written by the save's first statement...
            var failing = db.Set<Shield>().Add(new Shield { Name = null! }); // ...before its second fails
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            db.Set<Shield>().Add(new Shield { Name = afterwards });
        });

        Assert.Null(await FindAsync(inFailedSave));
        Assert.NotNull(await FindAsync(afterwards));
    }

    [Fact]
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

    [Fact]
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

    [Fact]
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
            await session.RunAsync(db => db.Set<Shield>().Single(s => s.Name == name).DefenseRating = 42);
        }

        Assert.Equal(42, (await FindAsync(name))?.DefenseRating);
    }

    [Fact]
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

    [Fact]
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

    [Fact]
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

    [Fact]
    public async Task Without_a_session_each_save_commits_on_its_own_and_unsaved_changes_are_discarded()
    {
        var (saved, unsaved) = (Unique(), Unique());

        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            db.Set<Shield>().Add(new Shield { Name = saved });
            await db.SaveChangesAsync();
            db.Set<Shield>().Add(new Shield { Name = unsaved });
        }

        Assert.NotNull(await FindAsync(saved));
        Assert.Null(await FindAsync(unsaved));
    }

    [Fact]
    public async Task Concurrent_sessions_each_commit_their_own_rows()
    {
        var prefix = Unique();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            await using var own = factory.Services.CreateAsyncScope(); // a session per scope, as each request has
            await own.ServiceProvider.GetRequiredService<DbSession>().RunAsync(db => db.Set<Shield>().Add(new Shield { Name = $"{prefix}-{i}" }));
        })));

        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        Assert.Equal(8, await db.Set<Shield>().CountAsync(s => s.Name.StartsWith(prefix)));
    }

    [Fact]
    public async Task Parallel_sessions_in_one_unit_fail_at_once_with_a_message_saying_so_and_write_nothing()
    {
        var (first, second) = (Unique(), Unique());
        var firstIsRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = first });
            var running = Task.Run(() => session.RunAsync(async (joined, cancellationToken) =>
            {
                joined.Set<Shield>().Add(new Shield { Name = first + "-joined" });
                await joined.SaveChangesAsync(cancellationToken);
                firstIsRunning.SetResult();
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }));
            var parallel = Task.Run(async () =>
            {
                await firstIsRunning.Task;
                await session.RunAsync(joined => joined.Set<Shield>().Add(new Shield { Name = second }));
            });
            await Task.WhenAll(running, parallel).WaitAsync(TimeSpan.FromSeconds(30));
        }));

        Assert.StartsWith("A session was started while another session of its unit of work was running", error.Message);
        Assert.Null(await FindAsync(first));
        Assert.Null(await FindAsync(first + "-joined"));
        Assert.Null(await FindAsync(second));
    }

    [Fact]
    public async Task A_session_started_after_its_unit_ended_is_a_unit_of_its_own()
    {
        var name = Unique();
        var unitEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? late = null;

        await session.RunAsync(_ =>
        {
            // Started inside the unit, so it inherits the unit as its ambient one, but it runs after the unit ended.
            late = Task.Run(async () =>
            {
                await unitEnded.Task;
                await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name }));
            });
        });
        unitEnded.SetResult();
        await late!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(await FindAsync(name));
    }

    [Fact]
    public async Task A_unit_whose_session_is_still_running_when_it_ends_writes_nothing_and_says_why()
    {
        var name = Unique();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task? forgotten = null;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            db.Set<Shield>().Add(new Shield { Name = name });
            forgotten = Task.Run(() => session.RunAsync(async _ => { started.SetResult(); await release.Task; })); // never awaited
            await started.Task;
        }));
        release.SetResult();
        await forgotten!.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("A session of this unit of work was still running when the unit ended", error.Message);
        Assert.Null(await FindAsync(name));
    }

    [Fact]
    public async Task A_nested_session_gets_its_own_token_and_its_cancellation_rolls_the_unit_back()
    {
        var name = Unique();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.RunAsync(async (db, cancellationToken) =>
        {
            Assert.False(cancellationToken.IsCancellationRequested);
            db.Set<Shield>().Add(new Shield { Name = name });
            await session.RunAsync(async (joined, joinedToken) =>
            {
                Assert.Equal(cancelled.Token, joinedToken);
                await joined.SaveChangesAsync(joinedToken);
            }, cancelled.Token);
        }));

        Assert.Null(await FindAsync(name));
    }

    [Theory]
    [InlineData("SaveChangesAsync")]
    [InlineData("ExecuteDeleteAsync")]
    public async Task A_second_context_writing_inside_a_unit_fails_at_once_saying_what_to_do(string write)
    {
        var (inUnit, inOther) = (Unique(), Unique());
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async (db, cancellationToken) =>
        {
            db.Set<Shield>().Add(new Shield { Name = inUnit });
            await db.SaveChangesAsync(cancellationToken); // on SQLite the unit now holds the write lock
            await using var other = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync(cancellationToken);
            other.Set<Shield>().Add(new Shield { Name = inOther });
            await (write == "SaveChangesAsync" ? other.SaveChangesAsync(cancellationToken)
                : other.Set<Shield>().Where(s => s.Name == inUnit).ExecuteDeleteAsync(cancellationToken));
        }));

        Assert.StartsWith("A second context wrote during a unit of work", error.Message);
        Assert.Contains("Write through the unit's context", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"It took {clock.Elapsed}: it waited for the database's lock."); // busy_timeout is 30 s
        Assert.Null(await FindAsync(inUnit));
        Assert.Null(await FindAsync(inOther));
    }

    [Fact]
    public async Task A_cancellation_that_comes_while_the_unit_commits_does_not_cut_the_commit_off()
    {
        var name = Unique();
        using var aborted = new CancellationTokenSource(); // a client that hangs up during the commit
        await using var service = WithOptions(options => options.AddInterceptors(new CancelWhenSaving(aborted)));
        await using var unit = service.Services.CreateAsyncScope();

        await unit.ServiceProvider.GetRequiredService<DbSession>().RunAsync(db => db.Set<Shield>().Add(new Shield { Name = name }), aborted.Token);

        Assert.True(aborted.IsCancellationRequested);
        Assert.NotNull(await FindAsync(name)); // committed, as the caller was told by the call returning
    }

    [Fact]
    public async Task A_retrying_strategy_runs_a_sessions_callback_again_on_a_cleared_tracker_but_a_write_endpoints_handler_once()
    {
        var (first, second) = (Unique(), Unique());
        var attempts = 0;
        await using var service = WithOptions(options =>
#if (UsePostgres)
            new Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder(options).ExecutionStrategy(dependencies => new RetryingStrategy(dependencies)));
#else
            new Microsoft.EntityFrameworkCore.Infrastructure.SqliteDbContextOptionsBuilder(options).ExecutionStrategy(dependencies => new RetryingStrategy(dependencies)));
#endif
        await using (var unit = service.Services.CreateAsyncScope())
        {
            await unit.ServiceProvider.GetRequiredService<DbSession>().RunAsync(async db =>
            {
                Assert.Empty(db.ChangeTracker.Entries()); // what a failed attempt added is not saved again
                db.Set<Shield>().Add(new Shield { Name = ++attempts == 1 ? first : second });
                await db.SaveChangesAsync();
                if (attempts == 1)
                {
                    throw new TransientFailure();
                }
            });
        }

        Assert.Equal(2, attempts);
        Assert.Null(await FindAsync(first));
        Assert.NotNull(await FindAsync(second));

        var runs = 0;
        await using var request = service.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = request.ServiceProvider };
        await Assert.ThrowsAsync<TransientFailure>(async () =>
            await UnitOfWorkFilter.InvokeAsync(new DefaultEndpointFilterInvocationContext(http), _ => ++runs > 0 ? throw new TransientFailure() : default));
        Assert.Equal(1, runs); // a handler's effects may reach beyond the database: it is never run twice
    }

    [Fact]
    public void The_session_has_no_synchronous_form_that_would_block_a_thread_the_service_needs()
    {
        var methods = typeof(DbSession).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);

        Assert.NotEmpty(methods);
        Assert.All(methods, method => Assert.True(typeof(Task).IsAssignableFrom(method.ReturnType), $"{method} is synchronous."));
    }

    /// <summary>The service on the same database, with <paramref name="configure"/> applied to its context's options.</summary>
    private WebApplicationFactory<Program> WithOptions(Action<DbContextOptionsBuilder> configure) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.ConfigureDbContext<AppDbContext>(configure)));

    private static string Unique() => Guid.NewGuid().ToString("N");

    private sealed class TransientFailure() : Exception("A transient failure, as a retrying execution strategy sees one.");

    private sealed class RetryingStrategy(ExecutionStrategyDependencies dependencies) : ExecutionStrategy(dependencies, 3, TimeSpan.FromMilliseconds(10))
    {
        protected override bool ShouldRetryOn(Exception exception) => exception is TransientFailure;
    }

    private sealed class CancelWhenSaving(CancellationTokenSource source) : SaveChangesInterceptor
    {
        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await source.CancelAsync();
            return result;
        }
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

    private Shield? Find(string name)
    {
        using var db = factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContext();
        return db.Set<Shield>().AsNoTracking().SingleOrDefault(s => s.Name == name);
    }
}
