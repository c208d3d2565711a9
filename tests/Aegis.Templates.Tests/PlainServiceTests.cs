using System.Net;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>The project without <c>--database</c>: the same service, no database anywhere.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class PlainServiceTests(TemplatePack pack)
{
    [Fact]
    public async Task Make_serve_serves_health_and_openapi_and_creates_no_data_folder()
    {
        var project = await pack.BuiltAsync();
        await using var service = await RunningService.StartAsync(project, "make", ["serve"]);

        Assert.Equal("""{"status":"Healthy","checks":{}}""", await service.Http.GetStringAsync("/health"));
        Assert.Contains("\"openapi\"", await service.Http.GetStringAsync("/openapi/v1.json"));
        Assert.Equal(HttpStatusCode.NotFound, (await service.Http.GetAsync("/shields")).StatusCode);
        await service.StopAsync();

        Assert.False(Directory.Exists(Path.Combine(project, "data")));
    }

    /// <summary>
    /// <c>PORT</c> and <c>LISTEN_ADDRESS</c> choose the endpoint, and ASP.NET Core's own settings, when set, win over
    /// both (a bad <c>LISTEN_ADDRESS</c> is then not even read); alone, a bad one stops start-up with what to set.
    /// </summary>
    [Fact]
    public async Task Port_and_listen_address_choose_the_endpoint_unless_aspnet_core_settings_name_one()
    {
        var project = await pack.BuiltAsync();
        var api = TemplatePack.ApiDll(project);

        await using (var service = await RunningService.StartAsync(project, "dotnet", [api], new Dictionary<string, string?> { ["LISTEN_ADDRESS"] = "127.0.0.1" }))
        {
            Assert.Contains($"Now listening on: http://127.0.0.1:{service.Port}", service.Output);
        }

        await using (var service = await RunningService.StartAsync(
            project, "dotnet", [api], new Dictionary<string, string?> { ["LISTEN_ADDRESS"] = "nowhere" }, ipv4LoopbackOnly: true))
        {
            Assert.Contains($"Now listening on: http://127.0.0.1:{service.Port}", service.Output);
        }

        var refused = await Shell.RunAsync("dotnet", [api], project, new Dictionary<string, string?> { ["LISTEN_ADDRESS"] = "nowhere" },
            check: false, timeout: TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("LISTEN_ADDRESS 'nowhere' is not an IP address. Set it to 0.0.0.0", refused.Output);
    }
}
