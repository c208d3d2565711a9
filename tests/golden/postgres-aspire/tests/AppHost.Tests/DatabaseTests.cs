using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;

namespace my_project.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class DatabaseTests(RunningAppHost appHost)
{
    [Fact]
    public async Task A_shield_posted_through_the_app_host_can_be_read_back()
    {
        using var http = (await appHost.AppAsync()).CreateHttpClient("api");

        var created = await http.PostAsJsonAsync("/shields", new { name = "Aegis", defenseRating = 9 });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(created.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task Apply_migrations_succeeds_on_an_up_to_date_database()
    {
        var result = await (await appHost.AppAsync()).ResourceCommands.ExecuteCommandAsync("api", "migrate");

        Assert.True(result.Success, result.Message);
    }
}
