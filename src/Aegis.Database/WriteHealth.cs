using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aegis.Database;

/// <summary>
/// Whether the database takes writes. A command or commit that fails because the disk is full or cannot be written
/// (as the provider tells them apart from other errors) turns this health check Degraded with the reason; the next
/// write that succeeds turns it Healthy again, with no restart. Reads usually still work meanwhile. One that fails
/// because the database was busy or locked is counted in <c>aegis.database.lock_errors</c>.
/// </summary>
internal sealed class WriteHealth(DatabaseProvider provider, DatabaseTelemetry telemetry)
    : IDbCommandInterceptor, IDbTransactionInterceptor, ISaveChangesInterceptor, IHealthCheck
{
    private readonly ConditionalWeakTable<Exception, object> observed = new();
    private volatile string? fault;

    /// <summary>What is wrong with the database's storage, if <paramref name="exception"/> or one it wraps says so.</summary>
    public string? FaultOf(Exception? exception) =>
        exception is null ? null : provider.DescribeStorageFault(exception) ?? FaultOf(exception.InnerException);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(fault is { } description ? HealthCheckResult.Degraded(description) : HealthCheckResult.Healthy());

    public void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Observe(eventData.Exception);

    public Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Observe(eventData.Exception);

    public void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Observe(eventData.Exception);

    public Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Observe(eventData.Exception);

    // A write outside a transaction can fail after its command ran, as its rows are read back: SQLite commits an
    // autocommit INSERT … RETURNING then, and only the save sees that. A failure its command reported is not counted twice.
    public void SaveChangesFailed(DbContextErrorEventData eventData) => Observe(eventData.Exception);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default) =>
        Observe(eventData.Exception);

    // Rows written: the storage takes writes again. A commit that then fails sets the fault anew.
    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        fault = result > 0 ? null : fault;
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(SavedChanges(eventData, result));

    private Task Observe(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (observed.TryGetValue(inner, out _))
            {
                return Task.CompletedTask;
            }
        }

        observed.AddOrUpdate(exception, exception);
        fault = FaultOf(exception) ?? fault;
        if (provider.LockErrorOf(exception) is { } errorType)
        {
            telemetry.CountLockError(errorType);
        }

        return Task.CompletedTask;
    }
}
