namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>Paths in this repository, found from the test binaries upwards.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PackProject => Path.Combine(Root, "Aegis.Templates.csproj");

    /// <summary>The library's packages, which generated database projects reference, dependencies first.</summary>
    public static IEnumerable<string> LibraryProjects =>
        new[] { "Aegis.Hosting", "Aegis.Database", "Aegis.Database.Sqlite", "Aegis.Database.PostgreSQL" }.Select(name => Path.Combine(Root, "src", name, name + ".csproj"));

    public static string TemplateContent => Path.Combine(Root, "content", "aegis");

    public static string Golden(string scenario) => Path.Combine(Root, "tests", "golden", scenario);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Aegis.Templates.csproj")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Aegis.Templates.csproj above {AppContext.BaseDirectory}.");
    }
}
