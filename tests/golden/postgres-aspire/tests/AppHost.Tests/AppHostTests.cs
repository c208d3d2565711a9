using System.Net;
using Aspire.Hosting.Testing;

namespace my_project.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class AppHostTests(RunningAppHost appHost)
{
    [Fact]
    public async Task The_api_answers_its_health_check_through_the_app_host()
    {
        using var http = (await appHost.AppAsync()).CreateHttpClient("api");

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }
}
