using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AegisApp.Api.Database;

/// <summary>
/// A unit of work in a callback: one transaction, committed (after saving pending changes) when the callback returns,
/// rolled back when it throws, whose exception propagates unchanged. The context is always disposed.
/// </summary>
/// <remarks>
/// A callback rather than a <c>using</c> block, because <c>Dispose</c> cannot tell reliably whether its block was left
/// by an exception. A session opened inside a unit (another session, or a write endpoint's request) joins it: the same
/// context and transaction, committed once by the unit. If a joined session throws, the whole unit rolls back, even when
/// its caller catches the exception. A failed <c>SaveChanges</c> that the callback catches undoes only itself (EF Core's
/// savepoint), so catching a conflict, or EF Core's concurrency retry, works as documented. Sessions of one unit run one
/// at a time, and a session started after its unit ended is a unit of its own. On SQLite a unit waits for this process's
/// one write turn when it begins and holds it to the end: keep slow work (HTTP calls) outside sessions.
/// </remarks>
public sealed class DbSession(IDbContextFactory<AppDbContext> contexts, IDatabaseProvider provider, DatabaseTelemetry telemetry)
{
    private static readonly AsyncLocal<Session?> Current = new();

    // SQLite has one writer at a time: queued here, writers wait without blocking a thread in SQLite's busy handler.
    private readonly SemaphoreSlim? writeTurn = provider.QueuesWriters ? new(1, 1) : null;

    /// <summary>Makes a context that is not the unit's fail at once when it saves during a unit, rather than wait for the unit's own lock.</summary>
    internal static IInterceptor OtherContextGuard { get; } = new SavingOutsideTheUnit();

    public async Task<T> RunAsync<T>(Func<AppDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        if (Current.Value is not { } caller || caller.Unit.TryJoin(caller) is not { } joined)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await RunUnitAsync(db, work, commitIf: static _ => true, cancellationToken);
        }

        Current.Value = joined; // seen by this call only: an async method's changes never flow back to its caller
        try
        {
            return await work(joined.Unit.Db, cancellationToken);
        }
        catch
        {
            joined.Unit.JoinedSessionFailed = true;
            throw;
        }
        finally
        {
            joined.Unit.Leave(joined);
        }
    }

    public Task<T> RunAsync<T>(Func<AppDbContext, Task<T>> work, CancellationToken cancellationToken = default) =>
        RunAsync((db, _) => work(db), cancellationToken);

    public Task RunAsync(Func<AppDbContext, CancellationToken, Task> work, CancellationToken cancellationToken = default) =>
        RunAsync(async (db, token) => { await work(db, token); return true; }, cancellationToken);

    public Task RunAsync(Func<AppDbContext, Task> work, CancellationToken cancellationToken = default) =>
        RunAsync(async (db, _) => { await work(db); return true; }, cancellationToken);

    public Task RunAsync(Action<AppDbContext> work, CancellationToken cancellationToken = default) =>
        RunAsync((db, _) => { work(db); return Task.FromResult(true); }, cancellationToken);

    /// <summary>
    /// The synchronous form, with the same rules. It blocks on the asynchronous one, which is safe where no
    /// SynchronizationContext is installed (ASP.NET Core, workers, tests).
    /// </summary>
    public T Run<T>(Func<AppDbContext, T> work) => RunAsync((db, _) => Task.FromResult(work(db))).GetAwaiter().GetResult();

    public void Run(Action<AppDbContext> work) => RunAsync(work).GetAwaiter().GetResult();

    /// <summary>
    /// Runs <paramref name="work"/> as one unit on <paramref name="db"/>, committing (after saving pending changes) only
    /// if <paramref name="commitIf"/> accepts its result. Sessions opened inside join it.
    /// </summary>
    internal async Task<T> RunUnitAsync<T>(AppDbContext db, Func<AppDbContext, CancellationToken, Task<T>> work, Func<T, bool> commitIf, CancellationToken cancellationToken)
    {
        var unit = new Unit(db);
        using var measured = telemetry.StartUnitOfWork();
        var waiting = Stopwatch.GetTimestamp();
        await (writeTurn?.WaitAsync(cancellationToken) ?? Task.CompletedTask);
        try
        {
            measured.TurnTaken(Stopwatch.GetElapsedTime(waiting));
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            Current.Value = unit.Outermost;
            var result = await work(db, cancellationToken);
            if (unit.End() is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            if (commitIf(result))
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                measured.Committed();
            }

            return result;
        }
        finally
        {
            unit.End(); // after a throw, too: sessions that outlive the unit must never reach its context
            writeTurn?.Release();
        }
    }

    /// <summary>One session of a unit: its outermost, or one that joined it from <see cref="Caller"/>.</summary>
    private sealed record Session(Unit Unit, Session? Caller);

    /// <summary>A unit's context, and which of its sessions may use it now.</summary>
    private sealed class Unit
    {
        private readonly Lock sessions = new();
        private Session running;
        private bool ended;

        public Unit(AppDbContext db)
        {
            Db = db;
            Outermost = running = new Session(this, null);
        }

        public AppDbContext Db { get; }

        public Session Outermost { get; }

        public bool JoinedSessionFailed { get; set; }

        public bool Ended => Volatile.Read(ref ended);

        /// <summary>A session that joins this unit from <paramref name="caller"/>; null once the unit has ended.</summary>
        /// <exception cref="InvalidOperationException">Another session of this unit is running.</exception>
        public Session? TryJoin(Session caller)
        {
            lock (sessions)
            {
                if (ended)
                {
                    return null;
                }

                if (running != caller)
                {
                    throw new InvalidOperationException(
                        "A session was started while another session of its unit of work was running (Task.WhenAll, Task.Run, a timer?). " +
                        "The sessions of a unit share its context, one at a time: await each before starting the next, or run parallel work after the unit.");
                }

                return running = new Session(this, caller);
            }
        }

        public void Leave(Session session)
        {
            lock (sessions)
            {
                running = session.Caller!;
            }
        }

        /// <summary>Ends the unit, so that sessions started later are units of their own; returns why it must not commit.</summary>
        public string? End()
        {
            lock (sessions)
            {
                ended = true;
                return running != Outermost
                    ? "A session of this unit of work was still running when the unit ended, so nothing was written: await every session you start."
                    : JoinedSessionFailed ? "A session nested in this one failed, so this session was rolled back and nothing was written." : null;
            }
        }
    }

    private sealed class SavingOutsideTheUnit : SaveChangesInterceptor
    {
        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            if (Current.Value?.Unit is { Ended: false } unit && unit.Db != eventData.Context)
            {
                throw new InvalidOperationException(
                    "A second context saved during a unit of work on the same flow; it would wait for the lock the unit itself holds. " +
                    "Save through the unit's context (the session's callback argument, or the request's AppDbContext), or after the unit ends.");
            }

            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(SavingChanges(eventData, result));
    }
}
