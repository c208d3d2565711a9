using System.Runtime.ExceptionServices;
using Aegis.Database;
using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// The unit of work of a scope (a request, a job's run, a scope you create): one transaction on its context, committed
/// (after saving pending changes) when the callback returns, rolled back when it throws. A session used while the unit
/// runs joins it, one at a time; if it throws, the unit writes nothing, even when the exception is caught. A retrying
/// execution strategy runs the callback again on a cleared tracker. The transaction begins at the unit's first write
/// before its final save, so a unit whose only write is that save is a plain SaveChanges; on SQLite a unit holds the
/// write lock from its first write to its end.
/// </summary>
public sealed class DbSession(AppDbContext db, UnitsOfWork units)
{
    private const int NoUnit = 0, UnitRuns = 1, NestedRuns = 2, UnitEnds = 3;
    private int state;
    private Exception? nestedFailure;

    public Task<T> RunAsync<T>(Func<AppDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref state) == NoUnit ? RunUnitAsync(work, static _ => true, retry: true, cancellationToken)
            : JoinAsync(work, cancellationToken);

    // The same, for callbacks without a token, a result or an await.
    public Task<T> RunAsync<T>(Func<AppDbContext, Task<T>> work, CancellationToken cancellationToken = default) =>
        RunAsync((db, _) => work(db), cancellationToken);
    public Task RunAsync(Func<AppDbContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        RunAsync(async (db, token) => { await work(db, token); return true; }, cancellationToken);
    public Task RunAsync(Func<AppDbContext, Task> work, CancellationToken cancellationToken = default) =>
        RunAsync(async (db, _) => { await work(db); return true; }, cancellationToken);
    public Task RunAsync(Action<AppDbContext> work, CancellationToken cancellationToken = default) =>
        RunAsync((db, _) => { work(db); return Task.FromResult(true); }, cancellationToken);

    /// <summary>Runs a unit that commits if <paramref name="commitIf"/> accepts its result; without <paramref name="retry"/>, runs it once.</summary>
    internal async Task<T> RunUnitAsync<T>(
        Func<AppDbContext, CancellationToken, Task<T>> work, Func<T, bool> commitIf, bool retry, CancellationToken cancellationToken)
    {
        Enter(NoUnit, UnitRuns);
        var (strategy, attempts, failure) = (db.Database.CreateExecutionStrategy(), 0, (ExceptionDispatchInfo?)null);
        try
        {
            // A retrying strategy refuses a transaction begun outside it; any other would wrap the callback's exceptions.
            var result = !strategy.RetriesOnFailure ? await AttemptAsync(cancellationToken) : await strategy.ExecuteAsync(async token =>
            {
                try
                {
                    return await AttemptAsync(token);
                }
                catch (Exception e) when (!retry)
                {
                    failure = ExceptionDispatchInfo.Capture(e); // carried out of the strategy, which would run it again
                    return default!;
                }
            }, cancellationToken);
            failure?.Throw();
            return result;
        }
        finally
        {
            Volatile.Write(ref state, NoUnit);
        }

        async Task<T> AttemptAsync(CancellationToken token)
        {
            if (attempts++ > 0)
            {
                db.ChangeTracker.Clear(); // a retry starts from what the database holds
            }

            (state, nestedFailure) = (UnitRuns, null);
            await using var unit = units.Begin(db); // its transaction begins at its first write before the final save
            var result = await work(db, token);
            var commit = commitIf(result);
            var refusal = Interlocked.Exchange(ref state, UnitEnds) == NestedRuns ? "was still running when the unit ended"
                : commit && nestedFailure is not null ? "nested in it failed" : null;
            if (refusal is not null)
            {
                throw new InvalidOperationException($"A session of this unit of work {refusal}, so nothing was written.", nestedFailure);
            }

            // From here the outcome must not depend on a client that hangs up: cut off during COMMIT, it would be unknown.
            token.ThrowIfCancellationRequested();
            if (commit)
            {
                await unit.CommitAsync(CancellationToken.None); // saves pending changes, then commits
            }

            return result; // rolled back as the unit is disposed, unless committed
        }
    }

    private async Task<T> JoinAsync<T>(Func<AppDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        Enter(UnitRuns, NestedRuns);
        try
        {
            return await work(db, cancellationToken);
        }
        catch (Exception e)
        {
            nestedFailure ??= e;
            throw;
        }
        finally
        {
            Interlocked.CompareExchange(ref state, UnitRuns, NestedRuns);
        }
    }

    private void Enter(int from, int to)
    {
        if (Interlocked.CompareExchange(ref state, to, from) != from)
        {
            throw new InvalidOperationException("A session was started while another session of its unit of work was running (Task.WhenAll, " +
                "Task.Run?). A unit's sessions share its context, one at a time: await each in turn, or give parallel work scopes of their own.");
        }
    }
}
