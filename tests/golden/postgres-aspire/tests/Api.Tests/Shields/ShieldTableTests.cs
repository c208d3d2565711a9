namespace my_project.Api.Tests.Shields;

public sealed class ShieldTableTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Schema_is_snake_case_with_a_database_default_rating()
    {
        _ = factory.Services; // starts the app, which migrates the database
        await using var connection = await factory.OpenConnectionAsync();

        var columns = new List<string>();
        await using (var query = connection.CreateCommand())
        {
            query.CommandText = "SELECT * FROM shield WHERE 1 = 0";
            await using var reader = await query.ExecuteReaderAsync();
            columns.AddRange(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        }

        Assert.Equal(["id", "name", "defense_rating", "version"], columns);
        await using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO shield (name) VALUES ('raw sql') RETURNING defense_rating";
        Assert.Equal(10, Convert.ToInt32(await insert.ExecuteScalarAsync()));
    }
}
