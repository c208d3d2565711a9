using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Aegis.Hosting;

/// <summary>
/// A feature's HTTP endpoints. Program.cs maps every implementation in the application through
/// <see cref="EndpointExtensions.MapEndpoints"/>, so a new feature folder joins the service without an edit there.
/// </summary>
public interface IEndpoints
{
    /// <summary>Maps the feature's endpoints.</summary>
    /// <param name="app">Where to map them: a group that every feature shares.</param>
    static abstract void Map(IEndpointRouteBuilder app);
}

/// <summary>Maps every <see cref="IEndpoints"/> class of the application.</summary>
public static class EndpointExtensions
{
    private static readonly MethodInfo MapFeature =
        typeof(EndpointExtensions).GetMethod(nameof(Map), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>
    /// Maps the endpoints of every <see cref="IEndpoints"/> class in the application's assembly (the one
    /// <see cref="IHostEnvironment.ApplicationName"/> names), in order of their names, each described in the OpenAPI
    /// document by <see cref="ApiConventions.Describe"/>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The application, for chaining.</returns>
    public static IEndpointRouteBuilder MapEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var application = Assembly.Load(new AssemblyName(app.ServiceProvider.GetRequiredService<IHostEnvironment>().ApplicationName));
        var features = application.GetTypes()
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
