using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.Database;

/// <summary>
/// The session helper's rule for write endpoints: the request's changes are committed if and only if the handler
/// returns a success (2xx) result. An exception or an error result (404, 400, …) rolls everything back, including
/// changes the handler already saved to obtain generated ids.
/// </summary>
internal sealed class UnitOfWorkFilter(AppDbContext db) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var cancellationToken = context.HttpContext.RequestAborted;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await next(context);
        if (result is not IStatusCodeHttpResult { StatusCode: < 200 or >= 300 })
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return result;
    }
}
