using System.Data.Common;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;

namespace Aegis.Database.Tests;

/// <summary>The test app on SQLite: a file of its own in the factory's temporary folder.</summary>
public sealed class SqliteApiFactory : ApiFactory
{
    public string DatabaseFile => Path.Combine(Folder, "test.db");

    /// <summary>A new open connection to this factory's database.</summary>
    public async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new SqliteConnection($"Data Source={DatabaseFile}");
        await connection.OpenAsync();
        return connection;
    }

    /// <summary><c>PRAGMA integrity_check</c> on this factory's database: "ok", or what is wrong.</summary>
    public async Task<string?> IntegrityCheckAsync()
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return (string?)await command.ExecuteScalarAsync();
    }

    protected override void UseOwnDatabase(IWebHostBuilder builder) => builder.UseSetting("DATABASE_URL", $"sqlite:///{DatabaseFile}");

    protected override void DeleteOwnDatabase() => SqliteConnection.ClearAllPools();
}
