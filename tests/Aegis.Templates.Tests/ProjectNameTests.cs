using System.Text.RegularExpressions;
using System.Xml.Linq;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>Names users really type: each must give a project that builds, passes its tests and has valid names.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed partial class ProjectNameTests(TemplatePack pack)
{
    public static TheoryData<string, string, string> Names => new()
    {
        // name, expected C# namespace root, expected compose name
        { "MyProject", "MyProject", "myproject" },
        { "My.App", "My.App", "my-app" },
        { "my_app", "my_app", "my-app" },
        { "1st-app", "_1st_app", "1st-app" },
        { "Über-Dienst", "Über_Dienst", "ber-dienst" },
        { "inventory-and-fulfilment-service-for-the-northern-warehouses", "inventory_and_fulfilment_service_for_the_northern_warehouses", "inventory-and-fulfilment-service-for-the-northern-warehouses" },
    };

    public static TheoryData<string, string> DatabaseNames => new()
    {
        // name, expected PostgreSQL database name
        { "my-project", "my_project" },
        { "MyProject", "myproject" },
        { "My.App", "my_app" },
        { "1st-app", "db_1st_app" },
        { "Über-Dienst", "ber_dienst" },
        { "Ü", "app" },
        { new string('x', 70), new string('x', 63) },
    };

    [Theory]
    [MemberData(nameof(DatabaseNames))]
    public async Task Name_gives_a_valid_postgres_database_name_everywhere_it_is_written(string name, string database)
    {
        var project = Path.Combine(pack.NewFolder("dbname"), "project");
        await pack.NewAsync(["aegis", "--name", name, "--output", project, "--db-provider", "postgres", "--no-restore"]);

        Assert.Matches(PostgresIdentifier(), database);
        Assert.Contains($"POSTGRES_DB={database}\n", File.ReadAllText(Path.Combine(project, ".env.example")).Replace("\r", ""));
        Assert.Contains($"localhost:5432/{database}\"", File.ReadAllText(Path.Combine(project, "src/Api/appsettings.Development.json")));
        Assert.Contains($"POSTGRES_DB:-{database}}}", File.ReadAllText(Path.Combine(project, "docker-compose.yml")));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Name_gives_a_project_that_builds_passes_its_tests_and_has_valid_paths_and_names(string name, string rootNamespace, string composeName)
    {
        var project = Path.Combine(pack.NewFolder("name"), name);
        await pack.NewAsync(["aegis", "--name", name, "--output", project, "--database", "--no-restore"]);

        Assert.Contains($"<RootNamespace>{rootNamespace}.Api</RootNamespace>", File.ReadAllText(Path.Combine(project, "src/Api/Api.csproj")));
        Assert.Contains($"namespace {rootNamespace}.Api.Database;", File.ReadAllText(Path.Combine(project, "src/Api/Database/DbSession.cs")));
        var solution = XDocument.Load(Path.Combine(project, $"{name}.slnx"));
        Assert.All(solution.Descendants("Project"), p => Assert.True(File.Exists(Path.Combine(project, (string)p.Attribute("Path")!)), $"{p} points nowhere"));
        foreach (var path in MakefilePaths().Matches(File.ReadAllText(Path.Combine(project, "Makefile"))).Select(m => m.Groups[1].Value)
                     .Concat(DockerfilePaths().Matches(File.ReadAllText(Path.Combine(project, "Dockerfile"))).Select(m => m.Groups[1].Value)))
        {
            Assert.True(File.Exists(Path.Combine(project, path)) || Directory.Exists(Path.Combine(project, path)), $"{path} does not exist");
        }

        var compose = (await Shell.RunAsync("docker-compose", ["config"], project)).StandardOutput;
        Assert.Matches(DnsLabel(), composeName);
        Assert.Contains($"container_name: {composeName}", compose);
        Assert.Contains($"image: {composeName}:latest", compose);

        await Shell.RunAsync("dotnet", ["build", "-warnaserror", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(10));
        await Shell.RunAsync("dotnet", ["test", "--no-build", "-nodeReuse:false"], project, timeout: TimeSpan.FromMinutes(5));
    }

    [GeneratedRegex(@"^API := (\S+)$", RegexOptions.Multiline)]
    private static partial Regex MakefilePaths();

    [GeneratedRegex(@"^COPY (?!--from)(\S+) ", RegexOptions.Multiline)]
    private static partial Regex DockerfilePaths();

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PostgresIdentifier();
}
