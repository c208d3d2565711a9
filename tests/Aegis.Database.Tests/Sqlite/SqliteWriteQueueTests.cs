using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

/// <summary>
/// The process's write turn (SQLite's one write lock, queued in-process) is given back on every path a transaction can
/// end by: a commit, a rollback, a commit that fails, and a disposal with neither. A turn kept would make the next
/// writer wait out the queue's 30 s bound, so each case is followed by a transaction that must begin at once.
/// </summary>
public sealed class SqliteWriteQueueTests(SqliteApiFactory factory) : IClassFixture<SqliteApiFactory>
{
    private static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Endings => ["commit", "rollback", "failed commit", "disposed"];

    [Theory]
    [MemberData(nameof(Endings))]
    public async Task The_write_turn_is_given_back_when_a_transaction_ends(string ending)
    {
        await using var db = await ContextAsync();
        await db.Database.ExecuteSqlRawAsync(
            "CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY); " +
            "CREATE TABLE IF NOT EXISTS child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);");

        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            switch (ending)
            {
                case "commit":
                    await db.Database.ExecuteSqlRawAsync("INSERT INTO parent DEFAULT VALUES;");
                    await transaction.CommitAsync();
                    break;
                case "rollback":
                    await transaction.RollbackAsync();
                    break;
                case "failed commit": // a deferred foreign key is checked at COMMIT, which fails
                    await db.Database.ExecuteSqlRawAsync("INSERT INTO child (parent_id) VALUES (-1);");
                    await Assert.ThrowsAnyAsync<Exception>(() => transaction.CommitAsync());
                    break;
                case "disposed":
                    await db.Database.ExecuteSqlRawAsync("INSERT INTO parent DEFAULT VALUES;");
                    break;
            }
        }

        await using var next = await ContextAsync();
        var clock = Stopwatch.StartNew();
        await using (await next.Database.BeginTransactionAsync().WaitAsync(AtOnce))
        {
            Assert.True(clock.Elapsed < AtOnce, $"The next transaction waited {clock.Elapsed} for the turn after a {ending}.");
        }
    }

    [Fact]
    public async Task A_second_context_beginning_a_transaction_inside_a_unit_fails_at_once_saying_what_to_do()
    {
        await using var db = await ContextAsync();
        using var unit = factory.Services.GetRequiredService<UnitsOfWork>().Begin(db);
        await using var transaction = await db.Database.BeginTransactionAsync();
        await using var other = await ContextAsync();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => other.Database.BeginTransactionAsync());

        Assert.StartsWith("A second context began a transaction during a unit of work on the same flow", error.Message);
        Assert.True(clock.Elapsed < AtOnce, $"It took {clock.Elapsed}: it waited for the unit's own turn.");
    }

    private Task<SqliteTestContext> ContextAsync() =>
        factory.Services.GetRequiredService<IDbContextFactory<SqliteTestContext>>().CreateDbContextAsync();
}
