using Cronos;

namespace Aegis.Database;

/// <summary>
/// Work the scheduler runs on a cron schedule (UTC). Register implementations as singletons. A run that throws is
/// tried again after 1, 5 and 15 minutes, so a run should be safe to repeat and should leave nothing half-done when it
/// fails.
/// </summary>
public interface IScheduledJob
{
    /// <summary>The job's name, as the log names its runs.</summary>
    string Name { get; }

    /// <summary>When the job runs (UTC).</summary>
    CronExpression Schedule { get; }

    /// <summary>One run of the job.</summary>
    /// <param name="services">A scope of the run's own: a scoped service (a DbContext, a session) from it is this run's.</param>
    /// <param name="cancellationToken">Cancelled when the service stops.</param>
    Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);
}
