using System.Text.RegularExpressions;
using my_project.Api.Infrastructure;

namespace my_project.Api.Database;

/// <summary>
/// Reads <c>DATABASE_URL</c>, the database's one setting, in aegis-stack's form: <c>sqlite:///data/app.db</c> is
/// relative to the project root (three slashes), <c>sqlite:////var/lib/app/app.db</c> is absolute (four).
/// </summary>
public static partial class DatabaseUrl
{
    public const string Key = "DATABASE_URL";
    public const string Default = "sqlite:///data/app.db";

    private const string Examples = $"e.g. {Default} (relative to the project root) or sqlite:////var/lib/app/app.db (absolute)";

    /// <summary>The full path of the SQLite file that <paramref name="url"/> names; unset means <see cref="Default"/>.</summary>
    /// <exception cref="StartupException">The URL is malformed or not a SQLite URL; the message says how to fix it.</exception>
    public static string ToSqliteFile(string? url, string projectRoot)
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

    /// <summary>The error for a <c>DATABASE_URL</c> with <paramref name="problem"/>, with an example of a valid value.</summary>
    internal static StartupException Invalid(string url, string problem) => new(
        $"{Key} '{Redact(url)}' is not valid: {problem}. Set it to {Examples}, or leave it unset for {Default}.");

    // Never echo a password: scheme://user:secret@host → scheme://user:***@host, and ?password=secret → ?password=***.
    private static string Redact(string url) => QueryPassword().Replace(Password().Replace(url, "$1***@"), "$1***");

    [GeneratedRegex("(://[^/@:]*:)[^/@]*@")]
    private static partial Regex Password();

    [GeneratedRegex("([?&]password=)[^&]*", RegexOptions.IgnoreCase)]
    private static partial Regex QueryPassword();
}
