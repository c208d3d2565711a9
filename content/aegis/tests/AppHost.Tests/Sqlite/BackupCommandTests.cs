namespace AegisApp.AppHost.Tests;

[Collection(AppHostCollection.Name)]
public sealed class BackupCommandTests(RunningAppHost appHost)
{
    [Fact]
    public async Task Back_up_now_writes_a_backup_beside_the_database_each_time_it_is_run()
    {
        var app = await appHost.AppAsync();

        for (var run = 1; run <= 2; run++)
        {
            var result = await app.ResourceCommands.ExecuteCommandAsync("api", "backup");

            Assert.True(result.Success, result.Message);
            Assert.Equal(run, Directory.GetFiles(Path.Combine(appHost.DataFolder, "backups"), "*-manual.db").Length);
        }
    }
}
