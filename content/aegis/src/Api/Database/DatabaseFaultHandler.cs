using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace AegisApp.Api.Database;

/// <summary>
/// Answers a request that failed because the database's storage cannot take writes (a full disk, a read-only or
/// failing one) with a 503 problem that says so, instead of a bare 500. The request's unit of work was rolled back,
/// so nothing of it was written. Every other exception is declined.
/// </summary>
internal sealed class DatabaseFaultHandler(WriteHealth writeHealth, IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (writeHealth.FaultOf(exception) is not { } fault)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return await problemDetails.TryWriteAsync(new()
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The database cannot take writes.",
                Detail = $"{fault} Nothing of this request was written; try again later.",
            },
        });
    }
}
