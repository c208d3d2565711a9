using Aegis.Database.Sqlite;

namespace Aegis.Database.Tests;

public sealed class SqliteUrlTests
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "project-root");

    // An empty value (DATABASE_URL= in .env) is unset, as it is to the Makefile and the compose file.
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Unset_or_empty_means_data_app_db_under_the_project_root(string? url) =>
        Assert.Equal(Path.Combine(Root, "data", "app.db"), SqliteDatabase.FileOf(url, Root));

    [Theory]
    [InlineData("sqlite:///data/app.db", "data/app.db")]
    [InlineData("sqlite:///other/x.db", "other/x.db")]
    [InlineData("SQLITE:///app.db", "app.db")]
    public void Three_slashes_are_relative_to_the_project_root(string url, string relative) =>
        Assert.Equal(Path.GetFullPath(Path.Combine(Root, relative)), SqliteDatabase.FileOf(url, Root));

    [Fact]
    public void Four_slashes_are_absolute() =>
        Assert.Equal("/var/lib/app/app.db", SqliteDatabase.FileOf("sqlite:////var/lib/app/app.db", Root));

    [Theory]
    [InlineData("sqlite:/x.db", "not a URL")]
    [InlineData("data/app.db", "not a URL")]
    [InlineData("sqlite://", "no database file")]
    [InlineData("sqlite:///", "no database file")]
    [InlineData("sqlite://data/app.db", "three slashes")]
    [InlineData("sqlite:///data/", "no database file")]
    [InlineData("mysql://user@localhost/app", "'mysql' is not supported")]
    public void Bad_values_fail_with_a_message_naming_the_setting_the_problem_and_a_fix(string url, string problem)
    {
        var error = Assert.Throws<StartupException>(() => SqliteDatabase.FileOf(url, Root));

        Assert.StartsWith("DATABASE_URL ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains("sqlite:///data/app.db", error.Message);
    }

    [Fact]
    public void A_password_is_never_echoed()
    {
        var error = Assert.Throws<StartupException>(
            () => SqliteDatabase.FileOf("postgresql://aegis:s3cret-pw@db:5432/app", Root));

        Assert.DoesNotContain("s3cret-pw", error.Message);
        Assert.Contains("postgresql://aegis:***@db:5432/app", error.Message);
    }
}
