using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>
/// The template's configuration as the CLI, the IDE and NuGet see it: help text, host files, localization, icon and
/// package contents. These catch drift between files that nothing else connects.
/// </summary>
[Collection(TemplatePackCollection.Name)]
public sealed partial class TemplateConfigTests(TemplatePack pack)
{
    private static readonly string ConfigFolder = TemplateJson.ConfigFolder;
    private static readonly JsonNode Template = TemplateJson.Template;
    private static readonly string[] Languages = ["en", "de", "fr", "ja"];

    [Fact]
    public async Task Help_lists_every_option_with_its_choices_and_defaults_as_committed()
    {
        var help = await pack.NewAsync(["aegis", "--help"]);

        await GoldenFile.AssertMatchesAsync("help.txt", help.StandardOutput);
    }

    [Fact]
    public async Task Package_holds_exactly_the_template_readme_and_icon()
    {
        using var package = ZipFile.OpenRead(pack.PackageFile);
        var entries = package.Entries.Select(e => e.FullName)
            .Select(name => PackageMetadata().Replace(name, "package/services/metadata/core-properties/*.psmdcp"))
            .Order(StringComparer.Ordinal);

        await GoldenFile.AssertMatchesAsync("package-files.txt", string.Join('\n', entries) + "\n");
        var nuspec = new StreamReader(package.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open()).ReadToEnd();
        foreach (var element in new[] { "<license type=\"expression\">MIT</license>", "<readme>README.md</readme>", "<icon>icon.png</icon>", "<releaseNotes>", "<tags>dotnet-new templates" })
        {
            Assert.Contains(element, nuspec);
        }

        Assert.DoesNotContain("<dependencies>", nuspec);
    }

    [Fact]
    public void Every_symbol_a_condition_or_a_template_file_uses_exists()
    {
        var symbols = Symbols().Keys.ToHashSet();
        var expressions = new List<(string Where, string Expression)>();
        foreach (var modifier in Template["sources"]!.AsArray().SelectMany(s => s!["modifiers"]?.AsArray() ?? []))
        {
            expressions.Add(("sources.modifiers", (string)modifier!["condition"]!));
        }

        foreach (var (name, symbol) in Symbols().Where(s => (string?)s.Value["type"] == "computed"))
        {
            expressions.Add(($"symbols.{name}", (string)symbol["value"]!));
        }

        foreach (var node in Template["primaryOutputs"]!.AsArray().Concat(Template["postActions"]!.AsArray()))
        {
            if (node!["condition"] is { } condition)
            {
                expressions.Add(("primaryOutputs/postActions", (string)condition!));
            }
        }

        foreach (var file in Directory.EnumerateFiles(Repo.TemplateContent, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".template.config")))
        {
            foreach (Match directive in ContentCondition().Matches(File.ReadAllText(file)))
            {
                expressions.Add((Path.GetRelativePath(Repo.TemplateContent, file), directive.Groups["expression"].Value));
            }
        }

