using System.Diagnostics;
using Microsoft.EntityFrameworkCore;

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

/// <summary>One unit of work, measured as rolled back unless <see cref="Committed"/> was called before it is disposed.</summary>
public sealed class UnitOfWork : IDisposable
{
    private readonly DatabaseTelemetry telemetry;
    private readonly Activity? activity = DatabaseTelemetry.StartUnitOfWorkActivity();
    private readonly long started = Stopwatch.GetTimestamp();
    private string outcome = "rolled_back";
    private bool ended;

    internal UnitOfWork(DatabaseTelemetry telemetry, DbContext context, UnitOfWork? outer) =>
        (this.telemetry, Context, Outer) = (telemetry, context, outer);

    internal DbContext Context { get; }

    /// <summary>The unit this one runs inside, on the same flow, if any.</summary>
    internal UnitOfWork? Outer { get; }

    /// <summary>Marks the unit as committed.</summary>
    public void Committed() => outcome = "committed";

    /// <summary>Ends the unit: its span, and its duration recorded with its outcome.</summary>
    public void Dispose()
    {
        if (ended)
        {
            return;
        }

        ended = true;
        telemetry.UnitOfWorkEnded(Stopwatch.GetElapsedTime(started), outcome);
        activity?.SetTag("outcome", outcome);
        activity?.Dispose();
    }

    /// <summary>This unit if it still runs, else the nearest outer one that does.</summary>
    internal UnitOfWork? Running() => !ended ? this : Outer?.Running();

    /// <summary>Whether this unit, or one it runs inside, is <paramref name="unit"/>.</summary>
    internal bool IsWithin(UnitOfWork unit) => this == unit || (Outer?.IsWithin(unit) ?? false);
}
