using AegisApp.Api.Infrastructure;

namespace AegisApp.Api.Database;

/// <summary>
/// Reads a SQLite <c>DATABASE_URL</c>: <c>sqlite:///data/app.db</c> is relative to the project root (three slashes),
/// <c>sqlite:////var/lib/app/app.db</c> is absolute (four).
/// </summary>
public static class SqliteUrl
{
    public const string Default = "sqlite:///data/app.db";

    private const string Examples = $"e.g. {Default} (relative to the project root) or sqlite:////var/lib/app/app.db (absolute)";

    /// <summary>The full path of the SQLite file that <paramref name="url"/> names; unset means <see cref="Default"/>.</summary>
    /// <exception cref="StartupException">The URL is malformed or not a SQLite URL; the message says how to fix it.</exception>
    public static string ToFile(string? url, string projectRoot)
    {
        url ??= Default;
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Invalid(url, "it is empty");
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw Invalid(url, "it is not a URL of the form scheme:///path");
        }

        var scheme = url[..schemeEnd];
        if (!scheme.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid(url, $"the scheme '{scheme}' is not supported; this project's database is SQLite");
        }

        // What follows "sqlite://" is "/" + the path, so a relative path has three slashes and an absolute one four.
        var path = url[(schemeEnd + 3)..];
        if (path is "" or "/" || path.EndsWith('/'))
        {
            throw Invalid(url, "it names no database file");
        }

        if (!path.StartsWith('/'))
        {
            throw Invalid(url, "it needs three slashes before a relative path and four before an absolute one");
        }

        path = path[1..];
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(projectRoot, path));
    }

    /// <summary>The error for a SQLite <c>DATABASE_URL</c> with <paramref name="problem"/>.</summary>
    internal static StartupException Invalid(string url, string problem) => DatabaseUrl.Invalid(url, problem, Examples, Default);
}
