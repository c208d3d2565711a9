using AegisApp.Api.Database;
using AegisApp.Api.Shields;
using AegisApp.Api.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AegisApp.Api.Tests.Database;

public sealed class BackupTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task A_backup_taken_while_writers_run_is_a_consistent_database()
    {
        var session = factory.Services.GetRequiredService<DbSession>();
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 2_000; i++)
            {
                await session.RunAsync(db => db.Set<Shield>().Add(new Shield { Name = $"backup-{w}-{i}" }));
            }
        })).ToArray();
        await Task.Delay(200); // let the writers get going

        var before = await CountAsync(factory.DatabaseFile);
        var backup = await factory.Services.GetRequiredService<SqliteBackupJob>().BackUpAsync();
        var after = await CountAsync(factory.DatabaseFile);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.Matches(@"app-\d{8}T\d{9}Z\.db$", Path.GetFileName(backup).Replace("test-", "app-"));
        Assert.Equal("ok", await ScalarAsync(backup, "PRAGMA integrity_check;"));
        Assert.InRange(await CountAsync(backup), before, after);
    }

    [Fact]
    public async Task Old_backups_are_pruned_to_BACKUP_KEEP()
    {
        await using var keepingThree = factory.WithSetting(BackupOptions.KeepKey, "3");
        var job = keepingThree.Services.GetRequiredService<SqliteBackupJob>();

        var taken = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            taken.Add(await job.BackUpAsync());
            await Task.Delay(5); // distinct millisecond timestamps
        }

        var folder = Path.GetDirectoryName(taken[0])!;
        Assert.Equal(taken.TakeLast(3).Order(), Directory.GetFiles(folder, "*.db").Order());
        Assert.Empty(Directory.GetFiles(folder, "*.partial"));
    }

    [Theory]
    [InlineData("BACKUP_SCHEDULE", "every day", "not a cron expression")]
    [InlineData("BACKUP_SCHEDULE", "0 3 * *", "not a cron expression")]
    [InlineData("BACKUP_KEEP", "0", "at least 1")]
    [InlineData("BACKUP_KEEP", "seven", "at least 1")]
    public void Bad_backup_settings_fail_with_a_message_naming_them(string key, string value, string problem)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();

        var error = Assert.Throws<StartupException>(() => BackupOptions.FromConfiguration(configuration));

        Assert.StartsWith($"{key} '{value}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Defaults_are_daily_at_three_utc_keeping_seven()
    {
        var options = BackupOptions.FromConfiguration(new ConfigurationBuilder().Build());

        Assert.Equal(new DateTime(2026, 1, 2, 3, 0, 0, DateTimeKind.Utc), options.Schedule.GetNextOccurrence(new DateTime(2026, 1, 2, 2, 0, 0, DateTimeKind.Utc)));
        Assert.Equal(7, options.Keep);
    }

    private static async Task<long> CountAsync(string file) => (long)(await ScalarAsync(file, "SELECT count(*) FROM shield;"))!;

    private static async Task<object?> ScalarAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
