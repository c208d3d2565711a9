using Microsoft.AspNetCore.Http.HttpResults;

namespace AegisApp.Api.Database;

public static class UnitOfWorkExtensions
{
    /// <summary>
    /// Runs each of the group's endpoints in a unit of work (see <see cref="UnitOfWorkFilter"/>), and documents the
    /// 503 problem a write answers when the database cannot take it (<see cref="DatabaseFaultHandler"/>).
    /// </summary>
    public static RouteGroupBuilder WithUnitOfWork(this RouteGroupBuilder group) =>
        group.AddEndpointFilter(UnitOfWorkFilter.InvokeAsync).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
}

/// <summary>
/// The session helper's rule for write endpoints: the request's changes are committed if and only if the handler
/// returns a success (2xx) result. An exception or an error result rolls everything back, including changes the handler
/// saved to obtain generated ids. A <see cref="DbSession"/> used by the handler joins the request's unit.
/// </summary>
internal static class UnitOfWorkFilter
{
    // A delegate rather than an IEndpointFilter class, whose factory ASP.NET Core compiles at start-up.
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        return await http.RequestServices.GetRequiredService<DbSession>().RunUnitAsync(
            http.RequestServices.GetRequiredService<AppDbContext>(), (_, _) => next(context).AsTask(), result => IsSuccess(result, http), http.RequestAborted);
    }

    // A value or an empty result is judged by the response's status (200 unless the handler set one). Any other result
    // that does not say its status may set one only when it is written, after the commit: refused rather than guessed.
    private static bool IsSuccess(object? result, HttpContext http) => result switch
    {
        INestedHttpResult nested => IsSuccess(nested.Result, http), // a Results<Ok<T>, NotFound> union holds one
        IStatusCodeHttpResult { StatusCode: { } status } => status is >= 200 and < 300,
        IStatusCodeHttpResult or EmptyHttpResult or not IResult => http.Response.StatusCode is >= 200 and < 300,
        _ => throw new InvalidOperationException(
            $"A write endpoint returned {result.GetType().Name}, which does not say its status code, so its unit of work cannot tell whether to commit. " +
            "Return a TypedResults result, or implement IStatusCodeHttpResult on your result."),
    };
}
