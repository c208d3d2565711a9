using Aegis.Database;

namespace Microsoft.Extensions.Hosting;

/// <summary>The database's one-shot roles: <c>APP_ROLE=migrate</c>, <c>backup</c> and <c>restore</c>.</summary>
public static class DatabaseHostExtensions
{
    /// <summary>
    /// Runs this process as <c>APP_ROLE=migrate</c>, <c>backup</c> (prints the copy's path) or <c>restore</c> (puts back
    /// the backup <c>RESTORE_FILE</c> names), without the server or the scheduler, then disposes the host.
    /// </summary>
    /// <param name="host">The built host; it is not started.</param>
    /// <param name="role">A role for which <see cref="AppRoles.RunsOnce"/> is true.</param>
    /// <returns>The process's exit code, 0.</returns>
    /// <exception cref="StartupException">It could not be done: why, in one line; nothing was changed.</exception>
    public static async Task<int> RunOnceAsync(this IHost host, AppRole role)
    {
        ArgumentNullException.ThrowIfNull(host);
        using (host)
        {
            var services = host.Services;
            switch (role)
            {
                case AppRole.Migrate:
                    await services.GetRequiredService<DatabaseStartup>().MigrateAsync(CancellationToken.None);
                    break;
                case AppRole.Backup:
                    Console.WriteLine(await services.GetRequiredService<IDatabaseRestore>().BackUpByHandAsync(CancellationToken.None));
                    break;
                case AppRole.Restore:
                    Console.WriteLine(await services.GetRequiredService<IDatabaseRestore>().RestoreAsync(
                        services.GetRequiredService<IConfiguration>()[IDatabaseRestore.FileKey], CancellationToken.None));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(role), role, "Not a role that runs once.");
            }
        }

        return 0;
    }
}
