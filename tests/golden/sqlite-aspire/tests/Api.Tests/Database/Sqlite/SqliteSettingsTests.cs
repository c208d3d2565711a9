using System.Data.Common;
using my_project.Api.Database;
using my_project.Api.Shields;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

/// <summary>The SQLite settings the service relies on, read back from the database rather than assumed.</summary>
public sealed class SqliteSettingsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Theory]
    [InlineData("journal_mode", "wal")]
    [InlineData("synchronous", "1")] // NORMAL
    [InlineData("foreign_keys", "1")]
    [InlineData("busy_timeout", "30000")]
    public async Task Connections_the_service_opens_have_the_setting(string pragma, string expected)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();

        Assert.Equal(expected, Convert.ToString(await ScalarAsync(db.Database.GetDbConnection(), $"PRAGMA {pragma};")));
    }

    [Fact]
    public async Task A_session_takes_the_write_lock_at_its_first_write_and_holds_it_to_its_end()
    {
        var session = factory.Services.GetRequiredService<DbSession>();
        // A connection that gives up after 1 s when the database is locked (0 would mean: retry for ever).
        await using var other = new SqliteConnection($"Data Source={factory.DatabaseFile};Default Timeout=1");
        await other.OpenAsync();
        var name = Guid.NewGuid().ToString("N");

        await session.RunAsync(async db =>
        {
            // Reads before the first write take no lock: another writer may still write.
            Assert.Equal(0L, await db.Set<Shield>().LongCountAsync(s => s.Name == name));
            await ScalarAsync(other, "BEGIN IMMEDIATE;");
            await ScalarAsync(other, "ROLLBACK;");

            // BEGIN IMMEDIATE at the first write: from then on no other writer can change what it writes, and it cannot fail half-way.
            db.Add(new Shield { Name = name });
            await db.SaveChangesAsync();

            await AssertBusyAsync(other);
            Assert.Equal(0L, await ScalarAsync(other, $"SELECT count(*) FROM shield WHERE name = '{name}';")); // readers still read
        });
    }

    [Fact]
    public async Task Reads_outside_a_session_do_not_wait_for_the_sessions_write_lock()
    {
        var session = factory.Services.GetRequiredService<DbSession>();

        await session.RunAsync(async db =>
        {
            db.Add(new Shield { Name = Guid.NewGuid().ToString("N") });
            await db.SaveChangesAsync();
            await using var reader = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
            Assert.True(await reader.Set<Shield>().CountAsync().WaitAsync(TimeSpan.FromSeconds(30)) >= 0);
        });
    }

    [Theory]
    [InlineData("SaveChangesAsync")]
    [InlineData("ExecuteUpdateAsync")]
    public async Task Writers_waiting_for_the_write_lock_leave_the_thread_pool_to_the_one_that_holds_it(string firstWrite)
    {
        // Units that await while they hold the lock: if the writers behind them each blocked a thread-pool thread to wait
        // (a blocking wait, or SQLite's busy handler), the holder's continuation would wait for the pool to grow, for
        // tens of seconds. Queued without blocking, one after the other, they take about two.
        var session = factory.Services.GetRequiredService<DbSession>();
        Task UnitAsync() => session.RunAsync(async db =>
        {
            var name = Guid.NewGuid().ToString("N");
            if (firstWrite == "SaveChangesAsync")
            {
                db.Add(new Shield { Name = name });
                await db.SaveChangesAsync();
            }
            else
            {
                await db.Set<Shield>().Where(s => s.Name == name).ExecuteUpdateAsync(set => set.SetProperty(s => s.DefenseRating, 1));
            }

            await Task.Delay(10);
        });
        await UnitAsync(); // EF Core compiles the write once, before the 128 start together

        await Task.WhenAll(Enumerable.Range(0, 128).Select(_ => Task.Run(UnitAsync))).WaitAsync(TimeSpan.FromSeconds(15));
    }

    private static async Task AssertBusyAsync(DbConnection other)
    {
        var busy = await Assert.ThrowsAsync<SqliteException>(() => ScalarAsync(other, "BEGIN IMMEDIATE;"));
        Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
    }

    private static async Task<object?> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
