using System.Net;
using my_project.Api.Database;
using my_project.Api.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace my_project.Api.Tests.Database;

/// <summary>
/// <c>MIGRATE_ON_START=false</c>: the API and scheduler leave migrations to <c>APP_ROLE=migrate</c> (a database that
/// lacks some is refused: see the provider's start-up tests).
/// </summary>
public sealed class MigrationTests
{
    [PostgresFact]
    public async Task With_migrate_on_start_off_a_migrated_database_is_served()
    {
        await using var factory = new ApiFactory();
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/health")).StatusCode); // migrates it

        await using var notMigrating = factory.WithSetting(MigrationOptions.MigrateOnStartKey, "false");

        Assert.Equal(HttpStatusCode.OK, (await notMigrating.CreateClient().GetAsync("/shields")).StatusCode);
    }

    [PostgresTheory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("true", true)]
    [InlineData("False", false)]
    public void Migrate_on_start_is_on_unless_turned_off(string? value, bool migrateOnStart)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(MigrationOptions.MigrateOnStartKey, value)]).Build();

        Assert.Equal(migrateOnStart, MigrationOptions.FromConfiguration(configuration).MigrateOnStart);
    }

    [PostgresFact]
    public void A_bad_migrate_on_start_fails_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(MigrationOptions.MigrateOnStartKey, "no")]).Build();

        var error = Assert.Throws<StartupException>(() => MigrationOptions.FromConfiguration(configuration));

        Assert.StartsWith("MIGRATE_ON_START 'no' is not true or false.", error.Message);
    }
}
