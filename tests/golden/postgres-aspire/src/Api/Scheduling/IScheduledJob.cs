using Cronos;

namespace my_project.Api.Scheduling;

/// <summary>
/// Work the scheduler runs on a cron schedule (UTC). Register implementations as singletons. A run that throws is
/// tried again a few minutes later (<see cref="Scheduler.RetryDelays"/>), so a run should be safe to repeat and should
/// leave nothing half-done when it fails.
/// </summary>
public interface IScheduledJob
{
    string Name { get; }

    CronExpression Schedule { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
