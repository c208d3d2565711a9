using Cronos;

namespace my_project.Api.Scheduling;

/// <summary>Work the scheduler runs on a cron schedule (UTC). Register implementations as singletons.</summary>
public interface IScheduledJob
{
    string Name { get; }

    CronExpression Schedule { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
