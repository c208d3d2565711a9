using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using my_project.Api.Database;
using my_project.Api.MagicRings;
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
    public async Task List_returns_every_magic_ring_in_id_order()
    {
        await client.PostAsJsonAsync("/magic-rings", new { name = "One" });
        await client.PostAsJsonAsync("/magic-rings", new { name = "Two" });

        var magicRings = await client.GetFromJsonAsync<MagicRing[]>("/magic-rings");

        Assert.Equal(magicRings!.Select(magicRing => magicRing.Id).Order(), magicRings!.Select(magicRing => magicRing.Id));
        Assert.Contains(magicRings!, magicRing => magicRing.Name == "Two");
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
            await MagicRingsApi.CreateMagicRing(new MagicRingRequest("Saved, then undone"), db, CancellationToken.None);
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
