using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;

namespace my_project.Api.Database;

public sealed partial class DbSession
{
    /// <summary>Begins a unit's transaction at its first write; every context is built with it.</summary>
    internal static IInterceptor FirstWriteInterceptor { get; } = new FirstWrite();

    /// <summary>
    /// One unit's context, and its transaction once it writes. The connection is opened before the write turn and
    /// closed after it, so that writers do not queue while a pooled connection is taken or given back. A unit whose
    /// only write is its final save takes the turn for that save alone, which is one statement (or EF Core's own
    /// transaction). The transaction is all or nothing, so SaveChanges makes no savepoint inside it (two statements
    /// fewer per save); a save that fails marks the unit failed instead, so a handler that catches the error cannot
    /// commit the part of the save that was written. A unit without a provider never commits (autoCommit: false); it
    /// exists so that nested sessions join it.
    /// </summary>
    private sealed class Unit(AppDbContext db, IDatabaseProvider? provider = null, DatabaseTelemetry.UnitOfWork? measured = null)
        : IDisposable, IAsyncDisposable
    {
        private IDisposable? turn;
        private IDbContextTransaction? transaction;
        private bool joinedSessionFailed;
        private bool saveFailed;
        private bool opened;

        public AppDbContext Db => db;

        public DbTransaction? Transaction => transaction?.GetDbTransaction();

        public async Task OpenAsync(CancellationToken cancellationToken)
        {
            Watch();
            await db.Database.OpenConnectionAsync(cancellationToken);
            opened = true;
        }

        public void Open()
        {
            Watch();
            db.Database.OpenConnection();
            opened = true;
        }

        /// <summary>Before each write: the first one waits for the write turn and begins the transaction.</summary>
        public async ValueTask BeforeWriteAsync(CancellationToken cancellationToken)
        {
            if (provider is null || turn is not null)
            {
                return;
            }

            var taken = await TakeTurnAsync(cancellationToken);
            try
            {
                transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            }
            catch
            {
                taken.Dispose(); // nothing was written: the next write tries again
                throw;
            }

            turn = taken;
        }

        /// <inheritdoc cref="BeforeWriteAsync"/>
        public void BeforeWrite()
        {
            if (provider is null || turn is not null)
            {
                return;
            }

            var taken = TakeTurn();
            try
            {
                transaction = db.Database.BeginTransaction();
            }
            catch
            {
                taken.Dispose();
                throw;
            }

            turn = taken;
        }

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            if (transaction is not null)
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            else if (provider is not null && HasChanges())
            {
                // The unit's only write: atomic as EF Core makes any save, one statement or a transaction of its own.
                db.Database.AutoTransactionBehavior = AutoTransactionBehavior.WhenNeeded;
                turn = await TakeTurnAsync(cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
            }

            measured?.Committed();
        }

        public void Commit()
        {
            if (transaction is not null)
            {
                db.SaveChanges();
                transaction.Commit();
            }
            else if (provider is not null && HasChanges())
            {
                db.Database.AutoTransactionBehavior = AutoTransactionBehavior.WhenNeeded;
                turn = TakeTurn();
                db.SaveChanges();
            }

            measured?.Committed();
        }

        public async ValueTask DisposeAsync()
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync(); // rolls back unless committed
            }

            Release();
        }

        public void Dispose()
        {
            transaction?.Dispose();
            Release();
        }

        public async Task<T> JoinAsync<T>(Func<AppDbContext, Task<T>> work)
        {
            try
            {
                return await work(db);
            }
            catch
            {
                joinedSessionFailed = true;
                throw;
            }
        }

        public T Join<T>(Func<AppDbContext, T> work)
        {
            try
            {
                return work(db);
            }
            catch
            {
                joinedSessionFailed = true;
                throw;
            }
        }

        public void ThrowIfPartFailed()
        {
            if (joinedSessionFailed || saveFailed)
            {
                throw new InvalidOperationException(
                    $"{(saveFailed ? "A SaveChanges" : "A session nested")} in this one failed, so this session was rolled back and nothing was written.");
            }
        }

        // Callers have checked that the unit has a provider: a unit without one never writes.
        private async ValueTask<IDisposable> TakeTurnAsync(CancellationToken cancellationToken)
        {
            var waiting = Stopwatch.GetTimestamp();
            var taken = await provider!.EnterWriteAsync(cancellationToken);
            measured?.TurnTaken(Stopwatch.GetElapsedTime(waiting));
            return taken;
        }

        private IDisposable TakeTurn()
        {
            var waiting = Stopwatch.GetTimestamp();
            var taken = provider!.EnterWrite();
            measured?.TurnTaken(Stopwatch.GetElapsedTime(waiting));
            return taken;
        }

        /// <summary>
        /// Whether the final save has anything to write. Entities added, removed or updated are known without a scan;
        /// only when there are none does this scan for changed properties (DetectChanges), which SaveChanges would
        /// otherwise repeat for every entity of a batch. SaveChanges still scans, after its interceptors ran.
        /// </summary>
        private bool HasChanges()
        {
            var tracker = db.ChangeTracker;
            if (tracker.AutoDetectChangesEnabled)
            {
                tracker.AutoDetectChangesEnabled = false;
                var known = tracker.HasChanges();
                tracker.AutoDetectChangesEnabled = true;
                if (known)
                {
                    return true;
                }
            }

            return tracker.HasChanges();
        }

        // Saves before the last one write inside the unit's transaction, which their first command begins.
        private void Watch()
        {
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            db.Database.AutoSavepointsEnabled = false;
            db.SaveChangesFailed += OnSaveFailed;
        }

        private void Release()
        {
            turn?.Dispose();
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.WhenNeeded;
            db.Database.AutoSavepointsEnabled = true;
            db.SaveChangesFailed -= OnSaveFailed;
            if (opened)
            {
                db.Database.CloseConnection();
            }

            measured?.Dispose();
        }

        private void OnSaveFailed(object? sender, SaveChangesFailedEventArgs e) => saveFailed = true;
    }

    /// <summary>
    /// Calls the current unit before each command that may write: every command of a SaveChanges, and every command
    /// EF Core did not translate from a LINQ query (ExecuteUpdate, ExecuteDelete, SQL of your own), since the unit cannot
    /// tell whether such a command writes (all of them run as readers or non-queries). Queries from LINQ only read, and
    /// begin nothing. At the command, not at the start of SaveChanges, so that EF Core prepares a save's commands before
    /// the unit takes the write turn.
    /// </summary>
    private sealed class FirstWrite : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            BeforeCommand(command, eventData);
            return result;
        }

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await BeforeCommandAsync(command, eventData, cancellationToken);
            return result;
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            BeforeCommand(command, eventData);
            return result;
        }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await BeforeCommandAsync(command, eventData, cancellationToken);
            return result;
        }

        private static void BeforeCommand(DbCommand command, CommandEventData eventData)
        {
            if (WritingUnitOf(eventData) is { } unit)
            {
                unit.BeforeWrite();
                command.Transaction ??= unit.Transaction; // the command was made before the transaction began
            }
        }

        private static async ValueTask BeforeCommandAsync(DbCommand command, CommandEventData eventData, CancellationToken cancellationToken)
        {
            if (WritingUnitOf(eventData) is { } unit)
            {
                await unit.BeforeWriteAsync(cancellationToken);
                command.Transaction ??= unit.Transaction;
            }
        }

        private static Unit? WritingUnitOf(CommandEventData eventData) =>
            eventData.CommandSource is not CommandSource.LinqQuery && Current.Value is { } unit && unit.Db == eventData.Context ? unit : null;
    }
}
