using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Aegis.Database;

/// <summary>
/// Before each write of a running unit of work: begins the unit's transaction at its first write that is not its final
/// save (<see cref="UnitOfWork.CommitAsync"/>), so that a unit whose only write is that save is one statement without
/// <c>BEGIN</c> and <c>COMMIT</c>, as a bare <c>SaveChanges</c> is. And fails at once a write through another context on
/// the unit's flow: on SQLite it would wait for the lock the unit itself holds, and anywhere it would commit apart from the unit.
/// </summary>
internal sealed class UnitOfWorkGuard : ISaveChangesInterceptor, IDbCommandInterceptor
{
    public static UnitOfWorkGuard Instance { get; } = new();

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        UnitOf(eventData.Context)?.BeforeWrite(save: true);
        return result;
    }

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await (UnitOf(eventData.Context)?.BeforeWriteAsync(save: true, cancellationToken) ?? Task.CompletedTask);
        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        OwnUnitOf(eventData.Context)?.AfterSave();
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        OwnUnitOf(eventData.Context)?.AfterSave();
        return ValueTask.FromResult(result);
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData) => OwnUnitOf(eventData.Context)?.SaveFailed();

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default) =>
        OwnUnitOf(eventData.Context)?.SaveFailedAsync() ?? Task.CompletedTask;

    public void SaveChangesCanceled(DbContextEventData eventData) => OwnUnitOf(eventData.Context)?.SaveFailed();

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default) =>
        OwnUnitOf(eventData.Context)?.SaveFailedAsync() ?? Task.CompletedTask;

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        if (BulkUnitOf(eventData) is { } unit)
        {
            unit.BeforeWrite(save: false);
            command.Transaction ??= unit.Transaction;
        }

        return result;
    }

    // Here rather than in CommandCreating, which EF Core calls synchronously even for ExecuteUpdateAsync: beginning there
    // would wait for SQLite's write turn on a blocked thread. The command was created before the transaction, so it is given it.
    public async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (BulkUnitOf(eventData) is { } unit)
        {
            await unit.BeforeWriteAsync(save: false, cancellationToken);
            command.Transaction ??= unit.Transaction;
        }

        return result;
    }

    private static UnitOfWork? BulkUnitOf(CommandEventData eventData) =>
        eventData.CommandSource is CommandSource.ExecuteUpdate or CommandSource.ExecuteDelete or CommandSource.ExecuteSqlRaw
            ? UnitOf(eventData.Context) : null;

    private static UnitOfWork? OwnUnitOf(DbContext? context) => UnitsOfWork.Current is { } unit && unit.Context == context ? unit : null;

    /// <summary>The running unit whose context <paramref name="context"/> is, if any; throws if a unit runs on another context.</summary>
    private static UnitOfWork? UnitOf(DbContext? context) => UnitsOfWork.Current is not { } unit || context is null ? null
        : unit.Context == context ? unit
        : throw new InvalidOperationException(
            "A second context wrote during a unit of work on the same flow, where it would wait for the lock the unit itself holds. " +
            "Write through the unit's context (the session's callback argument, or the request's AppDbContext), or after the unit ends.");
}
