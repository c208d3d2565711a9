using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Aegis.Database.PostgreSQL;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aegis.Database.Tests;

/// <summary>What start-up does with databases in other states than "new": older, newer, several instances at once.</summary>
public sealed class PostgresStartupTests
{
    [PostgresFact]
    public async Task A_database_at_an_older_migration_is_migrated_up_on_start()
    {
        await using var factory = new PostgresApiFactory();
        await MigrateToAsync(factory.ConnectionString, Migration.InitialDatabase); // the history table, no schema yet

        var response = await factory.CreateClient().GetAsync("/shields");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0L, await ScalarAsync(factory.ConnectionString, "SELECT count(*) FROM shield;"));
    }

    [PostgresFact]
    public async Task A_database_migrated_by_a_newer_build_is_refused_with_a_clear_message()
    {
        await using var factory = new PostgresApiFactory();
        await MigrateToAsync(factory.ConnectionString, null);
        await ScalarAsync(factory.ConnectionString, "INSERT INTO \"__EFMigrationsHistory\" VALUES ('29991231000000_FromTheFuture', '99.0.0');");

        var error = await Assert.ThrowsAsync<StartupException>(() => Startup(factory.ConnectionString).StartAsync(CancellationToken.None));

        Assert.Contains("29991231000000_FromTheFuture", error.Message);
        Assert.Contains("newer version", error.Message);
    }

    [PostgresFact]
    public async Task With_migrate_on_start_off_a_missing_database_is_refused_naming_its_migrations_and_left_uncreated()
    {
        await using var factory = new PostgresApiFactory(); // only for its database name; its service is never started

        var error = await Assert.ThrowsAsync<StartupException>(() => Startup(factory.ConnectionString, migrateOnStart: false).StartAsync(CancellationToken.None));

        Assert.Contains("does not exist yet, so it lacks the migrations 20261207123649_InitialCreate", error.Message);
        Assert.Contains("MIGRATE_ON_START=false", error.Message);
        Assert.Contains("APP_ROLE=migrate dotnet Api.dll (or make migrate)", error.Message);
        await using var db = new PostgresTestContext(Options(factory.ConnectionString));
        Assert.False(await db.Database.CanConnectAsync());
    }

    [PostgresFact]
    public async Task Alive_stays_200_while_health_is_503_when_the_database_is_gone()
    {
        await using var factory = new PostgresApiFactory();
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        await using (var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(TestServer.Url!)))
        {
            await server.OpenAsync();
            var database = new NpgsqlConnectionStringBuilder(factory.ConnectionString).Database;
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{database}\" WITH (FORCE)", server);
            await drop.ExecuteNonQueryAsync();
        }

        NpgsqlConnection.ClearAllPools();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive")).StatusCode);
    }

    [PostgresFact]
    public async Task Instances_starting_together_on_a_new_database_create_and_migrate_it_once()
    {
        await using var factory = new PostgresApiFactory(); // only for its database name; its service is never started

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Startup(factory.ConnectionString).StartAsync(CancellationToken.None))));

        await using var db = new PostgresTestContext(Options(factory.ConnectionString));
        Assert.Equal((long)db.Database.GetMigrations().Count(), await ScalarAsync(factory.ConnectionString, "SELECT count(*) FROM \"__EFMigrationsHistory\";"));
        Assert.Equal(0L, await ScalarAsync(factory.ConnectionString, "SELECT count(*) FROM shield;"));
    }

    private static DatabaseStartup Startup(string connectionString, bool migrateOnStart = true) =>
        new(new PostgresProvider(() => connectionString, Path.GetTempPath()), Contexts(connectionString),
            new MigrationOptions(migrateOnStart), new HostingEnvironment { EnvironmentName = "Testing", ApplicationName = "Api" }, NullLogger<DatabaseStartup>.Instance);

    private static DatabaseContexts Contexts(string connectionString) =>
        new(new ServiceCollection().AddDbContext<PostgresTestContext>(options => options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention())
            .BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), typeof(PostgresTestContext));

    private static DbContextOptions<PostgresTestContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<PostgresTestContext>().UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options;

    /// <summary>Creates the database and applies the migrations up to <paramref name="target"/> (null: all of them).</summary>
    private static async Task MigrateToAsync(string connectionString, string? target)
    {
        await using var db = new PostgresTestContext(Options(connectionString));
        await db.GetService<IMigrator>().MigrateAsync(target);
    }

    private static async Task<object?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
