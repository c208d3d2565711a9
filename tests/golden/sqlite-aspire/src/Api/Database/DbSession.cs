using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace my_project.Api.Database;

/// <summary>
/// A unit of work in a callback: one transaction, committed (after saving pending changes) when the callback returns,
/// rolled back when it throws, whose exception propagates unchanged. A callback, because <c>Dispose</c> cannot tell
/// reliably whether a <c>using</c> block was left by an exception.
/// </summary>
/// <remarks>
/// A session opened inside a unit (another session, or a write endpoint's request) joins it, and if it throws the whole
/// unit rolls back, even when its caller catches the exception. A failed <c>SaveChanges</c> that the callback catches
/// undoes only itself (EF Core's savepoint). The sessions of a unit run one at a time; one started after its unit ended
/// is a unit of its own. On SQLite a unit holds this process's one write turn from start to end: keep slow calls out.
/// </remarks>
public sealed class DbSession(IDbContextFactory<AppDbContext> contexts, DatabaseProvider provider, DatabaseTelemetry telemetry)
{
    private static readonly AsyncLocal<Session?> Current = new();

    private readonly SemaphoreSlim? writeTurn = provider.QueuesWriters ? new(1, 1) : null;

    /// <summary>Makes another context fail at once when it saves during a unit on the same flow, instead of waiting for the unit's own lock.</summary>
    internal static IInterceptor OtherContextGuard { get; } = new SavingBesideTheUnit();

    public async Task<T> RunAsync<T>(Func<AppDbContext, CancellationToken, Task<T>> work, CancellationToken cancellationToken = default)
    {
        if (Current.Value is not { } caller || caller.Unit.TryJoin(caller) is not { } joined)
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await RunUnitAsync(db, work, commitIf: static _ => true, cancellationToken);
        }

        Current.Value = joined; // for this call only: an async method's changes do not flow back to its caller
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

    /// <summary>The synchronous form, with the same rules; it blocks on the asynchronous one (there is no SynchronizationContext to deadlock in ASP.NET Core).</summary>
    public T Run<T>(Func<AppDbContext, T> work) => RunAsync((db, _) => Task.FromResult(work(db))).GetAwaiter().GetResult();

    public void Run(Action<AppDbContext> work) => RunAsync(work).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="work"/> as one unit on <paramref name="db"/>, committing only if <paramref name="commitIf"/> accepts its result.</summary>
    internal async Task<T> RunUnitAsync<T>(AppDbContext db, Func<AppDbContext, CancellationToken, Task<T>> work, Func<T, bool> commitIf, CancellationToken cancellationToken)
    {
        using var measured = telemetry.StartUnitOfWork();
        await db.Database.OpenConnectionAsync(cancellationToken); // before the turn, so that writers queue for less
        var waiting = Stopwatch.GetTimestamp();
        await (writeTurn?.WaitAsync(cancellationToken) ?? Task.CompletedTask);
        var unit = new Unit(db);
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
                db.Database.AutoSavepointsEnabled = false; // if the last save fails, the whole unit rolls back
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                measured.Committed();
            }

            return result;
        }
        finally
        {
            unit.End(); // after a throw too: a session started later must never reach this context
            writeTurn?.Release();
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>One session of a unit: its outermost, or one that joined it from <see cref="Caller"/>.</summary>
    private sealed class Session(Unit unit, Session? caller)
    {
        public Unit Unit { get; } = unit;

        public Session? Caller { get; } = caller;
    }

    /// <summary>A unit's context, and the one session that may use it now (none once the unit has ended).</summary>
    private sealed class Unit
    {
        private Session? running;

        public Unit(AppDbContext db)
        {
            Db = db;
            running = Outermost = new Session(this, null);
        }

        public AppDbContext Db { get; }

        public Session Outermost { get; }

        public bool JoinedSessionFailed { get; set; }

        public bool Ended => Volatile.Read(ref running) is null;

        /// <summary>A session joining from <paramref name="caller"/>, or null if the unit has ended.</summary>
        public Session? TryJoin(Session caller)
        {
            var joined = new Session(this, caller);
            var before = Interlocked.CompareExchange(ref running, joined, caller);
            return before == caller ? joined : before is null ? null : throw new InvalidOperationException(
                "A session was started while another session of its unit of work was running (Task.WhenAll, Task.Run, a timer?). The sessions " +
                "of a unit share its context, one at a time: await each before starting the next, or run parallel work after the unit.");
        }

        public void Leave(Session joined) => Interlocked.CompareExchange(ref running, joined.Caller, joined);

        /// <summary>Ends the unit, so that sessions started later are units of their own; returns why it must not commit.</summary>
        public string? End() => Interlocked.Exchange(ref running, null) is { } last && last != Outermost
            ? "A session of this unit of work was still running when the unit ended, so nothing was written: await every session you start."
            : JoinedSessionFailed ? "A session nested in this one failed, so this session was rolled back and nothing was written." : null;
    }

    private sealed class SavingBesideTheUnit : SaveChangesInterceptor
    {
        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result) =>
            Current.Value?.Unit is { Ended: false } unit && unit.Db != eventData.Context
                ? throw new InvalidOperationException(
                    "A second context saved during a unit of work on the same flow, where it would wait for the lock the unit itself holds. " +
                    "Save through the unit's context (the session's callback argument, or the request's AppDbContext), or after the unit ends.")
                : result;

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(SavingChanges(eventData, result));
    }
}
