using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace my_project.Api.Infrastructure;

/// <summary>
/// Turns a request the framework could not read (malformed JSON, a value of the wrong type, an unknown field)
/// into a 400 problem that names the offending field. Every other exception is declined and left to the
/// default handler, which answers with a 500 problem and no internals.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException badRequest)
        {
            return false;
        }

        var problem = badRequest.InnerException is JsonException json
            ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [FieldOf(json)] = [Describe(json)] })
            : new ProblemDetails { Detail = badRequest.Message };
        problem.Status = badRequest.StatusCode;
        problem.Title = "The request could not be read.";

        httpContext.Response.StatusCode = badRequest.StatusCode;
        return await problemDetails.TryWriteAsync(new() { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    // "$.defenseRating" → "defenseRating"; "$" (the body itself) → "body".
    private static string FieldOf(JsonException json) =>
        json.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "body";

    private static string Describe(JsonException json) => json.Path switch
    {
        null or "$" => "The body is not valid JSON.",
        _ when json.Message.Contains("could not be mapped", StringComparison.Ordinal) => "This field is not part of the request.",
        _ => "The value is malformed or of the wrong type.",
    };
}
