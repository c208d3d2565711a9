using System.Collections.Concurrent;
using System.Diagnostics;
using AegisApp.Api.Database;
using AegisApp.Api.Shields;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace AegisApp.Api.Tests.Database;

/// <summary>Many writers and readers at once on one database: nothing lost, nothing locked out, nothing corrupt.</summary>
public sealed class ConcurrencyTests(ApiFactory factory, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    private const int Writers = 32;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);


    [Fact]
    public async Task Thirty_two_writers_of_500_sessions_each_commit_exactly_16000_rows_without_lock_errors()
    {
        const int sessionsPerWriter = 500;
        var prefix = Guid.NewGuid().ToString("N");
        var errors = new ConcurrentBag<Exception>();
        var clock = Stopwatch.StartNew();

        await RunWritersAsync(async (writer, i) =>
        {
            try
            {
                await RunSessionAsync(db => db.Set<Shield>().Add(new Shield { Name = $"{prefix}-{writer}-{i}" }));
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        }, i => i < sessionsPerWriter);

        output.WriteLine($"{Writers}x{sessionsPerWriter} sessions in {clock.Elapsed.TotalSeconds:0.0} s, {errors.Count} errors");
        Assert.Empty(errors);
        Assert.Equal(Writers * sessionsPerWriter, await CountAsync(prefix));
#if (UseSqlite)
        Assert.Equal("ok", await IntegrityCheckAsync());
#endif
    }

    [Fact]
    public async Task Readers_keep_reading_while_writers_write()
    {
        const int readsWanted = 20;
        var prefix = Guid.NewGuid().ToString("N");
        var (reads, writes, holdingLock) = (0, 0, 0);
        var readErrors = new ConcurrentBag<Exception>();
        using var stop = new CancellationTokenSource(Limit);

        // Each write session holds the write lock from its save to its commit. A read counts only if it starts while
        // one does, so the readers cannot be done before the first writer has its lock: a reader that waited for
        // writers would never get there.
        var writers = RunWritersAsync(async (writer, i) =>
        {
            await RunSessionAsync(async db =>
            {
                db.Set<Shield>().Add(new Shield { Name = $"{prefix}-{writer}-{i}" });
                await db.SaveChangesAsync();
                Interlocked.Increment(ref holdingLock);
            });
            Interlocked.Decrement(ref holdingLock);
            Interlocked.Increment(ref writes);
        }, _ => Volatile.Read(ref reads) < readsWanted && !stop.IsCancellationRequested);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!writers.IsCompleted && !stop.IsCancellationRequested)
            {
                try
                {
                    var whileLocked = Volatile.Read(ref holdingLock) > 0;
                    await CountAsync(prefix);
                    if (whileLocked)
                    {
                        Interlocked.Increment(ref reads);
                    }
                }
                catch (Exception e)
                {
                    readErrors.Add(e);
                }
            }
        })).ToArray();
        await writers;
        await Task.WhenAll(readers);

        output.WriteLine($"{reads} reads begun while a writer held the lock, {writes} writes, {readErrors.Count} reads failed");
        Assert.Empty(readErrors);
        Assert.True(reads >= readsWanted, $"Only {reads} reads begun while a writer held the lock completed within {Limit}.");
        Assert.True(writes > 0, "No writer wrote.");
    }

    [Fact]
    public async Task Under_load_exactly_the_rows_of_sessions_that_did_not_throw_exist()
    {
        const int sessionsPerWriter = 100;
        var prefix = Guid.NewGuid().ToString("N");
        var thrown = 0;

        await RunWritersAsync(async (writer, i) =>
        {
            var fails = i % 4 == 0; // a known share: one session in four throws inside its scope
            try
            {
                await RunSessionAsync(async db =>
                {
                    db.Set<Shield>().Add(new Shield { Name = $"{prefix}-{writer}-{i}" });
                    await db.SaveChangesAsync();
                    if (fails)
                    {
                        throw new InvalidOperationException("rolled back on purpose");
                    }
                });
            }
            catch (InvalidOperationException) when (fails)
            {
                Interlocked.Increment(ref thrown);
            }
        }, i => i < sessionsPerWriter);

        Assert.Equal(Writers * sessionsPerWriter / 4, thrown);
        Assert.Equal(Writers * sessionsPerWriter * 3 / 4, await CountAsync(prefix));
#if (UseSqlite)
        Assert.Equal("ok", await IntegrityCheckAsync());
#endif
    }

    // Each writer runs session(writer, i) for i = 0, 1, … while keepWriting(i), all of them within the limit.
    private async Task RunWritersAsync(Func<int, int, Task> session, Func<int, bool> keepWriting)
    {
        // The service starts here, once: its start is synchronous, and 32 writers asking for it at once would block 32
        // pool threads while its own awaits (connecting to the database) wait for a thread, past the connect timeout.
        _ = factory.Services;
        var writers = Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; keepWriting(i); i++)
            {
                await session(writer, i);
            }
        }));
        await Task.WhenAll(writers).WaitAsync(Limit);
    }

    // A scope per session, as each request and scheduled run has.
    private async Task RunSessionAsync(Func<AppDbContext, Task> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DbSession>().RunAsync(work);
    }

    private async Task RunSessionAsync(Action<AppDbContext> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DbSession>().RunAsync(work);
    }

#if (UseSqlite)
    /// <summary><c>PRAGMA integrity_check</c> on the factory's database: "ok", or what is wrong.</summary>
    private async Task<string?> IntegrityCheckAsync()
    {
        await using var connection = await factory.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return (string?)await command.ExecuteScalarAsync();
    }

#endif
    private async Task<int> CountAsync(string prefix)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        return await db.Set<Shield>().CountAsync(s => s.Name.StartsWith(prefix));
    }
}
