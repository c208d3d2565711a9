using my_project.Api.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace my_project.Api.Tests;

/// <summary>
/// The real service in memory, in the Testing environment. With a database, each factory has a database of its own
/// (see the provider's part of this class under Database/), so a test class that uses it as a fixture sees only its
/// own rows.
/// </summary>
public sealed partial class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>This factory's service with one more setting, on the same database.</summary>
    public WebApplicationFactory<Program> WithSetting(string key, string value) =>
        WithWebHostBuilder(builder => builder.UseSetting(key, value));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting(ServiceDefaults.DotEnvKey, "false"); // the developer's .env is for their runs of the service
        UseOwnDatabase(builder);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteOwnDatabase(); // runs once for Dispose() and again for DisposeAsync(), so it must be safe twice
    }

    // Implemented by the database provider's part of this class; without a database they compile to nothing.
    partial void UseOwnDatabase(IWebHostBuilder builder);

    partial void DeleteOwnDatabase();
}
