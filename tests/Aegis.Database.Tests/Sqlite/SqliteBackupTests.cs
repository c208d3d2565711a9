using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aegis.Database.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Xunit.Abstractions;

namespace Aegis.Database.Tests;

public sealed class SqliteBackupTests(SqliteApiFactory factory, ITestOutputHelper output) : IClassFixture<SqliteApiFactory>
{
    private const int Writers = 32;
    private const int Backups = 50;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "project-root"); // the settings' tests resolve nothing against it

    [Fact]
    public async Task Fifty_backups_under_32_writers_are_all_intact_and_hold_every_row_committed_before_they_began()
    {
        var job = factory.Services.GetRequiredService<BackupJob>();
        var prefix = Guid.NewGuid().ToString("N")[..8];
        var committed = new int[Writers]; // writer w has committed its rows 0 .. committed[w]-1
        using var stop = new CancellationTokenSource(Limit);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
            {
                await Units.RunAsync<SqliteTestContext>(factory.Services, db => db.Add(new Shield { Name = RowName(prefix, w, i) }));
                Volatile.Write(ref committed[w], i + 1);
            }
        })).ToArray();
        var clock = Stopwatch.StartNew();
        while (Snapshot(committed).Min() == 0) // every writer under way, past EF Core's first-use costs
        {
            Assert.True(clock.Elapsed < Limit, "The writers did not start.");
            await Task.Delay(10);
        }

        var first = Snapshot(committed);
        var before = first;
        var rowsChecked = 0L;
        // At least 50 backups, and on until the writers have committed more: on a loaded machine 50 backups of a small
        // database can take less time than the writers need for their next commit.
        var b = 0;
        for (; b < Backups || Snapshot(committed).Sum() == first.Sum(); b++)
        {
            Assert.True(clock.Elapsed < Limit, $"Only {b} backups in {Limit}.");
            Assert.False(writers.Any(w => w.IsCompleted), "A writer stopped while backups were being taken.");
            before = Snapshot(committed);
            var backup = await job.BackUpAsync();

            Assert.Equal("ok", await ScalarAsync(backup, "PRAGMA integrity_check;"));
            var names = await NamesAsync(backup, prefix);
            for (var w = 0; w < Writers; w++)
            {
                var missing = Enumerable.Range(0, before[w]).FirstOrDefault(i => !names.Contains(RowName(prefix, w, i)), -1);
                Assert.True(missing < 0, $"Backup {b} lacks row {missing} of writer {w}, committed before it began.");
            }

            rowsChecked += before.Sum();
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(writers).WaitAsync(Limit);
        output.WriteLine($"{b} backups in {elapsed.TotalSeconds:0.0} s while {Writers} writers committed " +
            $"{before.Sum() - first.Sum()} rows ({committed.Sum()} in all); {rowsChecked} committed rows found in backups");
        Assert.True(before.Sum() > first.Sum(), "The writers committed nothing while the backups ran.");
    }

    private static int[] Snapshot(int[] committed) => [.. committed.Select((_, w) => Volatile.Read(ref committed[w]))];

    [Fact]
    public async Task Old_backups_are_pruned_to_BACKUP_KEEP()
    {
        await using var keepingThree = factory.WithSetting(BackupOptions.KeepKey, "3");
        var job = keepingThree.Services.GetRequiredService<BackupJob>();

        var taken = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            taken.Add(await job.BackUpAsync());
            await Task.Delay(5); // distinct millisecond timestamps
        }

        var folder = Path.GetDirectoryName(taken[0])!;
        Assert.All(taken, backup => Assert.Matches(@"^test-\d{8}T\d{9}Z\.db$", Path.GetFileName(backup)));
        Assert.Equal(taken.TakeLast(3).Order(), Directory.GetFiles(folder, "*.db").Order());
        Assert.Empty(Directory.GetFiles(folder, "*.partial*"));
    }

    [Fact]
    public async Task A_backup_taken_by_hand_is_never_pruned()
    {
        using var database = await ScratchDatabase.CreateAsync();
        var restore = database.Restore();

        var byHand = await restore.BackUpByHandAsync(CancellationToken.None);
        for (var i = 0; i < BackupOptions.DefaultKeep + 2; i++)
        {
            await database.Job.BackUpAsync();
            await Task.Delay(5); // distinct millisecond timestamps
        }

        Assert.Matches(@"^app-\d{8}T\d{9}Z-manual\.db$", Path.GetFileName(byHand));
        Assert.True(File.Exists(byHand), "the scheduled job's pruning deleted a backup taken by hand");
        Assert.Equal(BackupOptions.DefaultKeep + 1, Directory.GetFiles(database.Backups, "*.db").Length);
    }

    [Fact]
    public async Task A_restore_keeps_the_database_as_it_was_and_then_holds_the_rows_of_the_backup()
    {
        using var database = await ScratchDatabase.CreateAsync();
        var restore = database.Restore();
        await InsertAsync(database.File, "in the backup");
        var backup = await database.Job.BackUpAsync();
        await InsertAsync(database.File, "after the backup");

        var said = await restore.RestoreAsync(backup, CancellationToken.None);

        Assert.Equal(["in the backup"], await NamesAsync(database.File));
        var before = Assert.Single(Directory.GetFiles(database.Backups, "*-before-restore.db"));
        Assert.Equal(["in the backup", "after the backup"], await NamesAsync(before));
        Assert.Equal($"Restored {database.File} from {backup}; the database as it was is {before}.", said);
    }

    [Fact]
    public async Task A_restore_is_refused_while_the_service_runs_or_for_a_file_that_is_no_finished_intact_backup()
    {
        using var database = await ScratchDatabase.CreateAsync();
        var sqlite = new SqliteDatabase(database.File);
        var restore = database.Restore();
        await InsertAsync(database.File, "kept");
        var backup = await database.Job.BackUpAsync();
        var notSqlite = Path.Combine(database.Backups, "notes.db");
        await File.WriteAllTextAsync(notSqlite, "not a database, though its name ends in .db");

        async Task<string> RefusalAsync(string? file) =>
            (await Assert.ThrowsAsync<StartupException>(() => restore.RestoreAsync(file, CancellationToken.None))).Message;

        Assert.Contains("RESTORE_FILE names no backup", await RefusalAsync(""));
        Assert.Contains("there is no such file", await RefusalAsync(backup + ".missing"));
        File.Copy(backup, backup + ".partial"); // as a copy still being written is named
        Assert.Contains("it is not a finished backup", await RefusalAsync(backup + ".partial"));
        Assert.Contains("it fails PRAGMA integrity_check", await RefusalAsync(notSqlite));
        using (new FileStream(sqlite.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite)) // as a running service holds it
        {
            Assert.Contains("the service is running", await RefusalAsync(backup));
        }

        Assert.Equal(["kept"], await NamesAsync(database.File));
        Assert.Empty(Directory.GetFiles(database.Backups, "*-before-restore.db"));
    }

    private static async Task InsertAsync(string file, string name)
    {
        await using var connection = await OpenAsync(file);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO shield (name) VALUES ($name);";
        command.Parameters.AddWithValue("$name", name);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> NamesAsync(string file)
    {
        await using var connection = await OpenAsync(file);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM shield ORDER BY id;";
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    [Fact]
    public async Task A_backup_waits_for_a_database_another_connection_has_locked()
    {
        using var database = await ScratchDatabase.CreateAsync();
        await using var locker = await database.LockAsync();

        var backup = database.Job.BackUpAsync();
        await Task.Delay(1_500); // longer than one attempt, so the job's own retry is exercised
        Assert.False(backup.IsCompleted, "The backup did not wait for the lock.");
        await ExecuteAsync(locker, "COMMIT;");
        await locker.DisposeAsync(); // a connection that took the lock in exclusive mode under WAL keeps it until closed
        var file = await backup.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1L, await ScalarAsync(file, "SELECT count(*) FROM shield WHERE name = 'locked';"));
    }

    [Fact]
    public async Task A_backup_cancelled_while_it_waits_for_a_lock_stops_within_seconds_and_leaves_no_file()
    {
        using var database = await ScratchDatabase.CreateAsync();
        await using (await database.LockAsync())
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(1_200));
            var clock = Stopwatch.StartNew();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => database.Job.BackUpAsync(cancel.Token));

            // Without the token it would wait out the lock for 30 s; a busy machine may take a few seconds to stop.
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"Still waiting {clock.Elapsed.TotalSeconds:0.0} s after cancellation.");
        }

        Assert.Empty(Directory.GetFiles(database.Backups));
    }

    [Fact]
    public async Task A_failed_backup_leaves_no_file()
    {
        using var database = new ScratchDatabase();
        await File.WriteAllTextAsync(database.File, "not a database, but long enough to have a header");

        using var failures = new MetricCollector<long>(database.MeterFactory, DatabaseTelemetry.Name, "aegis.database.backup.failures");

        await Assert.ThrowsAsync<SqliteException>(() => database.Job.BackUpAsync());

        Assert.Empty(Directory.GetFiles(database.Backups));
        Assert.Equal(1L, Assert.Single(failures.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task A_backup_by_hand_that_fails_says_why_in_one_line_and_leaves_no_file()
    {
        using var database = new ScratchDatabase();
        await File.WriteAllTextAsync(database.File, "not a database, but long enough to have a header");
        var restore = database.Restore();

        var error = await Assert.ThrowsAsync<StartupException>(() => restore.BackUpByHandAsync(CancellationToken.None));

        Assert.StartsWith($"Nothing was backed up from {database.File}: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(Directory.GetFiles(database.Backups));
    }

    [Fact]
    public async Task A_backup_records_its_duration_and_time()
    {
        using var database = await ScratchDatabase.CreateAsync();
        using var durations = new MetricCollector<double>(database.MeterFactory, DatabaseTelemetry.Name, "aegis.database.backup.duration");
        using var lastSuccess = new MetricCollector<long>(database.MeterFactory, DatabaseTelemetry.Name, "aegis.database.backup.last_success");
        using var failures = new MetricCollector<long>(database.MeterFactory, DatabaseTelemetry.Name, "aegis.database.backup.failures");
        lastSuccess.RecordObservableInstruments();
        Assert.Empty(lastSuccess.GetMeasurementSnapshot()); // no backup yet: no value rather than 1970
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        await database.Job.BackUpAsync();

        lastSuccess.RecordObservableInstruments();
        var duration = Assert.Single(durations.GetMeasurementSnapshot()).Value;
        var time = lastSuccess.LastMeasurement!.Value;
        Assert.InRange(duration, 0, 30);
        Assert.InRange(time, before, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Empty(failures.GetMeasurementSnapshot());
        output.WriteLine($"aegis.database.backup.duration: {duration:0.######} s; aegis.database.backup.last_success: {time}");
    }

    [Fact]
    public async Task A_cancelled_backup_is_not_a_failure()
    {
        using var database = await ScratchDatabase.CreateAsync();
        using var failures = new MetricCollector<long>(database.MeterFactory, DatabaseTelemetry.Name, "aegis.database.backup.failures");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => database.Job.BackUpAsync(new CancellationToken(canceled: true)));

        Assert.Empty(failures.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task The_next_backup_deletes_what_a_killed_one_left_but_not_a_copy_another_instance_is_writing()
    {
        var job = factory.Services.GetRequiredService<BackupJob>();
        var folder = Path.GetDirectoryName(await job.BackUpAsync())!;
        var abandoned = Path.Combine(folder, "test-20260101T030000000Z.db.partial");
        var inProgress = Path.Combine(folder, "test-20260101T030000001Z.db.partial");
        await File.WriteAllTextAsync(abandoned, "");
        await File.WriteAllTextAsync(abandoned + "-journal", "");
        await using (new FileStream(inProgress, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            await job.BackUpAsync();

            Assert.Equal([inProgress], Directory.GetFiles(folder, "*.partial*"));
        }

        File.Delete(inProgress);
    }

    [Theory]
    [InlineData("BACKUP_SCHEDULE", "every day", "not a cron expression")]
    [InlineData("BACKUP_SCHEDULE", "0 3 * *", "not a cron expression")]
    [InlineData("BACKUP_KEEP", "0", "at least 1")]
    [InlineData("BACKUP_KEEP", "seven", "at least 1")]
    public void Bad_backup_settings_fail_with_a_message_naming_them(string key, string value, string problem)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();

        var error = Assert.Throws<StartupException>(() => BackupOptions.FromConfiguration(configuration, Root));

        Assert.StartsWith($"{key} '{value}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")] // as the compose file passes a setting that is not set
    public void Unset_or_empty_settings_mean_daily_at_three_utc_keeping_seven_in_data_backups(string? value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(BackupOptions.ScheduleKey, value), new(BackupOptions.KeepKey, value), new(BackupOptions.FolderKey, value)]).Build();

        var options = BackupOptions.FromConfiguration(configuration, Root);

        Assert.Equal(new DateTime(2026, 1, 2, 3, 0, 0, DateTimeKind.Utc), options.Schedule.GetNextOccurrence(new DateTime(2026, 1, 2, 2, 0, 0, DateTimeKind.Utc)));
        Assert.Equal(7, options.Keep);
        Assert.Null(options.Folder);
    }

    private static string RowName(string prefix, int writer, int i) => $"{prefix}-{writer}-{i}";

    private static async Task<HashSet<string>> NamesAsync(string file, string prefix)
    {
        await using var connection = await OpenAsync(file);
        await using var command = new SqliteCommand("SELECT name FROM shield WHERE name LIKE $prefix || '-%';", connection);
        command.Parameters.AddWithValue("$prefix", prefix);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private static async Task<object?> ScalarAsync(string file, string sql)
    {
        await using var connection = await OpenAsync(file);
        await using var command = new SqliteCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = new SqliteCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<SqliteConnection> OpenAsync(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>A WAL database of its own in a temporary folder, with a backup job on it and no other connections.</summary>
    private sealed class ScratchDatabase : IDisposable
    {
        private readonly string folder = Directory.CreateTempSubdirectory("backup-tests-").FullName;

        private readonly ServiceProvider metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();

        public ScratchDatabase()
        {
            Job = new BackupJob(new SqliteProvider(() => new SqliteDatabase(File)), BackupOptions.FromConfiguration(new ConfigurationBuilder().Build(), folder),
                TimeProvider.System, new DatabaseTelemetry(MeterFactory));
            Directory.CreateDirectory(Backups);
        }

        /// <summary>The meters of this database's job alone.</summary>
        public IMeterFactory MeterFactory => metrics.GetRequiredService<IMeterFactory>();

        public string File => Path.Combine(folder, "app.db");

        public string Backups => Path.Combine(folder, "backups");

        public BackupJob Job { get; }

        /// <summary>Backups by hand and restores of this database, relative paths resolved against its folder.</summary>
        public SqliteRestore Restore() => new(new SqliteProvider(() => new SqliteDatabase(File)), Job, new AegisDatabaseSettings { RootPath = folder });

        public static async Task<ScratchDatabase> CreateAsync()
        {
            var database = new ScratchDatabase();
            await using var connection = await OpenAsync(database.File);
            await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;");
            await ExecuteAsync(connection, "CREATE TABLE shield (id INTEGER PRIMARY KEY, name TEXT NOT NULL);");
            return database;
        }

        /// <summary>
        /// Holds the database locked, as a sqlite3 shell in exclusive locking mode can: even under WAL, readers get
        /// "database is locked" until the lock is released.
        /// </summary>
        public async Task<SqliteConnection> LockAsync()
        {
            var locker = await OpenAsync(File);
            await ExecuteAsync(locker, "PRAGMA locking_mode = EXCLUSIVE;");
            await ExecuteAsync(locker, "BEGIN EXCLUSIVE;");
            await ExecuteAsync(locker, "INSERT INTO shield (name) VALUES ('locked');");
            return locker;
        }

        public void Dispose()
        {
            metrics.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }
}
