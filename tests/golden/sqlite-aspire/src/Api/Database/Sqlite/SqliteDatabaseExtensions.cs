using my_project.Api.Infrastructure;
using my_project.Api.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace my_project.Api.Database;

/// <summary>
/// The database component on SQLite: the file <c>DATABASE_URL</c> names (<c>data/app.db</c> when unset), backed up on
/// a schedule by <see cref="SqliteBackupJob"/>. What every provider shares is added by
/// <see cref="DatabaseExtensions.AddDatabase(IHostApplicationBuilder, DatabaseProvider)"/>.
/// </summary>
public static class SqliteDatabaseExtensions
{
    public static IHostApplicationBuilder AddDatabase(this IHostApplicationBuilder builder)
    {
        var database = SqliteDatabase.FromUrl(builder.Configuration[DatabaseUrl.Key], ProjectRoot.Path);
        builder.Services.AddSingleton(database);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(BackupOptions.FromConfiguration(builder.Configuration));
        builder.Services.AddSingleton<SqliteBackupJob>();
        builder.Services.AddSingleton<IScheduledJob>(services => services.GetRequiredService<SqliteBackupJob>());
        builder.Services.AddSingleton<SqliteRestore>();
        return builder.AddDatabase(new DatabaseProvider(database));
    }

    /// <summary>
    /// Runs this process as <c>APP_ROLE=migrate</c>, <c>backup</c> (prints the copy's path) or <c>restore</c>, without
    /// the server or the scheduler, then stops the host; returns the exit code, 0.
    /// </summary>
    /// <exception cref="StartupException">It could not be done: why, in one line; nothing was changed.</exception>
    public static async Task<int> RunOnceAsync(this IHost host, AppRole role)
    {
        if (role is AppRole.Migrate)
        {
            return await host.RunMigrationsAsync();
        }

        using (host)
        {
            var restore = host.Services.GetRequiredService<SqliteRestore>();
            Console.WriteLine(role is AppRole.Backup
                ? await restore.BackUpByHandAsync(CancellationToken.None)
                : await restore.RestoreAsync(host.Services.GetRequiredService<IConfiguration>()[SqliteRestore.FileKey], CancellationToken.None));
        }

        return 0;
    }
}
