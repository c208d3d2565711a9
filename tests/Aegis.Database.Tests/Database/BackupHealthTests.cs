using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

public abstract class BackupHealthTests<TFactory>(TFactory factory) : IClassFixture<TFactory>
    where TFactory : ApiFactory
{
    [DatabaseFact]
    public async Task A_failed_backup_turns_health_degraded_until_the_next_one_succeeds()
    {
        // A file where the backup folder's parent should be: the backup fails before it writes anything.
        var root = Directory.CreateTempSubdirectory("backup-health-").FullName;
        var blocker = Path.Combine(root, "blocked");
        await File.WriteAllTextAsync(blocker, "");
        await using var blocked = factory.WithSetting(BackupOptions.FolderKey, Path.Combine(blocker, "backups"));
        var job = blocked.Services.GetRequiredService<BackupJob>();
        using var client = blocked.CreateClient();

        await Assert.ThrowsAnyAsync<IOException>(() => job.BackUpAsync());
        Assert.Equal("Degraded", await BackupHealthAsync(client));

        File.Delete(blocker);
        await job.BackUpAsync();
        Assert.Equal("Healthy", await BackupHealthAsync(client));
        Directory.Delete(root, recursive: true);
    }

    private static async Task<string?> BackupHealthAsync(HttpClient client)
    {
        using var body = await client.GetFromJsonAsync<JsonDocument>("/health");
        return body!.RootElement.GetProperty("checks").GetProperty("database-backups").GetProperty("status").GetString();
    }
}

public sealed class SqliteBackupHealthTests(SqliteApiFactory factory) : BackupHealthTests<SqliteApiFactory>(factory);

public sealed class PostgresBackupHealthTests(PostgresApiFactory factory) : BackupHealthTests<PostgresApiFactory>(factory);
