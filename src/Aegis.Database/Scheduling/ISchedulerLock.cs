namespace Aegis.Database;

/// <summary>
/// Picks one of several scheduler processes to run the jobs, so that each scheduled run happens once. Without one
/// registered, this process runs them (SQLite: one process); on PostgreSQL the database elects one.
/// </summary>
internal interface ISchedulerLock
{
    /// <summary>
    /// Runs <paramref name="jobs"/> while this process holds the lock: waits for it, cancels the jobs if it is lost, and
    /// waits for it again. Returns when <paramref name="stoppingToken"/> is cancelled.
    /// </summary>
    Task RunWhileHeldAsync(Func<CancellationToken, Task> jobs, CancellationToken stoppingToken);
}
