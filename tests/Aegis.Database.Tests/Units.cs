using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Aegis.Database.Tests;

/// <summary>
/// A unit of work as a session helper runs one on the library: a context of its own, <see cref="UnitsOfWork.Begin"/>,
/// an EF Core transaction, the work, a save, and the commit; rolled back if the work throws.
/// </summary>
public static class Units
{
    public static async Task RunAsync<TContext>(IServiceProvider services, Func<TContext, Task> work, CancellationToken cancellationToken = default)
        where TContext : DbContext
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<TContext>>().CreateDbContextAsync(cancellationToken);
        using var unit = services.GetRequiredService<UnitsOfWork>().Begin(db);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await work(db);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        unit.Committed();
    }

    public static Task RunAsync<TContext>(IServiceProvider services, Action<TContext> work, CancellationToken cancellationToken = default)
        where TContext : DbContext =>
        RunAsync<TContext>(services, db =>
        {
            work(db);
            return Task.CompletedTask;
        }, cancellationToken);
}
