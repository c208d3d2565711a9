using my_project.Api.Infrastructure;

namespace my_project.Api.Database;

/// <summary>
/// The database component on SQLite: the file <c>DATABASE_URL</c> names (<c>data/app.db</c> when unset), backed up on
/// a schedule by <see cref="BackupJob"/>. What every provider shares is added by
/// <see cref="DatabaseExtensions.AddDatabase(IHostApplicationBuilder, DatabaseProvider)"/>.
/// </summary>
public static class SqliteDatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var database = SqliteDatabase.FromUrl(builder.Configuration[DatabaseUrl.Key], ProjectRoot.Path);
        builder.Services.AddSingleton(database);
        return builder.AddDatabase(new DatabaseProvider(database));
    }
}
