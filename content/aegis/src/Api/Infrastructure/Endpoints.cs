using System.Reflection;

namespace AegisApp.Api.Infrastructure;

/// <summary>
/// A feature's HTTP endpoints. Program.cs maps every implementation in this project through
/// <see cref="EndpointExtensions.MapEndpoints"/>, so a new feature folder joins the service without an edit there.
/// </summary>
public interface IEndpoints
{
    static abstract void Map(IEndpointRouteBuilder app);
}

public static class EndpointExtensions
{
    private static readonly MethodInfo MapFeature =
        typeof(EndpointExtensions).GetMethod(nameof(Map), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Maps the endpoints of every <see cref="IEndpoints"/> class in this project, in order of their names, each
    /// described in the OpenAPI document by <see cref="ApiConventions.Describe"/>.
    /// </summary>
    public static IEndpointRouteBuilder MapEndpoints(this IEndpointRouteBuilder app)
    {
        var features = typeof(IEndpoints).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && type.IsAssignableTo(typeof(IEndpoints)))
            .OrderBy(type => type.FullName, StringComparer.Ordinal);
        var api = app.MapGroup("");
        ((IEndpointConventionBuilder)api).Finally(ApiConventions.Describe); // after the endpoints' own conventions
        foreach (var feature in features)
        {
            MapFeature.MakeGenericMethod(feature).Invoke(null, [api]);
        }

        return app;
    }

    private static void Map<TFeature>(IEndpointRouteBuilder app) where TFeature : IEndpoints => TFeature.Map(app);
}
