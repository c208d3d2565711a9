using my_project.Api.Infrastructure;
using Microsoft.Data.Sqlite;

namespace my_project.Api.Database;

/// <summary>The SQLite file this service uses, and how every part of it connects to that file.</summary>
public sealed record SqliteDatabase(string File)
{
    private static readonly byte[] Header = "SQLite format 3\0"u8.ToArray();

    // Foreign keys are a connection setting too, but ForeignKeys = true here would run its PRAGMA on every open of a
    // pooled connection (a tenth of a read's time): SqliteConnectionSettings turns them on once per native connection.
    public string ConnectionString { get; } = new SqliteConnectionStringBuilder
    {
        DataSource = File,
        DefaultTimeout = 30, // seconds a command may wait for another connection's lock
    }.ToString();

    /// <summary>Held (shared) by every running instance; <c>make restore</c> takes it exclusively.</summary>
    public string LockFile => File + ".lock";

    public string BackupFolder => Path.Combine(Path.GetDirectoryName(File)!, "backups");

    /// <summary>
    /// The database <c>DATABASE_URL</c> names, after checking that the file can be one; creates its folder.
    /// </summary>
    /// <exception cref="StartupException">The URL, or the file it names, cannot be used; nothing was created.</exception>
    public static SqliteDatabase FromUrl(string? url, string projectRoot)
    {
        var file = SqliteUrl.ToFile(url, projectRoot);
        var folder = Path.GetDirectoryName(file)!;
        url ??= SqliteUrl.Default;
        if (Directory.Exists(file))
        {
            throw SqliteUrl.Invalid(url, $"'{file}' is a folder, not a file");
        }

        for (var ancestor = folder; !string.IsNullOrEmpty(ancestor); ancestor = Path.GetDirectoryName(ancestor))
        {
            if (System.IO.File.Exists(ancestor))
            {
                throw SqliteUrl.Invalid(url, $"'{ancestor}' in its path is a file, not a folder");
            }
        }

        if (System.IO.File.Exists(file) && !IsSqliteOrEmpty(file))
        {
            throw SqliteUrl.Invalid(url, $"'{file}' is not a SQLite database (move it away, or name another file)");
        }

        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw SqliteUrl.Invalid(url, $"its folder '{folder}' cannot be created ({e.Message})");
        }

        return new SqliteDatabase(file);
    }

    private static bool IsSqliteOrEmpty(string file)
    {
        using var stream = System.IO.File.OpenRead(file);
        var start = new byte[Header.Length];
        var read = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        return read == 0 || start.AsSpan(0, read).SequenceEqual(Header);
    }
}
