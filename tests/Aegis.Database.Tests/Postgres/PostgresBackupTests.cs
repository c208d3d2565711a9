using System.Diagnostics;
using Aegis.Database.PostgreSQL;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace Aegis.Database.Tests;

/// <summary>pg_dump backups and pg_restore restores on the test server, each test in a database of its own.</summary>
public sealed class PostgresBackupTests(ITestOutputHelper output) : IDisposable
{
    private const int Writers = 32;
    private const int Backups = 5;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private readonly PostgresApiFactory factory = new();
    private readonly string folder = Directory.CreateTempSubdirectory("backup-tests-").FullName;

    // The API alone: the scheduler's lock would be one more session, and a restore refuses while any other is open.
    private WebApplicationFactory<Program> Service => field ??=
        factory.WithWebHostBuilder(builder => builder.UseSetting(BackupOptions.FolderKey, folder).UseSetting(AppRoles.Key, "api"));

    [PostgresFact]
    public async Task Backups_taken_while_32_writers_insert_each_restore_to_a_database_holding_every_row_committed_before_it_began()
    {
        var job = Service.Services.GetRequiredService<BackupJob>();
        var committed = new int[Writers]; // writer w has committed its rows 0 .. committed[w]-1
        using var stop = new CancellationTokenSource(Limit);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
            {
                await Units.RunAsync<PostgresTestContext>(Service.Services, db => db.Add(new Shield { Name = $"w{w}-{i}" }));
                Volatile.Write(ref committed[w], i + 1);
            }
        })).ToArray();
        var clock = Stopwatch.StartNew();
        while (Snapshot(committed).Min() == 0) // every writer under way
        {
            Assert.True(clock.Elapsed < Limit, "The writers did not start.");
            await Task.Delay(10);
        }

        var first = Snapshot(committed).Sum();
        var rowsChecked = 0L;
        for (var b = 0; b < Backups; b++)
        {
            Assert.False(writers.Any(w => w.IsCompleted), "A writer stopped while backups were being taken.");
            var before = Snapshot(committed);
            var backup = await job.BackUpAsync();

            var names = await RestoredNamesAsync(backup);
            for (var w = 0; w < Writers; w++)
            {
                var missing = Enumerable.Range(0, before[w]).FirstOrDefault(i => !names.Contains($"w{w}-{i}"), -1);
                Assert.True(missing < 0, $"Backup {b} lacks row {missing} of writer {w}, committed before it began.");
            }

            rowsChecked += before.Sum();
        }

        var during = Snapshot(committed).Sum() - first;
        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(Limit);
        output.WriteLine($"{Backups} backups (each restored and checked) in {clock.Elapsed.TotalSeconds:0.0} s while {Writers} writers " +
            $"committed {during} rows; {rowsChecked} rows committed before a backup began were all in it");
        Assert.True(during > 0, "The writers committed nothing while the backups ran.");
    }

    [PostgresFact]
    public async Task A_restore_keeps_the_database_as_it_was_and_then_holds_the_rows_of_the_backup()
    {
        var restore = Service.Services.GetRequiredService<IDatabaseRestore>();
        await AddShieldAsync("Kept");
        var backup = await restore.BackUpByHandAsync(CancellationToken.None);
        await AddShieldAsync("Later");
        NpgsqlConnection.ClearAllPools(); // the service's idle connections; a restore refuses while any session is open

        var said = await restore.RestoreAsync(backup, CancellationToken.None);

        Assert.Contains("Kept", await NamesAsync(factory.ConnectionString));
        Assert.DoesNotContain("Later", await NamesAsync(factory.ConnectionString));
        var before = Directory.GetFiles(folder, "*-before-restore.dump").Single();
        Assert.Contains(before, said);
        Assert.Contains("Later", await RestoredNamesAsync(before));
        Assert.True(Directory.GetFiles(folder, "*-manual.dump").Length == 1, "The backup by hand was pruned or lost.");
    }

    [PostgresFact]
    public async Task A_restore_is_refused_while_another_session_uses_the_database_or_for_a_file_that_is_no_finished_readable_backup()
    {
        var restore = Service.Services.GetRequiredService<IDatabaseRestore>();
        await AddShieldAsync("Kept");
        var backup = await restore.BackUpByHandAsync(CancellationToken.None);
        var truncated = Path.Combine(folder, "truncated.dump");
        var bytes = await File.ReadAllBytesAsync(backup);
        await File.WriteAllBytesAsync(truncated, bytes[..(bytes.Length / 2)]);
        File.Copy(backup, backup + ".partial");
        NpgsqlConnection.ClearAllPools();

        await using (var psql = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(factory.ConnectionString) { ApplicationName = "psql", Pooling = false }.ConnectionString))
        {
            await psql.OpenAsync();
            var error = await Assert.ThrowsAsync<StartupException>(() => restore.RestoreAsync(backup, CancellationToken.None));
            Assert.Contains("1 other session(s)", error.Message);
            Assert.Contains("psql", error.Message);
            Assert.Contains("docker compose stop api scheduler", error.Message);
        }

        (string File, string Problem)[] refused =
        [
            (Path.Combine(folder, "missing.dump"), "there is no such file"),
            (backup + ".partial", "it is not a finished backup"),
            (truncated, "pg_restore cannot read it"),
            ("", "names no backup"),
        ];
        foreach (var (file, problem) in refused)
        {
            var error = await Assert.ThrowsAsync<StartupException>(() => restore.RestoreAsync(file, CancellationToken.None));
            Assert.Contains(problem, error.Message);
        }

        Assert.Empty(Directory.GetFiles(folder, "*-before-restore.dump"));
        Assert.Contains("Kept", await NamesAsync(factory.ConnectionString));
    }

    [PostgresFact]
    public async Task A_backup_by_hand_of_a_database_that_is_not_there_fails_in_one_line_and_leaves_no_file()
    {
        var missing = new PostgresProvider(
            () => new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Database = $"missing_{Guid.NewGuid():N}" }.ConnectionString, folder);
        var settings = new ConfigurationBuilder().AddInMemoryCollection([new(BackupOptions.FolderKey, folder)]).Build();
        var job = new BackupJob(missing, BackupOptions.FromConfiguration(settings, folder), TimeProvider.System, Service.Services.GetRequiredService<DatabaseTelemetry>());
        var restore = new PostgresRestore(
            missing, job, Service.Services.GetRequiredService<DatabaseContexts>(), new AegisDatabaseSettings { RootPath = folder });

        var error = await Assert.ThrowsAsync<StartupException>(() => restore.BackUpByHandAsync(CancellationToken.None));

        Assert.StartsWith("Nothing was backed up: pg_dump failed", error.Message);
        Assert.Contains("does not exist", error.Message);
        Assert.Empty(Directory.GetFiles(folder));
    }

    // The compose file's services connect as a role that owns the database (made by its init script) and is no superuser.
    [PostgresFact]
    public async Task As_the_databases_owner_role_that_is_no_superuser_migrations_backups_restores_and_run_claims_all_work()
    {
        var (role, database) = ($"owner_{Guid.NewGuid():N}"[..20], $"owned_{Guid.NewGuid():N}");
        await using var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(TestServer.Url));
        await server.OpenAsync();
        await new NpgsqlCommand($"CREATE ROLE \"{role}\" LOGIN PASSWORD 'owner-secret'", server).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"CREATE DATABASE \"{database}\"", server).ExecuteNonQueryAsync();
        await new NpgsqlCommand($"ALTER DATABASE \"{database}\" OWNER TO \"{role}\"", server).ExecuteNonQueryAsync();
        var url = new UriBuilder(TestServer.Url!) { UserName = role, Password = "owner-secret", Path = "/" + database }.Uri.AbsoluteUri;
        try
        {
            await using var service = factory.WithWebHostBuilder(builder =>
                builder.UseSetting(BackupOptions.FolderKey, folder).UseSetting(AppRoles.Key, "api").UseSetting("DATABASE_URL", url));
            var restore = service.Services.GetRequiredService<IDatabaseRestore>(); // started: migrated as the role
            await Units.RunAsync<PostgresTestContext>(service.Services, db => db.Add(new Shield { Name = "Kept" }));
            var backup = await restore.BackUpByHandAsync(CancellationToken.None);
            await Units.RunAsync<PostgresTestContext>(service.Services, db => db.Add(new Shield { Name = "Later" }));
            Assert.True(await service.Services.GetRequiredService<IScheduledRunClaims>().TryClaimAsync("job", DateTimeOffset.UtcNow, CancellationToken.None));
            NpgsqlConnection.ClearAllPools();

            await restore.RestoreAsync(backup, CancellationToken.None);

            var connectionString = PostgresUrl.ToConnectionString(url);
            Assert.Equal(["Kept"], await NamesAsync(connectionString));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            Assert.Equal(false, await new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user", connection).ExecuteScalarAsync());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", server).ExecuteNonQueryAsync();
            await new NpgsqlCommand($"DROP ROLE IF EXISTS \"{role}\"", server).ExecuteNonQueryAsync();
        }
    }

    public void Dispose()
    {
        factory.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static int[] Snapshot(int[] committed) => [.. committed.Select((_, w) => Volatile.Read(ref committed[w]))];

    private async Task AddShieldAsync(string name) =>
        await Units.RunAsync<PostgresTestContext>(Service.Services, db => db.Add(new Shield { Name = name }));

    /// <summary>The shield names of <paramref name="backup"/>, restored into a database of its own that is then dropped.</summary>
    private async Task<HashSet<string>> RestoredNamesAsync(string backup)
    {
        var name = $"restored_{Guid.NewGuid():N}";
        await using var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(TestServer.Url));
        await server.OpenAsync();
        await new NpgsqlCommand($"CREATE DATABASE \"{name}\"", server).ExecuteNonQueryAsync();
        try
        {
            var restored = new NpgsqlConnectionStringBuilder(factory.ConnectionString) { Database = name }.ConnectionString;
            await PostgresClient.RunAsync("pg_restore", restored, ["--no-owner", "--exit-on-error", "--dbname", name, backup], null, CancellationToken.None);
            return await NamesAsync(restored);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", server).ExecuteNonQueryAsync();
        }
    }

    private static async Task<HashSet<string>> NamesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var reader = await new NpgsqlCommand("SELECT name FROM shield", connection).ExecuteReaderAsync();
        var names = new HashSet<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
