namespace Aegis.Database.Tests;

/// <summary>
/// A test that needs the PostgreSQL server named by <c>TEST_DATABASE_URL</c>
/// (e.g. <c>postgresql://postgres@localhost:5432/postgres</c>; each test class gets a database of its own there).
/// Without the variable it is skipped with that reason, except under CI (<c>CI=true</c>), where it runs and fails:
/// a missing server must never pass as a skip.
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

public static class TestServer
{
    public const string Key = "TEST_DATABASE_URL";

    public const string Hint =
        $"start one and set {Key} to a superuser's URL on it, e.g. {Key}=postgresql://postgres@127.0.0.1:5432/postgres";

    public static string? Url => Environment.GetEnvironmentVariable(Key) is { Length: > 0 } url ? url : null;

    public static string? SkipReason =>
        Url is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"Needs a PostgreSQL server: {Hint}"
            : null;
}
