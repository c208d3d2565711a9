using System.Text.Json;

namespace my_project.Api.Tests;

/// <summary>
/// The OpenAPI document is the contract clients are generated from: every operation has an id and a summary, and
/// every client error it can answer is documented as a problem (application/problem+json), as the service sends it.
/// </summary>
public sealed class OpenApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Every_operation_has_an_id_a_summary_and_its_errors_as_problems()
    {
        using var document = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"));

        Assert.Equal("my-project", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                Assert.True(operation.Value.TryGetProperty("operationId", out _), $"{name} has no operationId: map a named method, not a lambda.");
                Assert.True(operation.Value.TryGetProperty("summary", out _), $"{name} has no summary: add .WithSummary(\"…\").");
                foreach (var error in operation.Value.GetProperty("responses").EnumerateObject().Where(response => response.Name.StartsWith('4')))
                {
                    Assert.True(error.Value.TryGetProperty("content", out var content) && content.TryGetProperty("application/problem+json", out _),
                        $"{name} documents {error.Name} without its problem body.");
                }
            }
        }
    }
}
