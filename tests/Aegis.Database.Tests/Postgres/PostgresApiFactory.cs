using System.Data.Common;
using Aegis.Database.PostgreSQL;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace Aegis.Database.Tests;

/// <summary>
/// The test app on PostgreSQL: a database of its own on the server named by <c>TEST_DATABASE_URL</c> (the app creates
/// it; disposing drops it).
/// </summary>
public sealed class PostgresApiFactory : ApiFactory
{
    private readonly string databaseName = $"test_{Guid.NewGuid():N}";

    private static string ServerUrl => TestServer.Url
        ?? throw new InvalidOperationException($"{TestServer.Key} is not set, so there is no PostgreSQL server to test against: {TestServer.Hint}.");

    /// <summary><c>DATABASE_URL</c> of this factory's database.</summary>
    public string DatabaseUrl => new UriBuilder(ServerUrl) { Path = "/" + databaseName }.Uri.AbsoluteUri;

    public string ConnectionString => PostgresUrl.ToConnectionString(DatabaseUrl);

    /// <summary>A new open connection to this factory's database.</summary>
    public async Task<DbConnection> OpenConnectionAsync()
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    protected override void UseOwnDatabase(IWebHostBuilder builder) => builder.UseSetting("DATABASE_URL", DatabaseUrl);

    protected override void DeleteOwnDatabase()
    {
        if (TestServer.Url is null)
        {
            return; // no server, so nothing was created
        }

        NpgsqlConnection.ClearAllPools();
        using var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(ServerUrl));
        server.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{databaseName}\" WITH (FORCE)", server);
        drop.ExecuteNonQuery();
    }
}
