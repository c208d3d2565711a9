using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aegis.Database;

/// <summary>
/// Answers a request that failed because the database's storage cannot take writes (a full disk, a read-only or
/// failing one) with a 503 problem that says so, and one whose save lost a race for a row (a concurrency token no
/// longer matched) with a 409, instead of a bare 500. The request's unit of work was rolled back, so nothing of it
/// was written. A server that cannot be reached for now is a 503 too: clients retry a 503, and a proxy in front tells
/// it from its own. Every other exception is declined.
/// </summary>
internal sealed class DatabaseFaultHandler(WriteHealth writeHealth, DatabaseProvider provider, IProblemDetailsService problemDetails)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception is DbUpdateConcurrencyException
            ? new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "Another request changed this data first.", Detail = "Nothing of this request was written; read the data again, then retry." }
            : writeHealth.FaultOf(exception) is { } fault
                ? new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = "The database cannot take writes.", Detail = $"{fault} Nothing of this request was written; try again later." }
                : OutageOf(exception) is { } outage
                    ? new ProblemDetails { Status = StatusCodes.Status503ServiceUnavailable, Title = "The database is unavailable.", Detail = $"{outage} Nothing of this request was written; try again shortly." }
                    : null;
        if (problem is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = problem.Status!.Value;
        return await problemDetails.TryWriteAsync(new() { HttpContext = httpContext, Exception = exception, ProblemDetails = problem });
    }

    // EF Core wraps the driver's exception (DbUpdateException, a retrying strategy's InvalidOperationException).
    private string? OutageOf(Exception? exception) =>
        exception is null ? null : provider.DescribeOutage(exception) ?? OutageOf(exception.InnerException);
}
