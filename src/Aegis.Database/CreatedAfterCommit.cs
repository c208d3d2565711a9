using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Aegis.Database;

/// <summary>
/// A <c>201 Created</c> for an entity the request's unit of work saves as it commits: its <c>Location</c> is computed
/// when the response is written, after that save has given the entity its generated key. So a handler that only adds an
/// entity needs no save of its own, and its unit is one <c>SaveChanges</c> with no transaction, as bare EF Core's is.
/// Documented in OpenAPI as <see cref="Created{TValue}"/> is.
/// </summary>
/// <typeparam name="TValue">The created entity, written as the body.</typeparam>
public sealed class CreatedAfterCommit<TValue> : IResult, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<TValue>, IEndpointMetadataProvider
    where TValue : class
{
    private readonly EntityEntry<TValue> entry;
    private readonly Func<TValue, string> location;

    internal CreatedAfterCommit(EntityEntry<TValue> entry, Func<TValue, string> location) => (this.entry, this.location) = (entry, location);

    /// <summary>The created entity.</summary>
    public TValue Value => entry.Entity;

    object? IValueHttpResult.Value => Value;

    /// <summary>201.</summary>
    public int StatusCode => StatusCodes.Status201Created;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    /// <summary>Writes the 201 with the <c>Location</c> of the saved entity and the entity as JSON.</summary>
    /// <param name="httpContext">The request's context.</param>
    /// <returns>The write.</returns>
    /// <exception cref="InvalidOperationException">The entity was not saved: no unit of work ran the endpoint.</exception>
    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (entry.State != EntityState.Unchanged)
        {
            throw new InvalidOperationException(
                $"The {typeof(TValue).Name} of this 201 Created was not saved (its state is {entry.State}): " +
                "UnitOfWorkResults.Created needs a unit of work to save it as it commits. " +
                "Map the endpoint in a group that has WithUnitOfWork(), or save it and return TypedResults.Created.");
        }

        return TypedResults.Created(location(Value), Value).ExecuteAsync(httpContext);
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        PopulateAs<Created<TValue>>(method, builder);

    private static void PopulateAs<TResult>(MethodInfo method, EndpointBuilder builder)
        where TResult : IEndpointMetadataProvider => TResult.PopulateMetadata(method, builder);
}

/// <summary>Results of write endpoints that run in a unit of work.</summary>
public static class UnitOfWorkResults
{
    /// <summary>
    /// A <c>201 Created</c> with the entity of <paramref name="added"/> as its body and, as its <c>Location</c>,
    /// <paramref name="location"/> of the entity once the unit of work has saved it (and so given it its generated key).
    /// </summary>
    /// <typeparam name="TValue">The created entity.</typeparam>
    /// <param name="added">The entity the handler added: what <c>db.Add(entity)</c> returns.</param>
    /// <param name="location">Its URL, computed after the save: <c>shield => $"/shields/{shield.Id}"</c>.</param>
    /// <returns>The result.</returns>
    public static CreatedAfterCommit<TValue> Created<TValue>(EntityEntry<TValue> added, Func<TValue, string> location)
        where TValue : class
    {
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(location);
        return new CreatedAfterCommit<TValue>(added, location);
    }
}
