using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// The template's source as its authors work on it: a project that builds and passes its tests as it is, whose
/// template.json names only paths that exist, whose every file reaches a generated project, and whose conditionals
/// stay few and speak one vocabulary.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed partial class TemplateSourceTests(TemplatePack pack)
{
    private const int MostDirectiveLines = 75;
    private static readonly string[] Conditions = ["UseDatabase", "UseSqlite", "UsePostgres", "Aspire"];
    private static readonly string[] Variants = ["default", "sqlite", "postgres", "sqlite-aspire", "postgres-aspire"];

    [Fact]
    public async Task Source_builds_with_warnings_as_errors_and_passes_its_own_tests_as_the_sqlite_variant()
    {
        // A copy, so that the build leaves nothing in the working tree; it is the folder as committed, not generated, with
        // what it references in place: the library as projects, and the tests it builds with its own.
        var root = pack.NewFolder("source");
        var source = Path.Combine(root, "content", "aegis");
        foreach (var (from, to) in SourceFiles().Select(file => (Path.Combine(Repo.TemplateContent, file), Path.Combine(source, file)))
            .Concat(RepositoryFiles("src", "tests/Aegis.Templates.Tests/InGenerated").Select(file => (Path.Combine(Repo.Root, file), Path.Combine(root, file))))
            .Append((Path.Combine(Repo.Root, "Directory.Build.props"), Path.Combine(root, "Directory.Build.props"))))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(from, to);
        }

        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], source, timeout: TimeSpan.FromMinutes(10));
        // The concurrency tests' 16,000 sessions run in the generated projects of both providers (InGenerated/), not a third time here.
        var result = await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false", "--filter", "FullyQualifiedName!~ConcurrencyTests"],
            source, timeout: TimeSpan.FromMinutes(5));

        var summary = TestSummary.Of(result);
        Assert.Equal((0, 0), (summary.Failed, summary.Skipped));
        Assert.True(summary.Passed >= 70, summary.ToString());
        Assert.False(Directory.Exists(Path.Combine(source, "data")), "The tests touched data/ instead of a temporary file.");
    }

    [Fact]
    public void Every_literal_path_that_template_json_names_exists()
    {
        var named = new List<string>();
        foreach (var source in TemplateJson.Service.Template["sources"]!.AsArray())
        {
            named.AddRange(Strings(source!["exclude"]).Concat(Strings(source["copyOnly"])));
            foreach (var modifier in source["modifiers"]?.AsArray() ?? [])
            {
                named.AddRange(Strings(modifier!["exclude"]).Concat(Strings(modifier["include"])));
                named.AddRange(modifier["rename"]?.AsObject().Select(rename => rename.Key) ?? []);
            }
        }

        named.AddRange(TemplateJson.Service.Template["primaryOutputs"]!.AsArray().Select(output => (string)output!["path"]!));

        var literal = named.Select(path => TrailingGlob().Replace(path, "")).Where(path => !path.Any("*?[".Contains)).ToList();
        // Local files a template author may have (a .env, a served database), never committed: excluded in case.
        var missing = literal.Except([".env", "data"]).Where(path => !Path.Exists(Path.Combine(Repo.TemplateContent, path)));
        Assert.True(literal.Count > 15, "The scan found too few paths to be trusted.");
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_source_file_reaches_a_generated_project_unless_template_json_leaves_it_out_by_name()
    {
        var renames = TemplateJson.Service.Template["sources"]!.AsArray()
            .SelectMany(source => source!["modifiers"]?.AsArray() ?? [])
            .SelectMany(modifier => modifier!["rename"]?.AsObject() ?? [])
            .ToDictionary(rename => rename.Key, rename => (string)rename.Value!);
        var leftOutByName = Strings(TemplateJson.Service.Template["sources"]![0]!["exclude"]).ToHashSet();
        var generated = Variants.SelectMany(variant => GoldenTree.Files(Repo.Golden(variant))).ToHashSet();

        var unreached = SourceFiles()
            .Where(file => !file.StartsWith(".template.config/", StringComparison.Ordinal) && !leftOutByName.Contains(file))
            .Where(file => !generated.Contains(renames.GetValueOrDefault(file, file).Replace("AegisApp", TemplatePack.ProjectName)));

        Assert.Empty(unreached);
    }

    [Fact]
    public void Generated_files_cite_nothing_that_only_this_repository_has()
    {
        // A generated project has no bench/, .ci/ or pack: a comment that cites them sends its reader nowhere.
        string[] repositoryOnly = ["bench/", "RESULTS.md", ".ci/", "Aegis.Templates"];
        var files = Variants.SelectMany(variant => GoldenTree.Files(Repo.Golden(variant)).Select(file => Path.Combine(Repo.Golden(variant), file))).ToList();

        var found = files.SelectMany(file => File.ReadLines(file)
            .Where(line => repositoryOnly.Any(cited => line.Contains(cited, StringComparison.Ordinal)))
            .Select(line => $"{file}: {line.Trim()}"));
        Assert.True(files.Count > 100, "The scan found too few files to be trusted.");
        Assert.Empty(found);
    }

    [Fact]
    public void Files_copied_as_they_are_hold_nothing_the_engine_would_replace()
    {
        var template = TemplateJson.Service.Template;
        var replaced = template["symbols"]!.AsObject()
            .Select(symbol => (string?)symbol.Value!["replaces"]).OfType<string>()
            .Append((string)template["sourceName"]!).ToList();
        var copied = template["sources"]!.AsArray().SelectMany(source => Strings(source!["copyOnly"])).ToList();

        var found = copied.SelectMany(file => File.ReadLines(Path.Combine(Repo.TemplateContent, file))
            .Where(line => Directive().IsMatch(line) || replaced.Any(token => line.Contains(token, StringComparison.Ordinal)))
            .Select(line => $"{file}: {line.Trim()}"));
        Assert.NotEmpty(copied);
        Assert.Empty(found);
    }

    [Fact]
    public void Conditions_speak_one_vocabulary_and_stay_at_a_few_seams()
    {
        var directives = SourceFiles()
            .Where(file => !file.StartsWith(".template.config/", StringComparison.Ordinal))
            .SelectMany(file => File.ReadLines(Path.Combine(Repo.TemplateContent, file)).Select(line => (File: file, Line: line)))
            .Where(line => Directive().IsMatch(line.Line))
            .ToList();

        var foreign = directives
            .SelectMany(d => Directive().Match(d.Line).Groups["condition"].Value.Split(['(', ')', '!', '&', '|', ' '], StringSplitOptions.RemoveEmptyEntries)
                .Where(word => !Conditions.Contains(word)).Select(word => $"{d.File}: {word}"));
        Assert.Empty(foreign);
        // Providers differ by whole files; in Database/ only the provider's call is a seam.
        Assert.DoesNotContain(directives, d => d.File.StartsWith("src/Api/Database/", StringComparison.Ordinal) && d.File != "src/Api/Database/DatabaseExtensions.cs");
        Assert.True(directives.Count <= MostDirectiveLines,
            $"{directives.Count} directive lines (at most {MostDirectiveLines}):\n" +
            string.Join('\n', directives.CountBy(d => d.File).OrderByDescending(c => c.Value).Select(c => $"{c.Value,4} {c.Key}")));
    }

    /// <summary>The template source's files, without build output and local files (bin/, obj/, data/, .env, databases).</summary>
    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Repo.TemplateContent, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(Repo.TemplateContent, file).Replace('\\', '/'))
            .Where(file => !LocalFile().IsMatch(file));

    /// <summary>The files below <paramref name="folders"/> of this repository, without build output, as paths from its root.</summary>
    private static IEnumerable<string> RepositoryFiles(params string[] folders) =>
        folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(Repo.Root, folder), "*", SearchOption.AllDirectories))
            .Select(file => Path.GetRelativePath(Repo.Root, file).Replace('\\', '/'))
            .Where(file => !LocalFile().IsMatch(file));

    private static IEnumerable<string> Strings(JsonNode? array) => array?.AsArray().Select(node => (string)node!) ?? [];

    [GeneratedRegex(@"(^|/)(bin|obj|TestResults|data|\.vs)/|\.(db|db-wal|db-shm|user)$|(^|/)\.env$")]
    private static partial Regex LocalFile();

    [GeneratedRegex(@"/\*\*(/\*)?$")]
    private static partial Regex TrailingGlob();

    [GeneratedRegex(@"^\s*(<!--|//)?#(if|elif|elseif|else|endif)\b\s*(?<condition>[^-]*)")]
    private static partial Regex Directive();
}
