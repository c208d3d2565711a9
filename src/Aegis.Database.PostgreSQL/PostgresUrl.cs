using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// Reads a PostgreSQL <c>DATABASE_URL</c>: <c>postgresql://user:password@host:5432/database?sslmode=require</c>
/// (<c>postgres://</c> too).
/// </summary>
public static class PostgresUrl
{
    private const string Examples = "e.g. postgresql://user:password@db.example.com:5432/app?sslmode=require";

    /// <summary>
    /// The Npgsql connection string for <paramref name="url"/>. User and password may be percent-encoded; query options
    /// are Npgsql's connection string keywords or libpq's names for them (<c>sslmode</c>, <c>application_name</c>, …).
    /// </summary>
    /// <param name="url">The URL, as <c>DATABASE_URL</c> holds it.</param>
    /// <returns>The connection string.</returns>
    /// <exception cref="StartupException">The URL is unset, malformed or not a PostgreSQL URL; the message says how to fix it.</exception>
    public static string ToConnectionString(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new StartupException(
                $"{DatabaseUrl.Key} is not set. Set it to the PostgreSQL server and database to use, {Examples} " +
                "(in Development, appsettings.Development.json names the compose file's server).");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !url.Contains("://", StringComparison.Ordinal))
        {
            throw Invalid(url, "it is not a URL of the form postgresql://user:password@host:5432/database");
        }

        if (uri.Scheme is not ("postgresql" or "postgres"))
        {
            throw Invalid(url, $"the scheme '{uri.Scheme}' is not supported; this project's database is PostgreSQL");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (uri.IdnHost is "" || database is "" || database.Contains('/'))
        {
            throw Invalid(url, "it needs a host and a database name: postgresql://user:password@host:5432/database");
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = uri.IdnHost,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = database,
            Username = userInfo[0] is "" ? null : Uri.UnescapeDataString(userInfo[0]),
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
        };
        foreach (var option in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = option.Split('=', 2) switch
            {
                [var k, var v] => (Uri.UnescapeDataString(k), Uri.UnescapeDataString(v)),
                [var k] => (Uri.UnescapeDataString(k), ""),
                _ => ("", ""),
            };
            try
            {
                connection[key.Replace("_", "", StringComparison.Ordinal)] = value; // libpq's sslmode is Npgsql's SslMode
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                // Neither the value nor Npgsql's message is echoed: the option may be a password.
                throw Invalid(url, $"'{key}' is not a connection option Npgsql knows, or its value is not valid for it");
            }
        }

        return connection.ConnectionString;
    }

    /// <summary>
    /// Whether <paramref name="password"/> is one of the example passwords of the generated <c>.env.example</c>, which
    /// anyone can read: a service outside Development refuses to start with one.
    /// </summary>
    internal static bool IsExamplePassword(string? password) => password is "example-app-password" or "example-admin-password";

    private static StartupException Invalid(string url, string problem) => DatabaseUrl.Invalid(url, problem, Examples, defaultUrl: null);
}
