using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace my_project.Api.Tests;

/// <summary>
/// The real service in memory, in the Testing environment, on its own SQLite file in a temporary folder (never
/// data/app.db): each test class that uses it as a fixture sees only its own rows.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    private readonly string folder = Directory.CreateTempSubdirectory("api-tests-").FullName;

    public string DatabaseFile => Path.Combine(folder, "test.db");

    /// <summary>This factory's service with one more setting, on the same database file.</summary>
    public WebApplicationFactory<Program> WithSetting(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("DATABASE_URL", $"sqlite:///{DatabaseFile}");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(folder)) // Dispose runs once for Dispose() and again for DisposeAsync()
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
