using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Aegis.Database.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aegis.Database.Tests;

/// <summary>What start-up does with databases in other states than "new": older, newer, unusable, being restored.</summary>
public sealed class SqliteStartupTests
{
    [Fact]
    public async Task A_database_at_an_older_migration_is_migrated_up_on_start()
    {
        await using var factory = new SqliteApiFactory();
        await CreateAtMigrationAsync(factory.DatabaseFile, Migration.InitialDatabase); // the history table, no schema yet

        var response = await factory.CreateClient().GetAsync("/shields");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0L, await ScalarAsync(factory.DatabaseFile, "SELECT count(*) FROM shield;"));
    }

    [Fact]
    public async Task A_database_migrated_by_a_newer_build_is_refused_with_a_clear_message()
    {
        using var folder = new TemporaryFolder();
        await CreateAtMigrationAsync(folder.DatabaseFile, null);
        await ScalarAsync(folder.DatabaseFile, "INSERT INTO __EFMigrationsHistory VALUES ('29991231000000_FromTheFuture', '99.0.0');");

        var error = await Assert.ThrowsAsync<StartupException>(() => StartAsync(folder.DatabaseFile));

        Assert.Contains("29991231000000_FromTheFuture", error.Message);
        Assert.Contains("newer version", error.Message);
    }

    [Fact]
    public async Task With_migrate_on_start_off_a_missing_database_is_refused_naming_its_migrations_and_left_uncreated()
    {
        using var folder = new TemporaryFolder();

        var error = await Assert.ThrowsAsync<StartupException>(() => StartAsync(folder.DatabaseFile, migrateOnStart: false));

        Assert.Contains("does not exist yet, so it lacks the migrations 20261207123645_InitialCreate", error.Message);
        Assert.Contains("MIGRATE_ON_START=false", error.Message);
        Assert.Contains("APP_ROLE=migrate dotnet Api.dll (or make migrate)", error.Message);
        Assert.False(File.Exists(folder.DatabaseFile));
    }

    [Fact]
    public async Task With_migrate_on_start_off_an_older_database_is_refused_and_left_as_it_was()
    {
        using var folder = new TemporaryFolder();
        await CreateAtMigrationAsync(folder.DatabaseFile, Migration.InitialDatabase);

        var error = await Assert.ThrowsAsync<StartupException>(() => StartAsync(folder.DatabaseFile, migrateOnStart: false));

        Assert.Contains($"The database {folder.DatabaseFile} lacks the migrations 20261207123645_InitialCreate", error.Message);
        Assert.Equal(0L, await ScalarAsync(folder.DatabaseFile, "SELECT count(*) FROM __EFMigrationsHistory;"));
    }

    [Fact]
    public async Task A_database_being_restored_is_not_opened()
    {
        using var folder = new TemporaryFolder();
        // What a restore (APP_ROLE=restore, make restore) holds: an exclusive lock on the lock file.
        await using var restoring = new FileStream(folder.DatabaseFile + ".lock", FileMode.Create, FileAccess.ReadWrite, FileShare.None);

        var error = await Assert.ThrowsAsync<StartupException>(() => StartAsync(folder.DatabaseFile));

        Assert.Contains("is being restored", error.Message);
        Assert.False(File.Exists(folder.DatabaseFile), "The database was opened anyway.");
    }

    [Fact]
    public async Task Health_is_503_naming_the_database_while_the_file_is_unusable_and_200_when_it_is_back_while_alive_stays_200()
    {
        await using var factory = new SqliteApiFactory();
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        SqliteConnection.ClearAllPools(); // the last close checkpoints the WAL into the file
        var healthy = await File.ReadAllBytesAsync(factory.DatabaseFile);
        await File.WriteAllBytesAsync(factory.DatabaseFile, new byte[healthy.Length]);

        var broken = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        Assert.Contains("\"database\":{\"status\":\"Unhealthy\"", await broken.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode); // the process itself is fine

        SqliteConnection.ClearAllPools();
        await File.WriteAllBytesAsync(factory.DatabaseFile, healthy);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    // The start-up step on its own: in a whole service, Program.cs turns its StartupException into a one-line message.
    private static async Task StartAsync(string file, bool migrateOnStart = true)
    {
        using var provider = new SqliteProvider(() => new SqliteDatabase(file));
        var contexts = new ServiceCollection()
            .AddDbContext<SqliteTestContext>(options => provider.Configure(options.UseSnakeCaseNamingConvention().AddInterceptors(new SqliteProvider.ConnectionSettings())))
            .BuildServiceProvider();
        var startup = new DatabaseStartup(
            provider, new DatabaseContexts(contexts.GetRequiredService<IServiceScopeFactory>(), typeof(SqliteTestContext)), new MigrationOptions(migrateOnStart),
            new HostingEnvironment { EnvironmentName = "Testing", ApplicationName = "Api" }, NullLogger<DatabaseStartup>.Instance);
        await startup.StartAsync(CancellationToken.None);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        private readonly string path = Directory.CreateTempSubdirectory("startup-tests-").FullName;

        public string DatabaseFile => Path.Combine(path, "app.db");

        public void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Creates the file and migrates it to <paramref name="target"/> (null: the latest) without the service.</summary>
    private static async Task CreateAtMigrationAsync(string file, string? target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var options = new DbContextOptionsBuilder<SqliteTestContext>().UseSqlite($"Data Source={file}").UseSnakeCaseNamingConvention().Options;
        await using var db = new SqliteTestContext(options);
        await db.GetService<IMigrator>().MigrateAsync(target);
        SqliteConnection.ClearAllPools();
    }

    private static async Task<object?> ScalarAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new SqliteCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
