using AegisApp.Api.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.Database;

/// <summary>
/// The database component: EF Core on the SQLite file named by <c>DATABASE_URL</c>, migrated at start-up, checked
/// by <c>/health</c>, and reached through <see cref="DbSession"/> or a request's <see cref="AppDbContext"/>.
/// To remove it, delete this folder and the two lines in Program.cs that call it.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var file = DatabaseUrl.ToSqliteFile(builder.Configuration[DatabaseUrl.Key], ProjectRoot.Path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = file,
            ForeignKeys = true,
            DefaultTimeout = 30, // seconds a command waits for another connection's lock before failing
        }.ToString();

        // The factory serves DbSession; AddDbContextFactory also registers AppDbContext per request for endpoints.
        builder.Services.AddDbContextFactory<AppDbContext>(options => options
            .UseSqlite(connectionString)
            .UseSnakeCaseNamingConvention());
        builder.Services.AddSingleton<DbSession>();
        builder.Services.AddHostedService<DatabaseMigrator>();
        builder.Services.AddHealthChecks().AddDbContextCheck<AppDbContext>("database");
        return builder;
    }
}
