using System.Data.Common;
using Aegis.Database.PostgreSQL;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace my_project.Api.Tests;

/// <summary>
/// PostgreSQL's part of <see cref="ApiFactory"/>: a database of its own on the server named by <c>TEST_DATABASE_URL</c>
/// (the service creates it; disposing drops it).
/// </summary>
public sealed partial class ApiFactory
{
    private readonly string serverUrl = TestServer.Url
        ?? throw new InvalidOperationException($"{TestServer.Key} is not set, so there is no PostgreSQL server to test against: {TestServer.Hint}.");

    private readonly string databaseName = $"test_{Guid.NewGuid():N}";

    /// <summary><c>DATABASE_URL</c> of this factory's database.</summary>
    public string DatabaseUrl => new UriBuilder(serverUrl) { Path = "/" + databaseName }.Uri.AbsoluteUri;

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
        NpgsqlConnection.ClearAllPools();
        using var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(serverUrl));
        server.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", server);
        drop.ExecuteNonQuery();
    }
}
