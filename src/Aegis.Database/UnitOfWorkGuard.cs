using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Aegis.Database;

/// <summary>
/// Fails at once a write through another context on the flow of a running unit of work: on SQLite it would wait for
/// the lock the unit itself holds, and anywhere it would commit apart from the unit.
/// </summary>
internal sealed class UnitOfWorkGuard : ISaveChangesInterceptor, IDbCommandInterceptor
{
    public static UnitOfWorkGuard Instance { get; } = new();

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Check(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Check(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        CheckBulk(eventData);
        return result;
    }

    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        CheckBulk(eventData);
        return ValueTask.FromResult(result);
    }

    private static void CheckBulk(CommandEventData eventData)
    {
        if (eventData.CommandSource is CommandSource.ExecuteUpdate or CommandSource.ExecuteDelete or CommandSource.ExecuteSqlRaw)
        {
            Check(eventData.Context);
        }
    }

    private static void Check(DbContext? context)
    {
        if (UnitsOfWork.Current is { } unit && context is not null && unit.Context != context)
        {
            throw new InvalidOperationException(
                "A second context wrote during a unit of work on the same flow, where it would wait for the lock the unit itself holds. " +
                "Write through the unit's context (the session's callback argument, or the request's AppDbContext), or after the unit ends.");
        }
    }
}
