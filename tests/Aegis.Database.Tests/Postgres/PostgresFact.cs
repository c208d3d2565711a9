using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Database.Tests;

/// <summary>
/// A test that needs a PostgreSQL server (<see cref="TestServer"/>; each test class gets a database of its own there).
/// Without one it is skipped with that reason, except under CI (<c>CI=true</c>), where it runs and fails: a missing
/// server must never pass as a skip.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute() => Skip = TestServer.SkipReason;
}

/// <inheritdoc cref="PostgresFactAttribute"/>
public sealed class PostgresTheoryAttribute : TheoryAttribute
{
    public PostgresTheoryAttribute() => Skip = TestServer.SkipReason;
}

/// <summary>
/// The PostgreSQL server of this test run: the one <c>TEST_DATABASE_URL</c> names, or else a throwaway cluster that the
/// first test to need it starts, and that stops when the run ends (<see cref="PostgresServer"/>, shared with the pack's
/// tests).
/// </summary>
public static class TestServer
{
    public const string Key = "TEST_DATABASE_URL";

    public const string Hint =
        $"install Debian's postgresql package (apt-get install postgresql), or set {Key} to a superuser's URL on a server, e.g. {Key}=postgresql://postgres@127.0.0.1:5432/postgres";

    private static readonly Lazy<PostgresServer?> Server = new(() =>
    {
        if (!PostgresServer.Available)
        {
            return null;
        }

        var server = PostgresServer.StartAsync().GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    });

    public static string? Url => Server.Value?.Url;

    public static string? SkipReason =>
        !PostgresServer.Available && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"Needs a PostgreSQL server: {Hint}"
            : null;
}
