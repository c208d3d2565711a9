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
    private static readonly string[] Languages = ["en", "de", "fr", "ja"];

    [Theory]
    [InlineData("aegis", "help.txt")]
    [InlineData("aegis-entity", "entity-help.txt")]
    public async Task Help_lists_every_option_with_its_choices_and_defaults_as_committed(string shortName, string golden)
    {
        var help = await pack.NewAsync([shortName, "--help"]);

        await GoldenFile.AssertMatchesAsync(golden, help.StandardOutput);
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

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Every_symbol_a_condition_or_a_template_file_uses_exists(string folder)
    {
        var template = new TemplateJson(folder);
        var symbols = Symbols(template).Keys.ToHashSet();
        var expressions = new List<(string Where, string Expression)>();
        foreach (var modifier in template.Template["sources"]!.AsArray().SelectMany(s => s!["modifiers"]?.AsArray() ?? []))
        {
            expressions.Add(("sources.modifiers", (string)modifier!["condition"]!));
        }

        foreach (var (name, symbol) in Symbols(template).Where(s => (string?)s.Value["type"] == "computed"))
        {
            expressions.Add(($"symbols.{name}", (string)symbol["value"]!));
        }

        foreach (var node in (template.Template["primaryOutputs"]?.AsArray() ?? []).Concat(template.Template["postActions"]!.AsArray()))
        {
            if (node!["condition"] is { } condition)
            {
                expressions.Add(("primaryOutputs/postActions", (string)condition!));
            }
        }

        foreach (var file in Directory.EnumerateFiles(template.Content, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".template.config")))
        {
            foreach (Match directive in ContentCondition().Matches(File.ReadAllText(file)))
            {
                expressions.Add((Path.GetRelativePath(template.Content, file), directive.Groups["expression"].Value));
            }
        }

        var unknown = expressions
            .SelectMany(e => Identifier().Matches(StringLiteral().Replace(e.Expression, "")).Select(m => (e.Where, m.Value)))
            .Where(use => !symbols.Contains(use.Value) && use.Value is not ("true" or "false" or "name")) // name: the engine's own
            .ToList();
        Assert.True(expressions.Count > 5, "The scan found too few conditions to be trusted.");
        Assert.Empty(unknown);
    }

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Every_choice_and_parameter_has_a_description(string folder)
    {
        var template = new TemplateJson(folder);
        foreach (var (name, symbol) in Symbols(template).Where(s => (string?)s.Value["type"] == "parameter"))
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)symbol["description"]), $"{name} has no description");
            foreach (var choice in symbol["choices"]?.AsArray() ?? [])
            {
                Assert.False(string.IsNullOrWhiteSpace((string?)choice!["description"]), $"{name}/{choice["choice"]} has no description");
            }
        }
    }

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Post_actions_name_primary_outputs_that_exist(string folder)
    {
        var template = new TemplateJson(folder);
        var outputs = template.Template["primaryOutputs"]?.AsArray() ?? [];
        foreach (var output in outputs)
        {
            Assert.True(File.Exists(Path.Combine(template.Content, (string)output!["path"]!)), $"{output["path"]} does not exist");
        }

        foreach (var action in template.Template["postActions"]!.AsArray().Where(a => a!["args"]?["files"] is not null))
        {
            foreach (var index in ((string)action!["args"]!["files"]!).Split(';').Select(int.Parse))
            {
                Assert.InRange(index, 0, outputs.Count - 1);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Host_files_name_only_existing_parameters_and_the_ide_lists_all_of_them(string folder)
    {
        var template = new TemplateJson(folder);
        var parameters = Symbols(template).Where(s => (string?)s.Value["type"] == "parameter").Select(s => s.Key).ToHashSet();
        var cli = template.Read("dotnetcli.host.json")["symbolInfo"]!.AsObject();
        var ide = template.Read("ide.host.json")["symbolInfo"]!.AsArray().Select(s => (string)s!["id"]!).ToHashSet();

        Assert.Subset(parameters, cli.Select(s => s.Key).ToHashSet());
        Assert.Equal(parameters, ide);
        foreach (var (name, info) in cli)
        {
            Assert.Matches("^[a-z]+(-[a-z]+)*$", (string?)info!["longName"]);
        }
    }

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Ide_icon_is_a_png_of_at_least_32_pixels(string folder)
    {
        var template = new TemplateJson(folder);
        var icon = File.ReadAllBytes(Path.Combine(template.ConfigFolder, (string)template.Read("ide.host.json")["icon"]!));

        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, icon[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(icon, 12, 4));
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(icon.AsSpan(16));
        var height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(icon.AsSpan(20));
        Assert.True(width >= 32 && height >= 32, $"{width}x{height}");
    }

    [Theory]
    [MemberData(nameof(TemplateJson.Folders), MemberType = typeof(TemplateJson))]
    public void Every_user_facing_string_is_localized_in_every_language_and_no_key_is_stale(string folder)
    {
        var template = new TemplateJson(folder);
        var expected = LocalizableStrings(template);

        foreach (var language in Languages)
        {
            var strings = template.Read($"localize/templatestrings.{language}.json").AsObject();
            Assert.Equal(expected.Keys.Order(), strings.Select(s => s.Key).Order());
            Assert.All(strings, s => Assert.False(string.IsNullOrWhiteSpace((string?)s.Value), $"{language}: {s.Key} is empty"));
        }

        var english = template.Read("localize/templatestrings.en.json").AsObject();
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

    private static Dictionary<string, JsonNode> Symbols(TemplateJson template) =>
        template.Template["symbols"]!.AsObject().ToDictionary(s => s.Key, s => s.Value!);

    /// <summary>The keys the template engine localizes, with their English text from template.json.</summary>
    private static Dictionary<string, string> LocalizableStrings(TemplateJson template)
    {
        var strings = new Dictionary<string, string>();
        void Add(string key, JsonNode? value)
        {
            if (value is not null)
            {
                strings[key] = (string)value!;
            }
        }

        Add("author", template.Template["author"]);
        Add("name", template.Template["name"]);
        Add("description", template.Template["description"]);
        foreach (var (name, symbol) in Symbols(template))
        {
            Add($"symbols/{name}/displayName", symbol["displayName"]);
            Add($"symbols/{name}/description", symbol["description"]);
            foreach (var choice in symbol["choices"]?.AsArray() ?? [])
            {
                Add($"symbols/{name}/choices/{choice!["choice"]}/displayName", choice["displayName"]);
                Add($"symbols/{name}/choices/{choice["choice"]}/description", choice["description"]);
            }
        }

        foreach (var action in template.Template["postActions"]!.AsArray())
        {
            Add($"postActions/{action!["id"]}/description", action["description"]);
            foreach (var instruction in action["manualInstructions"]!.AsArray())
            {
                Add($"postActions/{action["id"]}/manualInstructions/{instruction!["id"]}/text", instruction["text"]);
            }
        }

        return strings;
    }

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
