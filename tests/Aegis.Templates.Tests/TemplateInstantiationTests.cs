using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>What <c>dotnet new</c> does with each option set, checked against the committed golden trees.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class TemplateInstantiationTests(TemplatePack pack)
{
    public static TheoryData<string, string[]> OptionSets => new()
    {
        { "default", [] },
        { "sqlite", ["--database"] },
        { "sqlite", ["--db-provider", "sqlite"] },
        { "sqlite", ["--database", "--db-provider", "sqlite"] },
        { "postgres", ["--db-provider", "postgres"] },
        { "postgres", ["--database", "--db-provider", "postgres"] },
        { "sqlite-aspire", ["--database", "--aspire"] },
        { "postgres-aspire", ["--db-provider", "postgres", "--aspire"] },
    };

    [Fact]
    public void Install_lists_the_template_and_prints_no_warnings()
    {
        Assert.Contains("aegis", pack.Install.StandardOutput);
        Assert.DoesNotContain("warn", pack.Install.Output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", pack.Install.StandardError.Trim());
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public async Task Generated_tree_matches_its_golden_copy(string golden, string[] options)
    {
        var project = await pack.GenerateAsync(options);

        await GoldenTree.AssertMatchesAsync(golden, project);
    }

    [Fact]
    public async Task Database_alone_means_sqlite()
    {
        // Guards the headline command against an SDK change to how a valueless option is read (see template.json).
        var project = await pack.GenerateAsync("--database");

        Assert.True(File.Exists(Path.Combine(project, "src/Api/Database/AppDbContext.cs")));
        Assert.Contains("Aegis.Database.Sqlite", File.ReadAllText(Path.Combine(project, "src/Api/Api.csproj")));
    }

    [Fact]
    public async Task Without_options_there_is_no_database_anywhere()
    {
        var project = await pack.GenerateAsync();

        foreach (var file in GoldenTree.Files(project))
        {
            var text = File.ReadAllText(Path.Combine(project, file));
            Assert.DoesNotContain("EntityFrameworkCore", text);
            Assert.DoesNotContain("DATABASE_URL", text);
            Assert.DoesNotContain("data/", text);
            Assert.DoesNotContain("sqlite", text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.False(Directory.Exists(Path.Combine(project, "src/Api/Database")));
        Assert.False(Directory.Exists(Path.Combine(project, ".config")));
    }

    [Fact]
    public async Task Unknown_provider_fails_listing_the_valid_ones_and_writes_nothing()
    {
        var output = Path.Combine(pack.WorkRoot, "bad-provider");

        var result = await pack.NewAsync(["aegis", "--name", "bad", "--output", output, "--db-provider", "mysql"], check: false);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("'mysql' is not a valid value for --db-provider", result.Output);
        Assert.Contains("sqlite", result.Output);
        Assert.False(Directory.Exists(output), $"{output} was created");
    }

    [Fact]
    public async Task Hyphenated_name_gives_a_valid_namespace_and_file_names_as_typed()
    {
        var project = await pack.GenerateAsync("--database");

        Assert.True(File.Exists(Path.Combine(project, "my-project.slnx")));
        Assert.Contains("namespace my_project.Api.Database;", File.ReadAllText(Path.Combine(project, "src/Api/Database/DbSession.cs")));
        Assert.Contains("image: my-project:latest", File.ReadAllText(Path.Combine(project, "docker-compose.yml")));
    }
}
