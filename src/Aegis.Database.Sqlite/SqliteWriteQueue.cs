using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Aegis.Database.Sqlite;

/// <summary>
/// SQLite takes one writer at a time, so this process's transactions queue here for their turn, awaiting it, rather
/// than sleep in SQLite's busy handler on thread-pool threads, which under load starves every other request (other
/// processes still wait in busy_timeout). A transaction takes the turn as it begins and gives it back when it commits,
/// rolls back or fails, or is disposed without either. EF Core's interceptors have no hook for that last one, so it
/// comes from EF Core's <c>TransactionDisposed</c> diagnostic event, and, should that be missed, from the connection's
/// close. The wait is bounded by SQLite's own busy timeout.
/// </summary>
internal sealed class SqliteWriteQueue : IDbTransactionInterceptor, IDbConnectionInterceptor, IObserver<DiagnosticListener>,
    IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(SqliteDatabase.BusyTimeoutSeconds);
    private readonly SemaphoreSlim turn = new(1, 1);
    private readonly Lock holderLock = new();
    private readonly DatabaseTelemetry telemetry;
    private readonly IDisposable listeners;
    private readonly List<IDisposable> subscriptions = [];
    private (Guid Connection, UnitOfWork? Unit)? holder; // EF Core's id of the connection whose transaction holds the turn

    public SqliteWriteQueue(DatabaseTelemetry telemetry)
    {
        this.telemetry = telemetry;
        listeners = DiagnosticListener.AllListeners.Subscribe(this);
    }

    public InterceptionResult<DbTransaction> TransactionStarting(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        var waiting = Stopwatch.GetTimestamp();
        RefuseToWaitForOwnUnit(eventData.ConnectionId);
        if (!turn.Wait(Patience)) // a synchronous BeginTransaction blocks its thread anyway
        {
            throw TimedOut();
        }

        Taken(eventData.ConnectionId, waiting);
        return Begin(connection, eventData);
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result,
        CancellationToken cancellationToken = default)
    {
        var waiting = Stopwatch.GetTimestamp();
        RefuseToWaitForOwnUnit(eventData.ConnectionId);
        if (!await turn.WaitAsync(Patience, cancellationToken))
        {
            throw TimedOut();
        }

        Taken(eventData.ConnectionId, waiting);
        return Begin(connection, eventData);
    }

    // Begun here, with the turn just taken, rather than by EF Core after this returns: a cancellation of the request in
    // between would end the begin without a transaction or an event to give the turn back (seen under load: every
    // writer after it waited). Microsoft.Data.Sqlite begins synchronously anyway.
    private InterceptionResult<DbTransaction> Begin(DbConnection connection, TransactionStartingEventData eventData)
    {
        try
        {
            return InterceptionResult<DbTransaction>.SuppressWithResult(connection.BeginTransaction(eventData.IsolationLevel));
        }
        catch
        {
            GiveBack(eventData.ConnectionId);
            throw;
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => GiveBack(eventData.ConnectionId);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        GiveBack(eventData.ConnectionId);

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => GiveBack(eventData.ConnectionId);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
        GiveBack(eventData.ConnectionId);

    // BEGIN, COMMIT or ROLLBACK failed: SQLite has ended the transaction, or its disposal will.
    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => GiveBack(eventData.ConnectionId);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        GiveBack(eventData.ConnectionId);

    public void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => GiveBack(eventData.ConnectionId);

    public Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData) => GiveBack(eventData.ConnectionId);

    // A unit of work that begins a transaction on another connection while an outer unit on its flow holds the turn
    // would wait for itself.
    private void RefuseToWaitForOwnUnit(Guid connection)
    {
        lock (holderLock)
        {
            if (holder is { Unit: { } unit } held && held.Connection != connection && UnitsOfWork.Current?.IsWithin(unit) == true)
            {
                throw new InvalidOperationException(
                    "A second context began a transaction during a unit of work on the same flow, where it would wait for the lock the unit " +
                    "itself holds. Write through the unit's context (the session's callback argument, or the request's AppDbContext), or after the unit ends.");
            }
        }
    }

    private static TimeoutException TimedOut() => new(
        $"Waited {Patience.TotalSeconds:0} s for SQLite's write lock, which another transaction of this service held all that time. " +
        "Keep slow work (HTTP calls, long computations) out of units of work.");

    public void OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
        {
            lock (subscriptions)
            {
                subscriptions.Add(listener.Subscribe(this, name => name == RelationalEventId.TransactionDisposed.Name));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is TransactionEventData disposed)
        {
            GiveBack(disposed.ConnectionId);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        listeners.Dispose();
        lock (subscriptions)
        {
            subscriptions.ForEach(subscription => subscription.Dispose());
        }
    }

    private void Taken(Guid connection, long waiting)
    {
        lock (holderLock)
        {
            holder = (connection, UnitsOfWork.Current);
        }

        telemetry.WriteTurnTaken(Stopwatch.GetElapsedTime(waiting));
    }

    // Once per turn, whichever of these comes first: only the connection that holds the turn gives it back.
    private Task GiveBack(Guid connection)
    {
        lock (holderLock)
        {
            if (holder?.Connection != connection)
            {
                return Task.CompletedTask;
            }

            holder = null;
        }

        turn.Release();
        return Task.CompletedTask;
    }
}
