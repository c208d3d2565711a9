using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// A unit of work in a callback: when the callback returns, its changes are saved and committed; when it throws,
/// nothing is written and the exception propagates unchanged; the context is always disposed.
/// </summary>
/// <remarks>
/// A callback, not a <c>using</c> block, because <c>Dispose</c> cannot tell reliably whether its block was left by an
/// exception (never under <c>await using</c>, wrongly inside a <c>catch</c>). After the callback the outcome is known.
/// A session opened inside another one on the same async flow (or inside a write endpoint) joins it: one context, one
/// transaction, committed once by the outermost unit. If a joined session throws, the whole unit is rolled back, even
/// when the outer callback catches the exception (as with <c>TransactionScope</c>). Sessions one after another are
/// independent units. A committing unit first waits for the provider's write turn (SQLite has one writer at a time).
/// <see cref="DatabaseTelemetry"/> records each unit's wait, duration and outcome.
/// </remarks>
public sealed class DbSession(IDbContextFactory<AppDbContext> contextFactory, IDatabaseProvider provider, DatabaseTelemetry telemetry)
{
    private static readonly AsyncLocal<Unit?> Current = new();

    /// <param name="autoCommit">
    /// <c>false</c> commits only what the callback saves itself with <c>SaveChangesAsync</c> (each call is one atomic
    /// commit); unsaved changes are discarded when it returns.
    /// </param>
    public async Task<T> RunAsync<T>(Func<AppDbContext, Task<T>> work, bool autoCommit = true, CancellationToken cancellationToken = default)
    {
        if (Current.Value is { } outer)
        {
            return await outer.JoinAsync(work);
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return autoCommit
            ? await RunUnitAsync(db, work, commitIf: static _ => true, cancellationToken)
            : await RunWithoutTransactionAsync(db, work);
    }

    public Task RunAsync(Func<AppDbContext, Task> work, bool autoCommit = true, CancellationToken cancellationToken = default) =>
        RunAsync(async db => { await work(db); return true; }, autoCommit, cancellationToken);

    public Task RunAsync(Action<AppDbContext> work, bool autoCommit = true, CancellationToken cancellationToken = default) =>
        RunAsync(db => { work(db); return Task.FromResult(true); }, autoCommit, cancellationToken);

    /// <summary>The synchronous form of <see cref="RunAsync{T}"/>, with the same rules.</summary>
    public T Run<T>(Func<AppDbContext, T> work, bool autoCommit = true)
    {
        if (Current.Value is { } outer)
        {
            return outer.Join(work);
        }

        using var db = contextFactory.CreateDbContext();
        using var unit = Current.Value = new Unit(db);
        try
        {
            if (!autoCommit)
            {
                return work(db);
            }

            unit.Open();
            using var measured = telemetry.StartUnitOfWork();
            using var writing = provider.EnterWrite();
            measured.TurnTaken();
            using var transaction = db.Database.BeginTransaction();
            var result = work(db);
            unit.ThrowIfPartFailed();
            db.SaveChanges();
            transaction.Commit();
            measured.Committed();
            return result;
        }
        finally
        {
            // A synchronous method's AsyncLocal change would otherwise leak to the caller.
            Current.Value = null;
        }
    }

    public void Run(Action<AppDbContext> work, bool autoCommit = true) =>
        Run(db => { work(db); return true; }, autoCommit);

    /// <summary>
    /// Runs <paramref name="work"/> as one unit on <paramref name="db"/>: one transaction, committed (after saving
    /// pending changes) only if <paramref name="commitIf"/> accepts the result. Sessions opened inside join it.
    /// </summary>
    internal async Task<T> RunUnitAsync<T>(AppDbContext db, Func<AppDbContext, Task<T>> work, Func<T, bool> commitIf, CancellationToken cancellationToken)
    {
        using var unit = Current.Value = new Unit(db);
        await unit.OpenAsync(cancellationToken);
        using var measured = telemetry.StartUnitOfWork();
        using (await provider.EnterWriteAsync(cancellationToken))
        {
            measured.TurnTaken();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var result = await work(db);
            unit.ThrowIfPartFailed();
            if (commitIf(result))
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                measured.Committed();
            }

            return result;
        }
    }

    private static async Task<T> RunWithoutTransactionAsync<T>(AppDbContext db, Func<AppDbContext, Task<T>> work)
    {
        Current.Value = new Unit(db);
        return await work(db);
    }

    /// <summary>
    /// One unit's context. Its connection is opened before the write turn and closed after it, so that writers do not
    /// queue while a pooled connection is taken or given back. Its transaction is all or nothing, so SaveChanges makes
    /// no savepoint inside it (two statements fewer per save); a save that fails marks the unit failed instead, so a
    /// handler that catches the error cannot commit the part of the save that was written.
    /// </summary>
    private sealed class Unit(AppDbContext db) : IDisposable
    {
        private bool joinedSessionFailed;
        private bool saveFailed;
        private bool opened;

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

        public void Dispose()
        {
            db.SaveChangesFailed -= OnSaveFailed;
            if (opened)
            {
                db.Database.CloseConnection();
            }
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

        private void Watch()
        {
            db.Database.AutoSavepointsEnabled = false;
            db.SaveChangesFailed += OnSaveFailed;
        }

        private void OnSaveFailed(object? sender, SaveChangesFailedEventArgs e) => saveFailed = true;
    }
}
