using System.Data.Common;
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
        _ = factory.Services; // starts the app, which migrates the database
        await using DbConnection connection = new SqliteConnection($"Data Source={factory.DatabaseFile}");
        const string columnsQuery = "SELECT name FROM pragma_table_info('shield') ORDER BY cid";
        await connection.OpenAsync();

        var columns = new List<string>();
        await using (var query = connection.CreateCommand())
        {
            query.CommandText = columnsQuery;
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        Assert.Equal(["id", "name", "defense_rating"], columns);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO shield (name) VALUES ('raw sql') RETURNING defense_rating";
        Assert.Equal(10, Convert.ToInt32(await insert.ExecuteScalarAsync()));
    }
}
