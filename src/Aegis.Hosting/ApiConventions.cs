using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Aegis.Hosting;

/// <summary>
/// What every endpoint's OpenAPI description shares, so that clients generated from the document type every outcome:
/// operation ids from handler names, problem details for every error, 400/413/415 for endpoints that read a body,
/// response properties required as the service always writes them, <c>Location</c> on a 201 and <c>Link</c> on a
/// page, tag descriptions, and responses in status code order.
/// </summary>
public static class ApiConventions
{
    private const string Problem = "application/problem+json";

    /// <summary>Tags the group's operations and gives the tag a description in the document.</summary>
    /// <param name="group">The endpoints' group.</param>
    /// <param name="name">The tag.</param>
    /// <param name="description">What the tag's operations are for.</param>
    /// <returns>The group, for chaining.</returns>
    public static RouteGroupBuilder WithTag(this RouteGroupBuilder group, string name, string description) =>
        group.WithTags(name).WithMetadata(new TagDescription(name, description));

    /// <summary>Adds the document, operation and schema transformers of these conventions.</summary>
    /// <param name="options">The document's options.</param>
    /// <returns>The options, for chaining.</returns>
    public static OpenApiOptions AddApiConventions(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AddDocumentTransformer((document, context, _) =>
        {
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/'); // "http://host:port/" + "/shields" would be a double slash
            }

            var tags = context.DescriptionGroups.SelectMany(group => group.Items)
                .SelectMany(api => api.ActionDescriptor.EndpointMetadata.OfType<TagDescription>())
                .DistinctBy(tag => tag.Name).ToDictionary(tag => tag.Name, tag => tag.Description);
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            {
                tag.Description ??= tags.GetValueOrDefault(tag.Name ?? "");
            }

            RequireWrittenProperties(document);
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, _, _) =>
        {
            var responses = operation.Responses?.OrderBy(response => response.Key, StringComparer.Ordinal).ToList() ?? [];
            operation.Responses?.Clear();
            responses.ForEach(response => operation.Responses![response.Key] = response.Value); // in status code order

            if (operation.Responses?.GetValueOrDefault("201") is OpenApiResponse created)
            {
                created.Headers ??= new Dictionary<string, IOpenApiHeader>();
                created.Headers["Location"] = new OpenApiHeader
                {
                    Description = "The URL of the created resource.",
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" },
                };
            }

            if (operation.Parameters?.Any(parameter => parameter.Name == "after") is true
                && operation.Responses?.GetValueOrDefault("200") is OpenApiResponse page)
            {
                page.Headers ??= new Dictionary<string, IOpenApiHeader>();
                page.Headers["Link"] = new OpenApiHeader
                {
                    Description = "The next page, as `<URL>; rel=\"next\"` (RFC 8288); absent on the last page.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                };
            }

            return Task.CompletedTask;
        });
        options.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonTypeInfo.Type.IsAssignableTo(typeof(ProblemDetails)))
            {
                schema.AdditionalPropertiesAllowed = true; // problems carry extensions, such as traceId
            }

            return Task.CompletedTask;
        });
        return options;
    }

    /// <summary>
    /// The service writes every non-null property of what it returns, so in a schema that only responses use (such
    /// as <c>Shield</c>) those properties are required, and a generated client types them as always present. A schema
    /// that requests use keeps its own rules: there a default makes a property optional.
    /// </summary>
    private static void RequireWrittenProperties(OpenApiDocument document)
    {
        var operations = document.Paths.Values.SelectMany(path => path.Operations?.Values.AsEnumerable() ?? []).ToList();
        var read = SchemaIds(operations.Select(operation => operation.RequestBody?.Content));
        var written = SchemaIds(operations.SelectMany(operation => operation.Responses?.Values.AsEnumerable() ?? []).Select(response => response.Content));
        foreach (var id in written.Except(read))
        {
            if (document.Components?.Schemas?.TryGetValue(id, out var found) == true && found is OpenApiSchema { Properties: { } properties } schema)
            {
                schema.Required ??= new HashSet<string>();
                schema.Required.UnionWith(properties.Where(property => property.Value.Type?.HasFlag(JsonSchemaType.Null) != true).Select(property => property.Key));
            }
        }
    }

    /// <summary>The schemas of JSON bodies (problems excluded), or of their items when a body is an array.</summary>
    private static HashSet<string> SchemaIds(IEnumerable<IDictionary<string, OpenApiMediaType>?> bodies) =>
        bodies.Select(content => content?.TryGetValue("application/json", out var json) == true ? json.Schema : null)
            .Select(schema => (schema as OpenApiSchemaReference ?? schema?.Items as OpenApiSchemaReference)?.Reference.Id)
            .OfType<string>().ToHashSet();

    /// <summary>
    /// The operation id is the handler's name (<c>CreateShield</c>) unless the endpoint has a name already; an
    /// error the handler returns without a body (<c>TypedResults.NotFound()</c>) is a problem, written by
    /// <c>UseStatusCodePages</c>; and an endpoint that reads a body can also answer 400 (invalid, with the fields),
    /// 413 (larger than the limit) and 415 (not JSON). An endpoint that validates query or header values says so
    /// itself with <c>.ProducesValidationProblem()</c>.
    /// </summary>
    /// <param name="endpoint">The endpoint, once its own conventions have run.</param>
    public static void Describe(EndpointBuilder endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var metadata = endpoint.Metadata;
        if (metadata.OfType<MethodInfo>().FirstOrDefault() is { } handler && !handler.Name.Contains('<') // not a lambda
            && !metadata.OfType<IEndpointNameMetadata>().Any())
        {
            metadata.Add(new EndpointNameMetadata(handler.Name));
        }

        foreach (var empty in metadata.OfType<IProducesResponseTypeMetadata>()
            .Where(response => response.StatusCode >= 400 && (response.Type is null || response.Type == typeof(void))).ToList())
        {
            metadata.Remove(empty);
            metadata.Add(new ProducesResponseTypeMetadata(empty.StatusCode, typeof(ProblemDetails), [Problem]));
        }

        if (metadata.OfType<IAcceptsMetadata>().Any())
        {
            metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails), [Problem]));
            metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status413PayloadTooLarge, typeof(ProblemDetails), [Problem]));
            metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails), [Problem]));
        }
    }

    private sealed record TagDescription(string Name, string Description);
}
