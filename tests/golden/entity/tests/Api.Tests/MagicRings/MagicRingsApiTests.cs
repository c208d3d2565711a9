using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using my_project.Api.Database;
using my_project.Api.MagicRings;
using my_project.Api.Tests.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.MagicRings;

public sealed class MagicRingsApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient client = factory.CreateClient();

    [Fact]
    public async Task Post_creates_with_a_location_and_get_returns_it()
    {
        var response = await client.PostAsJsonAsync("/magic-rings", new { name = "First" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<MagicRing>();
        Assert.Equal($"/magic-rings/{created!.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("First", (await client.GetFromJsonAsync<MagicRing>($"/magic-rings/{created.Id}"))!.Name);
    }

    [Fact]
    public async Task Put_replaces_and_delete_removes()
    {
        var created = await (await client.PostAsJsonAsync("/magic-rings", new { name = "Before" })).Content.ReadFromJsonAsync<MagicRing>();

        var put = await client.PutAsJsonAsync($"/magic-rings/{created!.Id}", new { name = "After" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("After", (await client.GetFromJsonAsync<MagicRing>($"/magic-rings/{created.Id}"))!.Name);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/magic-rings/{created.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/magic-rings/{created.Id}")).StatusCode);
    }

    [Fact]
    public async Task List_returns_magic_rings_in_id_order_from_the_one_after_after()
    {
        var one = await (await client.PostAsJsonAsync("/magic-rings", new { name = "One" })).Content.ReadFromJsonAsync<MagicRing>();
        await client.PostAsJsonAsync("/magic-rings", new { name = "Two" });

        var magicRings = await client.GetFromJsonAsync<MagicRing[]>($"/magic-rings?after={one!.Id - 1}&limit=2");

        Assert.Equal(["One", "Two"], magicRings!.Select(magicRing => magicRing.Name));
    }

    [Fact]
    public async Task Paging_through_120_magic_rings_yields_each_once_in_id_order()
    {
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.AddRange(Enumerable.Range(1, 120).Select(i => new MagicRing { Name = $"Paged {i}" }));
            await db.SaveChangesAsync();
        }

        var seen = new List<int>();
        var next = "/magic-rings?limit=50";
        for (var pages = 0; next is not null && pages < 100; pages++)
        {
            var response = await client.GetAsync(next);
            seen.AddRange((await response.Content.ReadFromJsonAsync<MagicRing[]>())!.Select(magicRing => magicRing.Id));
            next = response.Headers.TryGetValues("Link", out var links) ? links.Single()[1..links.Single().IndexOf('>', StringComparison.Ordinal)] : null;
        }

        using var check = factory.Services.CreateScope();
        var all = await check.ServiceProvider.GetRequiredService<AppDbContext>().Set<MagicRing>().OrderBy(magicRing => magicRing.Id).Select(magicRing => magicRing.Id).ToListAsync();
        Assert.True(all.Count >= 120);
        Assert.Equal(all, seen);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/magic-rings?limit=501")).StatusCode);
    }

    // Each endpoint's SQL commands at most: a page costs one query however many rows it holds.
    [Fact]
    public async Task Each_endpoint_keeps_to_its_query_budget()
    {
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.AddRange(Enumerable.Range(1, 60).Select(i => new MagicRing { Name = $"Counted {i}" }));
            await db.SaveChangesAsync();
        }

        Assert.Equal(60, (await factory.WithinAsync("GET /magic-rings", 1, () => client.GetFromJsonAsync<MagicRing[]>("/magic-rings?limit=60")))!.Length);
        var created = await factory.WithinAsync("POST /magic-rings", 1, () => client.PostAsJsonAsync("/magic-rings", new { name = "Budget" }));
        var id = (await created.Content.ReadFromJsonAsync<MagicRing>())!.Id;
        await factory.WithinAsync("GET /magic-rings/{id}", 1, () => client.GetAsync($"/magic-rings/{id}"));
        await factory.WithinAsync("PUT /magic-rings/{id}", 2, () => client.PutAsJsonAsync($"/magic-rings/{id}", new { name = "Budget 2" })); // find, update
        await factory.WithinAsync("DELETE /magic-rings/{id}", 2, () => client.DeleteAsync($"/magic-rings/{id}")); // find, delete
    }

    [Theory]
    [InlineData("GET", "/magic-rings/999999")]
    [InlineData("PUT", "/magic-rings/999999")]
    [InlineData("DELETE", "/magic-rings/999999")]
    public async Task Unknown_id_is_a_404_problem(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "PUT" ? JsonContent.Create(new { name = "Nobody" }) : null,
        };

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name":"   "}""", "name")]
    [InlineData("""{"name":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}""", "name")]
    [InlineData("""{"name":"x","nmae":"y"}""", "nmae")]
    [InlineData("""{"name": "x",""", "body")]
    public async Task Invalid_body_is_a_400_problem_naming_the_field_and_writes_nothing(string body, string field)
    {
        var before = await CountAsync();

        var response = await client.PostAsync("/magic-rings", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal([field], problem.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_write_that_fails_after_saving_is_rolled_back()
    {
        var session = factory.Services.GetRequiredService<DbSession>();
        var before = await CountAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => session.RunAsync(async db =>
        {
            MagicRingsApi.CreateMagicRing(new MagicRingRequest("Saved, then undone"), db);
            await db.SaveChangesAsync();
            throw new InvalidOperationException("fails after the insert");
        }));

        Assert.Equal(before, await CountAsync());
    }

    private async Task<int> CountAsync()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<MagicRing>().CountAsync();
    }
}
