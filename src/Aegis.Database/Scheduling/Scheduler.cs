using System.Diagnostics;

namespace Aegis.Database;

/// <summary>
/// Runs every <see cref="IScheduledJob"/> at the times its cron expression gives, in this process. Each run is logged
/// with its outcome and duration; a run that throws is logged and tried again after <see cref="RetryDelays"/> (unless
/// the job's next time comes first), then the job waits for its next time, so no job can stop the service. Stopping
/// the service cancels the wait and any run in progress. With <see cref="IScheduledRunClaims"/>, each due run is claimed
/// first, and a run another process claimed is left to it.
/// </summary>
internal sealed partial class Scheduler(
    IEnumerable<IScheduledJob> jobs, TimeProvider time, ILogger<Scheduler> logger, IServiceScopeFactory scopes, IScheduledRunClaims? claims = null)
    : BackgroundService
{
    /// <summary>Growing, so a cause that lasts (a full disk) is not hammered, while a passing one costs minutes, not a day.</summary>
    internal static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15)];

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var names = jobs.Select(job => job.Name).ToList();
        LogJobs(names.Count, names.Count == 0 ? "none (register an IScheduledJob singleton to add one)" : string.Join(", ", names));
        return Task.WhenAll(jobs.Select(job => RunOnScheduleAsync(job, stoppingToken)));
    }

    /// <summary>Runs <paramref name="job"/> once now, logging its outcome; returns whether it succeeded.</summary>
    public async Task<bool> RunOnceAsync(IScheduledJob job, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        LogStarted(job.Name);
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                await job.RunAsync(scope.ServiceProvider, cancellationToken);
            }

            LogSucceeded(job.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogCancelled(job.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return false;
        }
        catch (Exception e)
        {
            LogFailed(e, job.Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return false;
        }
    }

    private async Task RunOnScheduleAsync(IScheduledJob job, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            if (job.Schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) is not { } next)
            {
                return;
            }

            LogNextRun(job.Name, next);
            if (!await WaitUntilAsync(next, stoppingToken))
            {
                return;
            }

            // A locked database or a brief outage is usually gone within minutes; waiting a day for the next run is not.
            for (var retry = 0; !await RunDueAsync(job, next, stoppingToken) && retry < RetryDelays.Length; retry++)
            {
                var delay = RetryDelays[retry];
                if (stoppingToken.IsCancellationRequested || IsDueWithin(job, delay))
                {
                    break; // stopping, or the next scheduled run comes first and is the retry
                }

                LogRetrying(job.Name, delay.TotalMinutes, retry + 1, RetryDelays.Length);
                if (!await WaitAsync(delay, stoppingToken))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Runs the run of <paramref name="job"/> due at <paramref name="due"/> once claimed; true if it succeeded or is another process's.</summary>
    private async Task<bool> RunDueAsync(IScheduledJob job, DateTimeOffset due, CancellationToken stoppingToken)
    {
        if (claims is not null)
        {
            try
            {
                if (!await claims.TryClaimAsync(job.Name, due, stoppingToken))
                {
                    LogClaimedElsewhere(job.Name, due);
                    return true;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogClaimFailed(e, job.Name, due);
                return false; // tried again like a failed run: the database may be back within minutes
            }
        }

        return await RunOnceAsync(job, stoppingToken);
    }

    private bool IsDueWithin(IScheduledJob job, TimeSpan delay)
    {
        var now = time.GetUtcNow();
        return job.Schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) <= now + delay;
    }

    /// <summary>
    /// Waits until <paramref name="due"/>; returns false if the service stops first. Timers may fire a moment early, and a
    /// run that began before its time, and finished before it, would run again.
    /// </summary>
    private async Task<bool> WaitUntilAsync(DateTimeOffset due, CancellationToken stoppingToken)
    {
        for (var now = time.GetUtcNow(); now < due; now = time.GetUtcNow())
        {
            if (!await WaitAsync(due - now, stoppingToken))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Waits for <paramref name="delay"/>; returns false if the service stops first.</summary>
    private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler started with {Count} job(s): {Names}.")]
    private partial void LogJobs(int count, string names);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} next runs at {Next:u}.")]
    private partial void LogNextRun(string job, DateTimeOffset next);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} started.")]
    private partial void LogStarted(string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} succeeded in {Milliseconds:0} ms.")]
    private partial void LogSucceeded(string job, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} was cancelled after {Milliseconds:0} ms because the service is stopping.")]
    private partial void LogCancelled(string job, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job} failed after {Milliseconds:0} ms.")]
    private partial void LogFailed(Exception exception, string job, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}'s run due at {Due:u} is another instance's: it claimed the run first.")]
    private partial void LogClaimedElsewhere(string job, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Job}'s run due at {Due:u} could not be claimed, so it did not start.")]
    private partial void LogClaimFailed(Exception exception, string job, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} runs again in {Minutes} min (retry {Retry} of {Retries}).")]
    private partial void LogRetrying(string job, double minutes, int retry, int retries);
}
