using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace my_project.Api.Tests;

/// <summary>
/// The real service in memory, in the Testing environment, on a database of its own on the server named by
/// <c>TEST_DATABASE_URL</c> (the service creates it; disposing drops it): each test class that uses it as a fixture
/// sees only its own rows.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string serverUrl = TestServer.Url
        ?? throw new InvalidOperationException($"{TestServer.Key} is not set, so there is no PostgreSQL server to test against: {TestServer.Hint}.");

    private readonly string databaseName = $"test_{Guid.NewGuid():N}";

    /// <summary><c>DATABASE_URL</c> of this factory's database.</summary>
    public string DatabaseUrl => new UriBuilder(serverUrl) { Path = "/" + databaseName }.Uri.AbsoluteUri;

    public string ConnectionString => Api.Database.DatabaseUrl.ToNpgsqlConnectionString(DatabaseUrl);

    /// <summary>This factory's service with one more setting, on the same database.</summary>
    public WebApplicationFactory<Program> WithSetting(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("DATABASE_URL", DatabaseUrl);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        NpgsqlConnection.ClearAllPools();
        using var server = new NpgsqlConnection(Api.Database.DatabaseUrl.ToNpgsqlConnectionString(serverUrl));
        server.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", server);
        drop.ExecuteNonQuery(); // safe to run twice: Dispose runs for Dispose() and again for DisposeAsync()
    }
}
