using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Aegis.Database.Tests;

/// <summary>
/// The test app in memory, in the Testing environment, on a database of its own (see the provider's factory), so a test
/// class that uses it as a fixture sees only its own rows. Relative paths resolve against a temporary folder of its own.
/// </summary>
public abstract class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>The factory's own folder: <see cref="AegisDatabaseSettings.RootPath"/>, deleted with the factory.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("aegis-database-tests-").FullName;

    /// <summary>This factory's service with one more setting, on the same database.</summary>
    public WebApplicationFactory<Program> WithSetting(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting($"{AegisDatabaseSettings.SectionName}:{nameof(AegisDatabaseSettings.RootPath)}", Folder);
        UseOwnDatabase(builder);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteOwnDatabase(); // runs once for Dispose() and again for DisposeAsync(), so it must be safe twice
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    protected abstract void UseOwnDatabase(IWebHostBuilder builder);

    protected abstract void DeleteOwnDatabase();
}
