using System.Net.Http.Json;
using System.Text.Json;
using my_project.Api.Database;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

public sealed class BackupHealthTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
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
