using System.Data.Common;
using Aegis.Database.PostgreSQL;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace my_project.Api.Tests;

/// <summary>
/// PostgreSQL's part of <see cref="ApiFactory"/>: a database of its own on the test run's <see cref="TestServer"/>
/// (the service creates it; disposing drops it).
/// </summary>
public sealed partial class ApiFactory
{
    private readonly string databaseName = $"test_{Guid.NewGuid():N}";

    // Asked for when first used, so that a missing server fails the test that needs it with its message.
    private string? serverUrl;

    /// <summary><c>DATABASE_URL</c> of this factory's database.</summary>
    public string DatabaseUrl => new UriBuilder(serverUrl ??= TestServer.Url) { Path = "/" + databaseName }.Uri.AbsoluteUri;

    public string ConnectionString => PostgresUrl.ToConnectionString(DatabaseUrl);

    /// <summary>A new open connection to this factory's database.</summary>
    public async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    partial void UseOwnDatabase(IWebHostBuilder builder) => builder.UseSetting("DATABASE_URL", DatabaseUrl);

    partial void DeleteOwnDatabase()
    {
        if (serverUrl is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        using var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(serverUrl));
        server.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", server);
        drop.ExecuteNonQuery();
    }
}
