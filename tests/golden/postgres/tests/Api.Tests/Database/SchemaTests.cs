using System.Text.Json;
using my_project.Api.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

public sealed class SchemaTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Shipped_migrations_match_the_model()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();

        Assert.False(db.Database.HasPendingModelChanges(),
            "The model has changes no migration covers: run `make migration name=<Change>` and commit the result.");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Health_lists_the_database_check_as_healthy()
    {
        using var body = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/health"));

        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }
}
