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
}
