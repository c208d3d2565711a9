using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>The JSON files of the template's <c>.template.config</c> folder, comments allowed as the engine allows them.</summary>
public static class TemplateJson
{
    public static string ConfigFolder { get; } = Path.Combine(Repo.TemplateContent, ".template.config");

    public static JsonNode Template { get; } = Read("template.json");

    public static JsonNode Read(string relativePath) => JsonNode.Parse(
        File.ReadAllText(Path.Combine(ConfigFolder, relativePath)),
        documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false })!;
}
