using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using my_project.Api.Database;
using my_project.Api.Shields;
using my_project.Api.Tests.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Shields;

public sealed class ShieldsApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient client = factory.CreateClient();

    [Fact]
    public async Task Post_creates_a_shield_with_location_and_get_returns_it()
    {
        var response = await client.PostAsJsonAsync("/shields", new { name = "Dragon Scale", defenseRating = 95 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<Shield>();
        Assert.NotNull(created);
        Assert.Equal($"/shields/{created.Id}", response.Headers.Location?.OriginalString);
        var fetched = await client.GetFromJsonAsync<Shield>($"/shields/{created.Id}");
        Assert.Equal(("Dragon Scale", 95), (fetched!.Name, fetched.DefenseRating));
    }

    [Fact]
    public async Task Json_is_camel_case()
    {
        var response = await client.PostAsJsonAsync("/shields", new { name = "Kite", defenseRating = 40 });

        var json = await response.Content.ReadAsStringAsync();
        Assert.Matches("""^\{"id":\d+,"name":"Kite","defenseRating":40\}$""", json);
    }

    [Fact]
    public async Task Omitted_defense_rating_is_10()
    {
        var response = await client.PostAsJsonAsync("/shields", new { name = "Buckler" });

        var created = await response.Content.ReadFromJsonAsync<Shield>();
        Assert.Equal(10, created!.DefenseRating);
    }

    [Fact]
    public async Task Put_replaces_and_delete_removes()
    {
        var created = await (await client.PostAsJsonAsync("/shields", new { name = "Tower" })).Content.ReadFromJsonAsync<Shield>();

        var put = await client.PutAsJsonAsync($"/shields/{created!.Id}", new { name = "Great Tower", defenseRating = 80 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(80, (await client.GetFromJsonAsync<Shield>($"/shields/{created.Id}"))!.DefenseRating);

        var delete = await client.DeleteAsync($"/shields/{created.Id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/shields/{created.Id}")).StatusCode);
    }

    [Fact]
    public async Task List_returns_shields_in_id_order_from_the_one_after_after()
    {
        var first = await (await client.PostAsJsonAsync("/shields", new { name = "First" })).Content.ReadFromJsonAsync<Shield>();
        await client.PostAsJsonAsync("/shields", new { name = "Second" });

        var shields = await client.GetFromJsonAsync<Shield[]>($"/shields?after={first!.Id - 1}&limit=2");

        Assert.Equal(["First", "Second"], shields!.Select(s => s.Name));
        Assert.Equal(first.Id + 1, shields![1].Id);
    }

    [Fact]
    public async Task Paging_through_120_shields_yields_each_once_in_id_order_with_a_link_to_each_next_page()
    {
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.AddRange(Enumerable.Range(1, 120).Select(i => new Shield { Name = $"Paged {i}" }));
            await db.SaveChangesAsync();
        }

        var seen = new List<int>();
        var next = "/shields?limit=50";
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 100, "the pages never ended");
            var response = await client.GetAsync(next);
            var page = await response.Content.ReadFromJsonAsync<Shield[]>();
            Assert.InRange(page!.Length, 1, 50);
            seen.AddRange(page.Select(s => s.Id));
            next = response.Headers.TryGetValues("Link", out var links) ? NextOf(links.Single()) : null;
        }

        List<int> all;
        using (var scope = factory.Services.CreateScope())
        {
            all = await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<Shield>().OrderBy(s => s.Id).Select(s => s.Id).ToListAsync();
        }

        Assert.True(all.Count >= 120);
        Assert.Equal(all, seen); // each once, in id order, none left out
        Assert.Equal(50, (await client.GetFromJsonAsync<Shield[]>("/shields"))!.Length); // the default limit
    }

    // Each endpoint's SQL commands at most: a page costs one query however many rows it holds, and a write whose only
    // statement is its final save takes no transaction (BEGIN and COMMIT would count).
    [Fact]
    public async Task Each_endpoint_keeps_to_its_query_budget()
    {
        using (var scope = factory.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
            db.AddRange(Enumerable.Range(1, 60).Select(i => new Shield { Name = $"Counted {i}" }));
            await db.SaveChangesAsync();
        }

        var page = await factory.WithinAsync("GET /shields", 1, () => client.GetFromJsonAsync<Shield[]>("/shields?limit=60"));
        Assert.Equal(60, page!.Length);
        var created = await factory.WithinAsync("POST /shields", 1, () => client.PostAsJsonAsync("/shields", new { name = "Budget" }));
        var id = (await created.Content.ReadFromJsonAsync<Shield>())!.Id;
        await factory.WithinAsync("GET /shields/{id}", 1, () => client.GetAsync($"/shields/{id}"));
        await factory.WithinAsync("PUT /shields/{id}", 2, () => client.PutAsJsonAsync($"/shields/{id}", new { name = "Budget 2" })); // find, update
        await factory.WithinAsync("DELETE /shields/{id}", 2, () => client.DeleteAsync($"/shields/{id}")); // find, delete
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("after=-1", "after")]
    public async Task A_page_out_of_range_is_a_400_problem_naming_the_parameter(string query, string parameter)
    {
        var response = await client.GetAsync($"/shields?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _), problem.RootElement.ToString());
    }

    // <http://host/shields?limit=50&after=50>; rel="next" → /shields?limit=50&after=50
    private static string NextOf(string link)
    {
        Assert.EndsWith(">; rel=\"next\"", link);
        return link[1..link.IndexOf('>', StringComparison.Ordinal)];
    }

    [Theory]
    [InlineData("GET", "/shields/999999")]
    [InlineData("GET", "/shields/-1")]
    [InlineData("PUT", "/shields/999999")]
    [InlineData("DELETE", "/shields/999999")]
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
    [InlineData("""{"defenseRating":5}""", "name")]
    [InlineData("""{"name":"   "}""", "name")]
    [InlineData("""{"name":"x","defenseRating":101}""", "defenseRating")]
    [InlineData("""{"name":"x","defenseRating":-1}""", "defenseRating")]
    [InlineData("""{"name":"x","defenseRating":"high"}""", "defenseRating")]
    [InlineData("""{"name":"x","defense_rating":5}""", "defense_rating")]
    [InlineData("""{"name": "x",""", "body")]
    public async Task Invalid_body_is_a_400_problem_naming_the_field_and_writes_nothing(string body, string field)
    {
        var before = await CountAsync();

        var response = await client.PostAsync("/shields", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal([field], problem.RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Name_over_100_characters_is_rejected()
    {
        var response = await client.PostAsJsonAsync("/shields", new { name = new string('x', 101) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Invalid_put_changes_nothing()
    {
        var created = await (await client.PostAsJsonAsync("/shields", new { name = "Pavise", defenseRating = 50 })).Content.ReadFromJsonAsync<Shield>();

        var response = await client.PutAsJsonAsync($"/shields/{created!.Id}", new { name = "Pavise", defenseRating = 500 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(50, (await client.GetFromJsonAsync<Shield>($"/shields/{created.Id}"))!.DefenseRating);
    }

    private async Task<int> CountAsync()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<AppDbContext>().Set<Shield>().CountAsync();
    }
}