        var unknown = expressions
            .SelectMany(e => Identifier().Matches(StringLiteral().Replace(e.Expression, "")).Select(m => (e.Where, m.Value)))
            .Where(use => !symbols.Contains(use.Value) && use.Value is not ("true" or "false"))
            .ToList();
        Assert.True(expressions.Count > 10, "The scan found too few conditions to be trusted.");
        Assert.Empty(unknown);
    }

    [Fact]
    public void Every_choice_and_parameter_has_a_description()
    {
        foreach (var (name, symbol) in Symbols().Where(s => (string?)s.Value["type"] == "parameter"))
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)symbol["description"]), $"{name} has no description");
            foreach (var choice in symbol["choices"]?.AsArray() ?? [])
            {
                Assert.False(string.IsNullOrWhiteSpace((string?)choice!["description"]), $"{name}/{choice["choice"]} has no description");
            }
        }
    }

    [Fact]
    public void Post_actions_name_primary_outputs_that_exist()
    {
        var outputs = Template["primaryOutputs"]!.AsArray();
        foreach (var output in outputs)
        {
            Assert.True(File.Exists(Path.Combine(Repo.TemplateContent, (string)output!["path"]!)), $"{output["path"]} does not exist");
        }

        foreach (var action in Template["postActions"]!.AsArray().Where(a => a!["args"]?["files"] is not null))
        {
            foreach (var index in ((string)action!["args"]!["files"]!).Split(';').Select(int.Parse))
            {
                Assert.InRange(index, 0, outputs.Count - 1);
            }
        }
    }

    [Fact]
    public void Host_files_name_only_existing_parameters_and_the_ide_lists_all_of_them()
    {
        var parameters = Symbols().Where(s => (string?)s.Value["type"] == "parameter").Select(s => s.Key).ToHashSet();
        var cli = ReadJson("dotnetcli.host.json")["symbolInfo"]!.AsObject();
        var ide = ReadJson("ide.host.json")["symbolInfo"]!.AsArray().Select(s => (string)s!["id"]!).ToHashSet();

        Assert.Subset(parameters, cli.Select(s => s.Key).ToHashSet());
        Assert.Equal(parameters, ide);
        foreach (var (name, info) in cli)
        {
            Assert.Matches("^[a-z]+(-[a-z]+)*$", (string?)info!["longName"]);
        }
    }

    [Fact]
    public void Ide_icon_is_a_png_of_at_least_32_pixels()
    {
        var icon = File.ReadAllBytes(Path.Combine(ConfigFolder, (string)ReadJson("ide.host.json")["icon"]!));

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, icon[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(icon, 12, 4));
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(icon.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(icon.AsSpan(20));
        Assert.True(width >= 32 && height >= 32, $"{width}x{height}");
    }

    [Fact]
    public void Every_user_facing_string_is_localized_in_every_language_and_no_key_is_stale()
    {
        var expected = LocalizableStrings();

        foreach (var language in Languages)
        {
            var strings = ReadJson($"localize/templatestrings.{language}.json").AsObject();
            Assert.Equal(expected.Keys.Order(), strings.Select(s => s.Key).Order());
            Assert.All(strings, s => Assert.False(string.IsNullOrWhiteSpace((string?)s.Value), $"{language}: {s.Key} is empty"));
        }

        var english = ReadJson("localize/templatestrings.en.json").AsObject();
        Assert.All(expected, s => Assert.Equal(s.Value, (string?)english[s.Key]));
    }

    [Fact]
    public async Task A_newer_version_installs_over_an_older_one_and_uninstall_removes_it()
    {
        var hive = pack.NewFolder("upgrade-hive");
        var older = pack.NewFolder("older");
        await Shell.RunAsync("dotnet", ["pack", Repo.PackProject, "--output", older, "-p:Version=0.0.1", "-nologo", "-v", "q"], Repo.Root);
        Task<ShellResult> New(params string[] args) => Shell.RunAsync("dotnet", ["new", .. args, "--debug:custom-hive", hive], pack.WorkRoot);

        // By package id from a folder feed, as users install from NuGet (a .nupkg path installs side by side).
        await New("install", "Aegis.Templates@0.0.1", "--add-source", older);
        var upgrade = await New("install", $"Aegis.Templates@{PackageVersion()}", "--add-source", Path.GetDirectoryName(pack.PackageFile)!);
        Assert.Contains($"Aegis.Templates (version 0.0.1) is already installed, it will be replaced with version {PackageVersion()}", upgrade.StandardOutput);
        Assert.Contains($"Success: Aegis.Templates@{PackageVersion()} installed", upgrade.StandardOutput);
        Assert.DoesNotContain("Warning", upgrade.Output);
        Assert.Contains("aegis", (await New("list", "aegis")).StandardOutput);

        var uninstall = await New("uninstall", "Aegis.Templates");
        Assert.Contains("Success: Aegis.Templates", uninstall.StandardOutput);
        var list = await Shell.RunAsync("dotnet", ["new", "list", "aegis", "--debug:custom-hive", hive], pack.WorkRoot, check: false);
        Assert.DoesNotContain("Aegis service", list.StandardOutput);
    }

    private string PackageVersion() => PackageVersionPattern().Match(Path.GetFileName(pack.PackageFile)).Groups[1].Value;

    private static Dictionary<string, JsonNode> Symbols() =>
        Template["symbols"]!.AsObject().ToDictionary(s => s.Key, s => s.Value!);

    /// <summary>The keys the template engine localizes, with their English text from template.json.</summary>
    private static Dictionary<string, string> LocalizableStrings()
    {
        var strings = new Dictionary<string, string>();
        void Add(string key, JsonNode? value)
        {
            if (value is not null)
            {
                strings[key] = (string)value!;
            }
        }

        Add("author", Template["author"]);
        Add("name", Template["name"]);
        Add("description", Template["description"]);
        foreach (var (name, symbol) in Symbols())
        {
            Add($"symbols/{name}/displayName", symbol["displayName"]);
            Add($"symbols/{name}/description", symbol["description"]);
            foreach (var choice in symbol["choices"]?.AsArray() ?? [])
            {
                Add($"symbols/{name}/choices/{choice!["choice"]}/displayName", choice["displayName"]);
                Add($"symbols/{name}/choices/{choice["choice"]}/description", choice["description"]);
            }
        }

        foreach (var action in Template["postActions"]!.AsArray())
        {
            Add($"postActions/{action!["id"]}/description", action["description"]);
            foreach (var instruction in action["manualInstructions"]!.AsArray())
            {
                Add($"postActions/{action["id"]}/manualInstructions/{instruction!["id"]}/text", instruction["text"]);
            }
        }

        return strings;
    }

    private static JsonNode ReadJson(string relativePath) => TemplateJson.Read(relativePath);

    [GeneratedRegex(@"#(?:if|elif|elseif)\s*\((?<expression>.*)\)")]
    private static partial Regex ContentCondition();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"package/services/metadata/core-properties/[0-9a-f]+\.psmdcp")]
    private static partial Regex PackageMetadata();

    [GeneratedRegex(@"^Aegis\.Templates\.(.+)\.nupkg$")]
    private static partial Regex PackageVersionPattern();
}
