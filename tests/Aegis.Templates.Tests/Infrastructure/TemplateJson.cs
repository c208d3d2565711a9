using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// The JSON files of a template's <c>.template.config</c> folder (<c>content/&lt;folder&gt;</c>), comments allowed as
/// the engine allows them.
/// </summary>
public sealed class TemplateJson(string folder)
{
    /// <summary>Every template of the pack, by its folder under <c>content/</c>.</summary>
    public static TheoryData<string> Folders => ["aegis", "aegis-entity", "aegis-database"];

    /// <summary>The project template, <c>dotnet new aegis</c>.</summary>
    public static TemplateJson Service { get; } = new("aegis");

    public string Content { get; } = Path.Combine(Repo.Root, "content", folder);

    public string ConfigFolder => Path.Combine(Content, ".template.config");

    public JsonNode Template => field ??= Read("template.json");

    public JsonNode Read(string relativePath) => JsonNode.Parse(
        File.ReadAllText(Path.Combine(ConfigFolder, relativePath)),
        documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false })!;
}
