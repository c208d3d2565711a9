namespace AegisApp.Api.Database;

/// <summary>
/// The database component on PostgreSQL: the server and database <c>DATABASE_URL</c> names (the compose file's
/// development server when unset). What every provider shares is added by
/// <see cref="DatabaseExtensions.AddDatabase(IHostApplicationBuilder, IDatabaseProvider)"/>.
/// </summary>
public static class PostgresDatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder) =>
        builder.AddDatabase(new PostgresProvider(PostgresUrl.ToConnectionString(builder.Configuration[DatabaseUrl.Key])));
}
