using System.Data.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;

namespace my_project.Api.Tests;

/// <summary>SQLite's part of <see cref="ApiFactory"/>: a file of its own in a temporary folder, never data/app.db.</summary>
public sealed partial class ApiFactory
{
    private readonly string folder = Directory.CreateTempSubdirectory("api-tests-").FullName;

    public string DatabaseFile => Path.Combine(folder, "test.db");

    /// <summary>A new open connection to this factory's database.</summary>
    public async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        return connection;
    }

    partial void UseOwnDatabase(IWebHostBuilder builder) => builder.UseSetting("DATABASE_URL", $"sqlite:///{DatabaseFile}");

    partial void DeleteOwnDatabase()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
