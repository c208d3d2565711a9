using AegisApp.Api.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.Database;

/// <summary>
/// The database component: <see cref="AppDbContext"/> on the database <c>DATABASE_URL</c> names, migrated at start-up
/// (or by <c>APP_ROLE=migrate</c>), backed up on a schedule, checked by <c>/health</c>, and written through
/// <see cref="DbSession"/> or a write endpoint's unit of work. The Aegis.Database package does the work; its switches
/// (<c>settings.Disable…</c>) turn each part off. To remove the component, delete this folder and the resource
/// folders (and their tests), the package, and its line in Program.cs.
/// </summary>
public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
#if (UsePostgres)
        builder.AddPostgresDatabase<AppDbContext>(
            settings => settings.RootPath = ProjectRoot.Path, // data/backups, and restore's file names, below the project's root
            options => options.UseSnakeCaseNamingConvention());
#else
        builder.AddSqliteDatabase<AppDbContext>(
            settings => settings.RootPath = ProjectRoot.Path, // sqlite:///data/app.db is the project root's data/app.db
            options => options.UseSnakeCaseNamingConvention());
#endif
        builder.Services.AddScoped<DbSession>();
        return builder;
    }
}
