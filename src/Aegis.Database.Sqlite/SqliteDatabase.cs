using Microsoft.Data.Sqlite;

namespace Aegis.Database.Sqlite;

/// <summary>
/// The SQLite file this service uses, and how every part of it connects to that file. <c>DATABASE_URL</c>
/// <c>sqlite:///data/app.db</c> is relative to the project root (three slashes), <c>sqlite:////var/lib/app/app.db</c>
/// absolute (four).
/// </summary>
internal sealed record SqliteDatabase(string File)
{
    public const string DefaultUrl = "sqlite:///data/app.db";

    /// <summary>How long a command waits for another connection's lock: SQLite's busy timeout.</summary>
    public const int BusyTimeoutSeconds = 30;

    private const string Examples = $"e.g. {DefaultUrl} (relative to the project root) or sqlite:////var/lib/app/app.db (absolute)";
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    // Foreign keys are a connection setting too, but ForeignKeys = true here would run its PRAGMA on every open of a
    // pooled connection (a tenth of a read's time): SqliteProvider turns them on once per native connection.
    public string ConnectionString { get; } = new SqliteConnectionStringBuilder
    {
        DataSource = File,
        DefaultTimeout = BusyTimeoutSeconds,
    }.ToString();

    /// <summary>Held (shared) by every running instance; <c>make restore</c> takes it exclusively.</summary>
    public string LockFile => File + ".lock";

    public string BackupFolder => Path.Combine(Path.GetDirectoryName(File)!, "backups");

    /// <summary>The database <c>DATABASE_URL</c> names, after checking that the file can be one; creates its folder.</summary>
    /// <exception cref="StartupException">The URL, or the file it names, cannot be used; nothing was created.</exception>
    public static SqliteDatabase FromUrl(string? url, string projectRoot)
    {
        var file = FileOf(url, projectRoot);
        var folder = Path.GetDirectoryName(file)!;
        url = string.IsNullOrWhiteSpace(url) ? DefaultUrl : url;
        if (Directory.Exists(file))
        {
            throw Invalid(url, $"'{file}' is a folder, not a file");
        }

        for (var ancestor = folder; !string.IsNullOrEmpty(ancestor); ancestor = Path.GetDirectoryName(ancestor))
        {
            if (System.IO.File.Exists(ancestor))
            {
                throw Invalid(url, $"'{ancestor}' in its path is a file, not a folder");
            }
        }

        if (System.IO.File.Exists(file) && !IsSqliteOrEmpty(file))
        {
            throw Invalid(url, $"'{file}' is not a SQLite database (move it away, or name another file)");
        }

        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Invalid(url, $"its folder '{folder}' cannot be created ({e.Message})");
        }

        return new SqliteDatabase(file);
    }

    /// <summary>The database of a context the application configured itself, from its connection string.</summary>
    /// <exception cref="StartupException">The connection string names no file (an in-memory database has no backups).</exception>
    public static SqliteDatabase FromConnectionString(string? connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return file is "" or ":memory:" || file.StartsWith("file::memory:", StringComparison.Ordinal)
            ? throw new StartupException($"The SQLite database of '{connectionString}' is not a file: the database component needs one.")
            : new SqliteDatabase(Path.GetFullPath(file));
    }

    /// <summary>The full path of the SQLite file that <paramref name="url"/> names; unset or empty means <see cref="DefaultUrl"/>.</summary>
    /// <exception cref="StartupException">The URL is malformed or not a SQLite URL; the message says how to fix it.</exception>
    public static string FileOf(string? url, string projectRoot)
    {
        url = string.IsNullOrWhiteSpace(url) ? DefaultUrl : url;
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var scheme = schemeEnd > 0 ? url[..schemeEnd] : "";
        var path = schemeEnd > 0 ? url[(schemeEnd + 3)..] : ""; // "/" + the path: three slashes for a relative one, four for absolute
        var problem = schemeEnd <= 0 ? "it is not a URL of the form scheme:///path"
            : !scheme.Equals("sqlite", StringComparison.OrdinalIgnoreCase) ? $"the scheme '{scheme}' is not supported; this project's database is SQLite"
            : path is "" or "/" || path.EndsWith('/') ? "it names no database file"
            : !path.StartsWith('/') ? "it needs three slashes before a relative path and four before an absolute one"
            : null;
        return problem is not null ? throw Invalid(url, problem) : Path.GetFullPath(Path.Combine(projectRoot, path[1..]));
    }

    private static StartupException Invalid(string url, string problem) => DatabaseUrl.Invalid(url, problem, Examples, DefaultUrl);

    private static bool IsSqliteOrEmpty(string file)
    {
        using var stream = System.IO.File.OpenRead(file);
        var start = new byte[Header.Length];
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        return read == 0 || start.AsSpan(0, read).SequenceEqual(Header);
    }
}
