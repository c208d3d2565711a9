using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Aegis.Database;

/// <summary>
/// Where a unit of work (one transaction that a session helper commits or rolls back) tells the machinery it runs:
/// it is traced as a <c>unit of work</c> span, measured in <c>aegis.database.unit_of_work.duration</c>, and on its
/// async flow a write through another context fails at once instead of waiting for a lock the unit itself holds.
/// </summary>
public sealed class UnitsOfWork
{
    private static readonly AsyncLocal<UnitOfWork?> Running = new();
    private readonly DatabaseTelemetry telemetry;

    internal UnitsOfWork(DatabaseTelemetry telemetry) => this.telemetry = telemetry;

    /// <summary>The innermost unit running on this async flow, if any.</summary>
    internal static UnitOfWork? Current => Running.Value is { } unit ? unit.Running() : null;

    /// <summary>
    /// Starts a unit of work on <paramref name="context"/>, for this async flow and the work it awaits, until it is
    /// disposed. Call it from the method that runs the unit, before its first await.
    /// </summary>
    /// <param name="context">The context every write of the unit goes through.</param>
    /// <returns>The unit: call <see cref="UnitOfWork.Committed"/> once it has committed, and dispose it when it ends.</returns>
    public UnitOfWork Begin(DbContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var unit = new UnitOfWork(telemetry, context, Current);
        Running.Value = unit; // set by a synchronous method, so that it flows on in the caller's awaits
        return unit;
    }
}

/// <summary>
/// One unit of work, measured as rolled back unless it committed before it is disposed. Its transaction begins at its
/// first write that is not its final save (<see cref="CommitAsync"/>), and disposing the unit rolls back what it did
/// not commit. A transaction the caller began on the context itself is the caller's to commit.
/// </summary>
public sealed class UnitOfWork : IDisposable, IAsyncDisposable
{
    private readonly DatabaseTelemetry telemetry;
    private readonly Activity? activity = DatabaseTelemetry.StartUnitOfWorkActivity();
    private readonly long started; // 0 when no listener measures units
    private IDbContextTransaction? transaction; // the one this unit began
    private string outcome = "rolled_back";
    private bool ended, final, savepoints, beganAtThisSave;

    internal UnitOfWork(DatabaseTelemetry telemetry, DbContext context, UnitOfWork? outer)
    {
        (this.telemetry, Context, Outer) = (telemetry, context, outer);
        started = telemetry.MeasuresUnits ? Stopwatch.GetTimestamp() : 0;
    }

    internal DbContext Context { get; }

    /// <summary>The unit this one runs inside, on the same flow, if any.</summary>
    internal UnitOfWork? Outer { get; }

    /// <summary>The transaction this unit began, once it has written.</summary>
    internal DbTransaction? Transaction => transaction?.GetDbTransaction();

    /// <summary>Marks the unit as committed.</summary>
    public void Committed() => outcome = "committed";

    /// <summary>
    /// Saves the context's pending changes as the unit's final save, then commits the transaction its earlier writes began,
    /// if any: a unit whose only write is this save is one <c>SaveChanges</c> with no transaction of its own.
    /// </summary>
    /// <param name="cancellationToken">Cancels the save and the commit.</param>
    /// <returns>The commit.</returns>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        final = true;
        if (Context.ChangeTracker.HasChanges())
        {
            var savepoints = Context.Database.AutoSavepointsEnabled;
            Context.Database.AutoSavepointsEnabled = false; // if the final save fails, the unit fails whole: no savepoint
            try
            {
                await Context.SaveChangesAsync(cancellationToken);
            }
            finally
            {
                Context.Database.AutoSavepointsEnabled = savepoints;
            }
        }

        await (transaction?.CommitAsync(cancellationToken) ?? Task.CompletedTask);
        Committed();
    }

    /// <summary>Ends the unit: rolls back the transaction it began unless it committed; its span, and its duration recorded with its outcome.</summary>
    public void Dispose()
    {
        transaction?.Dispose();
        transaction = null;
        End();
    }

    /// <inheritdoc cref="Dispose"/>
    public async ValueTask DisposeAsync()
    {
        await (transaction?.DisposeAsync() ?? ValueTask.CompletedTask);
        transaction = null;
        End();
    }

    private void End()
    {
        if (ended)
        {
            return;
        }

        ended = true;
        if (started != 0)
        {
            telemetry.UnitOfWorkEnded(Stopwatch.GetElapsedTime(started), outcome);
        }

        activity?.SetTag("outcome", outcome);
        activity?.Dispose();
    }

    /// <summary>This unit if it still runs, else the nearest outer one that does.</summary>
    internal UnitOfWork? Running() => !ended ? this : Outer?.Running();

    /// <summary>Whether this unit, or one it runs inside, is <paramref name="unit"/>.</summary>
    internal bool IsWithin(UnitOfWork unit) => this == unit || (Outer?.IsWithin(unit) ?? false);

    // Before a write: its first that is not the final save begins the transaction. The save that begins it makes no
    // savepoint: if it fails, the transaction held only it and is rolled back, which is what a savepoint would do.
    internal void BeforeWrite(bool save)
    {
        if (Begins(save))
        {
            transaction = Context.Database.BeginTransaction();
        }
    }

    internal async Task BeforeWriteAsync(bool save, CancellationToken cancellationToken)
    {
        if (Begins(save))
        {
            transaction = await Context.Database.BeginTransactionAsync(cancellationToken);
        }
    }

    private bool Begins(bool save)
    {
        if (final || transaction is not null || Context.Database.CurrentTransaction is not null)
        {
            return false;
        }

        if (save)
        {
            (savepoints, beganAtThisSave) = (Context.Database.AutoSavepointsEnabled, true);
            Context.Database.AutoSavepointsEnabled = false;
        }

        return true;
    }

    internal void AfterSave()
    {
        if (beganAtThisSave)
        {
            (Context.Database.AutoSavepointsEnabled, beganAtThisSave) = (savepoints, false);
        }
    }

    internal void SaveFailed()
    {
        if (beganAtThisSave)
        {
            AfterSave();
            transaction?.Dispose(); // rolled back: it held only the failed save
            transaction = null;
        }
    }

    internal async Task SaveFailedAsync()
    {
        if (beganAtThisSave)
        {
            AfterSave();
            await (transaction?.DisposeAsync() ?? ValueTask.CompletedTask);
            transaction = null;
        }
    }
}
