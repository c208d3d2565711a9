using Microsoft.AspNetCore.OpenApi;

namespace my_project.Api.Infrastructure;

/// <summary>
/// The API's contract at <c>/openapi/v1.json</c>, which clients are generated from: its title and description here,
/// and what every endpoint shares from <see cref="ApiConventions"/>, which <see cref="EndpointExtensions.MapEndpoints"/>
/// applies to every endpoint it maps, so a new feature's endpoints are described like the example's.
/// </summary>
public static class ApiDocument
{
    public const string Title = "my-project";

    internal static void Configure(OpenApiOptions options) => options.AddApiConventions().AddDocumentTransformer((document, _, _) =>
    {
        document.Info.Title = Title;
        document.Info.Description = $"The HTTP API of {Title}. Errors are problem details (RFC 9457, application/problem+json); "
            + "a 400 lists each invalid field under `errors`.";
        return Task.CompletedTask;
    });
}
