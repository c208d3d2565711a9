using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aegis.Database.PostgreSQL;
using Npgsql;

namespace Aegis.Database.Tests;

/// <summary>
/// A server that takes no writes (here: the database set read-only): a write is refused with a 503 problem that says
/// why and writes nothing, <c>/health</c> says Degraded, and both recover with the next write once it takes them again.
/// </summary>
public sealed class ReadOnlyServerTests(PostgresApiFactory factory) : IClassFixture<PostgresApiFactory>
{
    [PostgresFact]
    public async Task A_read_only_server_is_a_503_problem_that_writes_nothing_and_health_recovers_with_the_next_write()
    {
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/shields", new { name = "before" })).StatusCode);

        await SetReadOnlyAsync(true);
        var refused = await client.PostAsJsonAsync("/shields", new { name = "refused" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("read-only", problem.GetProperty("detail").GetString());
        Assert.Equal("Degraded", (await HealthAsync(client)).GetProperty("checks").GetProperty("database-writes").GetProperty("status").GetString());

        await SetReadOnlyAsync(false);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/shields", new { name = "after" })).StatusCode);
        Assert.Equal("Healthy", (await HealthAsync(client)).GetProperty("status").GetString());
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement[]>("/shields"))!.Length);
    }

    // From the server's own database (the test's own cannot be altered while read-only); sessions take the setting
    // when they start, so the pools are emptied.
    private async Task SetReadOnlyAsync(bool readOnly)
    {
        var database = new NpgsqlConnectionStringBuilder(factory.ConnectionString).Database;
        await using (var server = new NpgsqlConnection(PostgresUrl.ToConnectionString(TestServer.Url)))
        {
            await server.OpenAsync();
            await using var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" SET default_transaction_read_only = {(readOnly ? "on" : "off")}", server);
            await alter.ExecuteNonQueryAsync();
        }

        NpgsqlConnection.ClearAllPools();
    }

    private static async Task<JsonElement> HealthAsync(HttpClient client)
    {
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
