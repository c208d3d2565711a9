using System.Text.Json;

namespace AegisApp.Api.Tests.Shields;

/// <summary>The OpenAPI conventions of the service's package, as they describe the example resource.</summary>
public sealed class ShieldsOpenApiTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient client = factory.CreateClient();

    [Fact]
    public async Task OpenApi_names_each_operation_for_its_handler()
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var operations = document.RootElement.GetProperty("paths").EnumerateObject().Where(path => path.Name.StartsWith("/shields", StringComparison.Ordinal))
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name} {operation.Value.GetProperty("operationId")}"));
        Assert.Equal(
            ["GET /shields ListShields", "POST /shields CreateShield", "GET /shields/{id} GetShield", "PUT /shields/{id} UpdateShield", "DELETE /shields/{id} DeleteShield"],
            operations);
    }

    [Fact]
    public async Task OpenApi_marks_what_a_shield_always_has_and_the_503_of_writes()
    {
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));

        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.Equal(["defenseRating", "id", "name"], schemas.GetProperty("Shield").GetProperty("required").EnumerateArray().Select(name => name.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(["name"], schemas.GetProperty("ShieldRequest").GetProperty("required").EnumerateArray().Select(name => name.GetString()));
        var paths = document.RootElement.GetProperty("paths");
        var operations = paths.EnumerateObject().Where(path => path.Name.StartsWith("/shields", StringComparison.Ordinal)).SelectMany(path => path.Value.EnumerateObject().Select(operation => (Name: $"{operation.Name.ToUpperInvariant()} {path.Name}", operation.Value)));
        Assert.Equal(
            ["POST /shields", "PUT /shields/{id}", "DELETE /shields/{id}"],
            operations.Where(operation => operation.Value.GetProperty("responses").TryGetProperty("503", out _)).Select(operation => operation.Name));
    }
}
