using Aegis.Database;
using Cronos;
using Microsoft.EntityFrameworkCore;

namespace Aegis.Database.TestApp;

/// <summary>
/// A job for the scheduler's tests, registered when <c>TEST_JOB_SCHEDULE</c> is set (cron with seconds): each run records
/// this process and its start in <c>test_job_runs</c>, then takes <c>TEST_JOB_SECONDS</c>, so a test can kill a process
/// during a run.
/// </summary>
internal sealed class RecordingJob(IConfiguration configuration) : IScheduledJob
{
    public string Name => "recording";

    public CronExpression Schedule { get; } = CronExpression.Parse(configuration["TEST_JOB_SCHEDULE"] ?? "", CronFormat.IncludeSeconds);

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<TestDbContext>();
        await db.Database.ExecuteSqlAsync(
            $"INSERT INTO test_job_runs (process, started) VALUES ({Environment.ProcessId}, {DateTime.UtcNow})", cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(configuration.GetValue("TEST_JOB_SECONDS", 0.0)), cancellationToken);
    }
}
