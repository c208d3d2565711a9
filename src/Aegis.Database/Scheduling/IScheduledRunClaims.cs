namespace Aegis.Database;

/// <summary>
/// Where scheduler processes that share a database claim each scheduled run before they start it, so that it happens
/// at most once among them. Without one registered, this process runs every run (SQLite: one process).
/// </summary>
internal interface IScheduledRunClaims
{
    /// <summary>
    /// Claims the run of <paramref name="job"/> due at <paramref name="due"/> for this process, committed before the run
    /// starts. True if this process may run it: claimed now, or by this process for an earlier attempt; false if another
    /// process has claimed it.
    /// </summary>
    Task<bool> TryClaimAsync(string job, DateTimeOffset due, CancellationToken cancellationToken);
}
