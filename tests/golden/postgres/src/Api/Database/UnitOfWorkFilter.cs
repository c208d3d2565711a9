namespace my_project.Api.Database;

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
/// returns a success (2xx) result. An exception or an error result (404, 400, …) rolls everything back, including
/// changes the handler already saved to obtain generated ids. A <see cref="DbSession"/> used by the handler joins
/// the request's unit instead of waiting for its lock.
/// </summary>
internal static class UnitOfWorkFilter
{
    // A delegate rather than an IEndpointFilter class, whose factory ASP.NET Core compiles at start-up.
    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        return await services.GetRequiredService<DbSession>().RunUnitAsync(
            services.GetRequiredService<AppDbContext>(), _ => next(context).AsTask(), IsSuccess, context.HttpContext.RequestAborted);
    }

    // A handler typed Results<Ok<T>, NotFound> returns the union, which carries no status of its own.
    private static bool IsSuccess(object? result) => result is INestedHttpResult nested
        ? IsSuccess(nested.Result)
        : result is not IStatusCodeHttpResult { StatusCode: < 200 or >= 300 };
}
