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
/// independent units. The unit's transaction begins at its first write, after the provider's write turn (SQLite has
/// one writer at a time), so reads before it neither wait nor hold a lock: they see the latest commit. Where two
/// requests may change a row from what they read, give the entity a concurrency token.
/// <see cref="DatabaseTelemetry"/> records each unit's wait, duration and outcome.
/// </remarks>
public sealed partial class DbSession(IDbContextFactory<AppDbContext> contextFactory, IDatabaseProvider provider, DatabaseTelemetry telemetry)
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
        using var unit = Current.Value = autoCommit ? NewUnit(db) : new Unit(db);
        try
        {
            if (!autoCommit)
            {
                return work(db);
            }

            unit.Open();
            var result = work(db);
            unit.ThrowIfPartFailed();
            unit.Commit();
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
        await using var unit = Current.Value = NewUnit(db);
        await unit.OpenAsync(cancellationToken);
        var result = await work(db);
        unit.ThrowIfPartFailed();
        if (commitIf(result))
        {
            await unit.CommitAsync(cancellationToken);
        }

        return result;
    }

    private Unit NewUnit(AppDbContext db) => new(db, provider, telemetry.StartUnitOfWork());

    private static async Task<T> RunWithoutTransactionAsync<T>(AppDbContext db, Func<AppDbContext, Task<T>> work)
    {
        Current.Value = new Unit(db);
        return await work(db);
    }
}
