using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// The database component: <see cref="AppDbContext"/> on the database <c>DATABASE_URL</c> names, migrated at start-up
/// (or by <c>APP_ROLE=migrate</c>), backed up on a schedule, checked by <c>/health</c>, and written through
/// <see cref="DbSession"/> or a write endpoint's unit of work. The provider's Aegis.Database package does the work; its
/// switches (<c>configureSettings: settings => settings.DisableBackups = true</c>, …) turn each part off. Relative paths
/// (<c>data/app.db</c>, <c>data/backups</c>) are below the solution's folder. To remove the component, delete this
/// folder and the resource folders (and their tests), the package, and its line in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddSqliteDatabase<AppDbContext>(configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());
        builder.Services.AddScoped<DbSession>();
        return builder;
    }
}
