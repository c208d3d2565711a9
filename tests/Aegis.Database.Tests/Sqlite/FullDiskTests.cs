using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

/// <summary>
/// A full disk, made without root through SQLite's <c>max_page_count</c>: a write is refused with a 503 problem that
/// says why and writes nothing, <c>/health</c> says Degraded, and both recover with the next write once there is room.
/// </summary>
public sealed class FullDiskTests(SqliteApiFactory factory) : IClassFixture<SqliteApiFactory>
{
    // /shields writes in a transaction; /shields/added is a unit's final save alone, an autocommit INSERT. (A real full
    // disk can fail that INSERT only as its row is read back, when SQLite commits it: the pack's tmpfs test covers that.)
    [Theory]
    [InlineData("/shields")]
    [InlineData("/shields/added")]
    public async Task A_full_disk_is_a_503_problem_that_writes_nothing_and_health_recovers_with_the_next_write(string path)
    {
        var disk = new DiskLimit();
        await using var service = WithDisk(factory, disk);
        var client = service.CreateClient();

        var refused = await FillAsync(client, disk, path);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Response.StatusCode);
        Assert.Equal("application/problem+json", refused.Response.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("disk is full", problem.GetProperty("detail").GetString());
        Assert.Equal(refused.Created, await CountAsync(client));
        Assert.Equal("Degraded", (await HealthAsync(client)).GetProperty("checks").GetProperty("database-writes").GetProperty("status").GetString());

        disk.Full = false;
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync(path, new { name = "after" })).StatusCode);
        Assert.Equal("Healthy", (await HealthAsync(client)).GetProperty("status").GetString());
        Assert.Equal(refused.Created + 1, await CountAsync(client));
        Assert.Equal("ok", await factory.IntegrityCheckAsync());
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Development", true)]
    public async Task Health_shows_why_a_check_failed_in_development_only(string environment, bool describes)
    {
        var disk = new DiskLimit();
        await using var service = WithDisk(factory, disk).WithWebHostBuilder(builder => builder.UseEnvironment(environment));
        var client = service.CreateClient();
        await FillAsync(client, disk, "/shields");

        var writes = (await HealthAsync(client)).GetProperty("checks").GetProperty("database-writes");

        Assert.Equal("Degraded", writes.GetProperty("status").GetString());
        Assert.Equal(describes, writes.TryGetProperty("description", out _));
    }

    private static WebApplicationFactory<Program> WithDisk(WebApplicationFactory<Program> factory, DiskLimit disk) =>
        factory.WithWebHostBuilder(builder => builder.ConfigureServices(
            services => services.ConfigureDbContext<SqliteTestContext>(options => options.AddInterceptors(disk))));

    /// <summary>Fills the disk: creates shields until one is refused; returns that answer and how many were created.</summary>
    private static async Task<(HttpResponseMessage Response, int Created)> FillAsync(HttpClient client, DiskLimit disk, string path)
    {
        var created = await CountAsync(client);
        disk.Full = true;
        for (var attempt = 0; attempt < 1_000; attempt++) // a page holds a few dozen rows, so this ends within a hundred
        {
            var response = await client.PostAsJsonAsync(path, new { name = new string('x', 100) });
            if (response.StatusCode != HttpStatusCode.Created)
            {
                return (response, created);
            }

            created++;
        }

        throw new InvalidOperationException("1,000 writes fitted on a disk that was meant to be full.");
    }

    private static async Task<int> CountAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement[]>("/shields"))!.Length;

    private static async Task<JsonElement> HealthAsync(HttpClient client)
    {
        var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // Degraded still serves: reads work
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>While <see cref="Full"/>, caps each connection at the pages the file has: a write needing one more fails.</summary>
    private sealed class DiskLimit : DbConnectionInterceptor
    {
        public volatile bool Full;

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) =>
            ApplyAsync(connection).GetAwaiter().GetResult();

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default) =>
            ApplyAsync(connection);

        private async Task ApplyAsync(DbConnection connection)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA page_count;";
            var pages = Full ? Convert.ToInt64(await command.ExecuteScalarAsync()) : 1_073_741_823; // SQLite's own maximum
            command.CommandText = $"PRAGMA max_page_count = {pages};";
            await command.ExecuteScalarAsync();
        }
    }
}
