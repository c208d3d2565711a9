using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace Aegis.Database.Tests;

public sealed class SqliteLockErrorTests(SqliteApiFactory factory, ITestOutputHelper output) : IClassFixture<SqliteApiFactory>
{
    [Fact]
    public async Task A_write_that_finds_the_database_busy_is_counted_as_a_lock_error()
    {
        using var lockErrors = new MetricCollector<long>(factory.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            DatabaseTelemetry.Name, "aegis.database.lock_errors");
        await using var holder = new SqliteConnection($"Data Source={factory.DatabaseFile};Pooling=False");
        await holder.OpenAsync();
        await using (var begin = new SqliteCommand("BEGIN IMMEDIATE;", holder))
        {
            await begin.ExecuteNonQueryAsync(); // another writer, as the sqlite3 shell or a second process would be
        }

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<SqliteTestContext>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        // Fail within a second instead of waiting out the 30 s busy timeout; put back before the connection is pooled.
        await db.Database.ExecuteSqlRawAsync("PRAGMA busy_timeout = 0;");
        db.Database.SetCommandTimeout(1);
        try
        {
            var error = await Assert.ThrowsAsync<SqliteException>(() => db.Database.ExecuteSqlRawAsync("INSERT INTO shield (name) VALUES ('blocked');"));
            Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, error.SqliteErrorCode);
        }
        finally
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA busy_timeout = 30000;");
        }

        var counted = Assert.Single(lockErrors.GetMeasurementSnapshot());
        Assert.Equal((1L, "busy"), (counted.Value, counted.Tags["error.type"]));
        output.WriteLine($"aegis.database.lock_errors: {counted.Value} {{error.type={counted.Tags["error.type"]}}}");
    }
}
