using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

/// <summary>The SQLite settings the service relies on, read back from the database rather than assumed.</summary>
public sealed class SqliteSettingsTests(SqliteApiFactory factory) : IClassFixture<SqliteApiFactory>
{
    [Theory]
    [InlineData("journal_mode", "wal")]
    [InlineData("synchronous", "1")] // NORMAL
    [InlineData("foreign_keys", "1")]
    [InlineData("busy_timeout", "30000")]
    public async Task Connections_the_service_opens_have_the_setting(string pragma, string expected)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<SqliteTestContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();

        Assert.Equal(expected, Convert.ToString(await ScalarAsync(db.Database.GetDbConnection(), $"PRAGMA {pragma};")));
    }

    [Fact]
    public async Task A_unit_takes_the_write_lock_as_its_transaction_begins_and_holds_it_to_its_end()
    {
        // A connection that gives up after 1 s when the database is locked (0 would mean: retry for ever).
        await using var other = new SqliteConnection($"Data Source={factory.DatabaseFile};Default Timeout=1");
        await other.OpenAsync();
        var name = Guid.NewGuid().ToString("N");

        await Units.RunAsync<SqliteTestContext>(factory.Services, async db =>
        {
            // BEGIN IMMEDIATE as the transaction begins: from then on no other writer can change what it reads and writes,
            // and it cannot fail half-way.
            Assert.Equal(0L, await db.Shields.LongCountAsync(s => s.Name == name));
            await AssertBusyAsync(other);

            db.Add(new Shield { Name = name });
            await db.SaveChangesAsync();

            await AssertBusyAsync(other);
            Assert.Equal(0L, await ScalarAsync(other, $"SELECT count(*) FROM shield WHERE name = '{name}';")); // readers still read
        });

        // Once it has committed, another writer may write, and sees its row.
        await ScalarAsync(other, "BEGIN IMMEDIATE;");
        await ScalarAsync(other, "ROLLBACK;");
        Assert.Equal(1L, await ScalarAsync(other, $"SELECT count(*) FROM shield WHERE name = '{name}';"));
    }

    [Fact]
    public async Task Reads_outside_a_unit_do_not_wait_for_the_units_write_lock()
    {
        await Units.RunAsync<SqliteTestContext>(factory.Services, async db =>
        {
            db.Add(new Shield { Name = Guid.NewGuid().ToString("N") });
            await db.SaveChangesAsync();
            await using var reader = await factory.Services.GetRequiredService<IDbContextFactory<SqliteTestContext>>().CreateDbContextAsync();
            Assert.True(await reader.Shields.CountAsync().WaitAsync(TimeSpan.FromSeconds(30)) >= 0);
        });
    }

    [Theory]
    [InlineData("SaveChangesAsync")]
    [InlineData("ExecuteUpdateAsync")]
    public async Task Writers_waiting_for_the_write_lock_leave_the_thread_pool_to_the_one_that_holds_it(string write)
    {
        // Units that await while they hold the lock: if the writers behind them each blocked a thread-pool thread to wait
        // (a blocking wait, or SQLite's busy handler), the holder's continuation would wait for the pool to grow, for
        // tens of seconds. Queued without blocking, one after the other, they take about two.
        Task UnitAsync() => Units.RunAsync<SqliteTestContext>(factory.Services, async db =>
        {
            var name = Guid.NewGuid().ToString("N");
            if (write == "SaveChangesAsync")
            {
                db.Add(new Shield { Name = name });
                await db.SaveChangesAsync();
            }
            else
            {
                await db.Shields.Where(s => s.Name == name).ExecuteUpdateAsync(set => set.SetProperty(s => s.DefenseRating, 1));
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
