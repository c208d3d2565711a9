using Microsoft.AspNetCore.Http.HttpResults;

namespace my_project.Api.Database;

/// <summary>
/// The session helper's rule for write endpoints: the request's changes are committed if and only if the handler
/// returns a success (2xx) result, before the response is written. An exception or an error result rolls everything back,
/// including changes the handler saved to obtain generated ids. The request's <see cref="DbSession"/> joins its unit.
/// </summary>
public static class UnitOfWorkFilter
{
    /// <summary>
    /// Runs each of the group's endpoints in a unit of work, and documents the problems a write may answer because of
    /// the database: 409 for a lost race on a row, 503 when it cannot take writes.
    /// </summary>
    public static RouteGroupBuilder WithUnitOfWork(this RouteGroupBuilder group) => group.AddEndpointFilter(InvokeAsync)
        .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    // A delegate rather than an IEndpointFilter class, whose factory ASP.NET Core compiles at start-up.
    internal static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        // Never retried: a handler may have effects beyond the database (an e-mail sent, a call made).
        var http = context.HttpContext;
        return await http.RequestServices.GetRequiredService<DbSession>().RunUnitAsync(
            (_, _) => next(context).AsTask(), result => IsSuccess(result, http), retry: false, http.RequestAborted);
    }

    // A value or an empty result is judged by the response's status (200 unless the handler set one). Any other result
    // that does not say its status may set one only when it is written, after the commit: refused rather than guessed.
    private static bool IsSuccess(object? result, HttpContext http) => result switch
    {
        INestedHttpResult nested => IsSuccess(nested.Result, http), // a Results<Ok<T>, NotFound> union holds one
        IStatusCodeHttpResult { StatusCode: { } status } => status is >= 200 and < 300,
        IStatusCodeHttpResult or EmptyHttpResult or not IResult => http.Response.StatusCode is >= 200 and < 300,
        _ => throw new InvalidOperationException(
            $"A write endpoint returned {result.GetType().Name}, which does not say its status code, " +
            "so its unit of work cannot tell whether to commit. " +
            "Return a TypedResults result, or implement IStatusCodeHttpResult on your result."),
    };
}
