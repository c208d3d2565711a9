namespace Aegis.Hosting;

/// <summary>
/// The folder that relative paths, such as the <c>.env</c> file's, are resolved against, so that <c>make serve</c>,
/// <c>dotnet run</c> from any folder, an IDE and <c>dotnet Api.dll</c> all use the same files. The working directory
/// differs between those launchers, so it is never used.
/// </summary>
public static class ProjectRoot
{
    /// <summary>
    /// The nearest folder above the app's binaries that holds a solution file (a source checkout), otherwise the
    /// binaries' own folder (a container's <c>/app</c>, or any published copy).
    /// </summary>
    public static string Path { get; } = Find(AppContext.BaseDirectory) ?? System.IO.Path.GetFullPath(AppContext.BaseDirectory);

    /// <summary>The nearest folder above the app's binaries that holds a solution file, if there is one.</summary>
    public static string? SolutionFolder { get; } = Find(AppContext.BaseDirectory);

    internal static string? Find(string start)
    {
        for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
        {
            if (folder.EnumerateFiles("*.slnx").Any() || folder.EnumerateFiles("*.sln").Any())
            {
                return folder.FullName;
            }
        }

        return null;
    }
}
