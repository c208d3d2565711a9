using Aegis.Database.PostgreSQL;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Aegis.Database.Tests;

/// <summary>DATABASE_URL to Npgsql connection string. Needs no server, hence Xunit.Fact rather than PostgresFact.</summary>
public sealed class PostgresUrlTests
{
    // An empty value (DATABASE_URL= in .env) is unset, as it is to the Makefile and the compose file.
    [Xunit.Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Unset_or_empty_fails_in_one_line_naming_DATABASE_URL_and_an_example(string? url)
    {
        var error = Assert.Throws<StartupException>(() => Parse(url));

        Assert.StartsWith("DATABASE_URL is not set.", error.Message);
        Assert.Contains("postgresql://", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Xunit.Theory]
    [InlineData("postgresql://app:pw@db.internal:6543/orders")]
    [InlineData("postgres://app:pw@db.internal:6543/orders")]
    [InlineData("POSTGRESQL://app:pw@db.internal:6543/orders")]
    public void Both_schemes_give_host_port_database_and_credentials(string url)
    {
        var connection = Parse(url);

        Assert.Equal(("db.internal", 6543, "orders", "app", "pw"),
            (connection.Host, connection.Port, connection.Database, connection.Username, connection.Password));
    }

    [Xunit.Fact]
    public void Percent_encoded_user_and_password_are_decoded_and_the_port_defaults_to_5432()
    {
        var connection = Parse("postgresql://app%40corp:p%40ss%3Aw%2Frd@localhost/my%20db");

        Assert.Equal(("app@corp", "p@ss:w/rd", 5432, "my db"), (connection.Username, connection.Password, connection.Port, connection.Database));
    }

    [Xunit.Fact]
    public void Query_options_take_libpq_or_npgsql_names()
    {
        var connection = Parse("postgresql://app@localhost/orders?sslmode=require&application_name=orders-api&Maximum%20Pool%20Size=20");

        Assert.Equal((SslMode.Require, "orders-api", 20), (connection.SslMode, connection.ApplicationName, connection.MaxPoolSize));
        Assert.Null(connection.Password);
    }

    [Xunit.Theory]
    [InlineData("localhost:5432/app", "not a URL")]
    [InlineData("postgresql:/x", "not a URL")]
    [InlineData("postgresql://localhost", "a host and a database name")]
    [InlineData("postgresql://localhost/", "a host and a database name")]
    [InlineData("sqlite:///data/app.db", "'sqlite' is not supported")]
    [InlineData("mysql://user@localhost/app", "'mysql' is not supported")]
    [InlineData("postgresql://localhost/app?sslmode=sometimes", "'sslmode' is not a connection option")]
    [InlineData("postgresql://localhost/app?colour=blue", "'colour' is not a connection option")]
    public void Bad_values_fail_with_a_message_naming_the_setting_the_problem_and_a_fix(string url, string problem)
    {
        var error = Assert.Throws<StartupException>(() => Parse(url));

        Assert.StartsWith("DATABASE_URL ", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains("postgresql://", error.Message);
    }

    [Xunit.Fact]
    public void A_password_is_never_echoed()
    {
        var error = Assert.Throws<StartupException>(() => Parse("mysql://aegis:s3cret-pw@db:5432/app?password=other-s3cret"));

        Assert.DoesNotContain("s3cret", error.Message);
        Assert.Contains("mysql://aegis:***@db:5432/app", error.Message);
    }

    private static NpgsqlConnectionStringBuilder Parse(string? url) => new(PostgresUrl.ToConnectionString(url));

    // The example passwords of .env.example are public: in Development they are the compose file's local server's.
    [Xunit.Theory]
    [InlineData("Production", "postgresql://app:example-app-password@db:5432/orders", "still carries the example password")]
    [InlineData("Staging", "postgresql://postgres:example-admin-password@db:5432/orders", "still carries the example password")]
    [InlineData("Production", null, "DATABASE_URL is not set.")]
    public void Outside_development_an_example_password_or_no_url_refuses_to_start_in_one_line(string environment, string? url, string problem)
    {
        var error = Assert.Throws<StartupException>(() => AddDatabase(environment, url));

        Assert.Contains(problem, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("example-app-password", error.Message);
    }

    [Xunit.Fact]
    public void In_development_the_example_password_is_taken() =>
        AddDatabase("Development", "postgresql://app:example-app-password@localhost:5432/orders");

    private static void AddDatabase(string environment, string? url)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Configuration["DATABASE_URL"] = url;
        builder.AddPostgresDatabase<PostgresTestContext>();
    }
}
