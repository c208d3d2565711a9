using my_project.Api.Database;
using Microsoft.Data.Sqlite;
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
    public async Task Schema_is_snake_case_with_a_database_default_rating()
    {
        _ = factory.Services; // starts the app, which migrates the file
        await using var connection = new SqliteConnection($"Data Source={factory.DatabaseFile}");
        await connection.OpenAsync();

        var columns = new List<string>();
        await using (var pragma = new SqliteCommand("SELECT name FROM pragma_table_info('shield') ORDER BY cid", connection))
        await using (var reader = await pragma.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["id", "name", "defense_rating"], columns);
        await using var insert = new SqliteCommand("INSERT INTO shield (name) VALUES ('raw sql') RETURNING defense_rating", connection);
        Assert.Equal(10L, await insert.ExecuteScalarAsync());
    }
}
