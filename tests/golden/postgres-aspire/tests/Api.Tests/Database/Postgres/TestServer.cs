using DotNet.Testcontainers.Builders;
using Testcontainers.PostgreSql;

namespace my_project.Api.Tests;

/// <summary>
/// The PostgreSQL server of this test run: the one <c>TEST_DATABASE_URL</c> names (a superuser's URL, e.g.
/// <c>postgresql://postgres:postgres@localhost:5432/postgres</c>), or else a throwaway container that the first test
/// needing it starts and the end of the run removes. Each <see cref="ApiFactory"/> makes a database of its own there.
/// </summary>
public static class TestServer
{
    public const string Key = "TEST_DATABASE_URL";

    // The major that docker-compose.yml runs.
    private const string Image = "postgres:17";

    private static readonly Lazy<string> url = new(() => Environment.GetEnvironmentVariable(Key) is { Length: > 0 } set ? set : Start());

    /// <summary>The server's URL. Throws, failing the test, when there is neither <c>TEST_DATABASE_URL</c> nor Docker or Podman.</summary>
    public static string Url => url.Value;

    private static string Start()
    {
        PostgreSqlContainer container;
        try
        {
            container = new PostgreSqlBuilder(Image).Build();
        }
        catch (DockerUnavailableException)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server to test against: set {Key} to a superuser's URL (e.g. {Key}=postgresql://postgres:postgres@localhost:5432/postgres), " +
                "or start Docker or Podman (with DOCKER_HOST naming its socket) so that the tests can start one.");
        }

        // Testcontainers' reaper (Ryuk) removes it too, unless turned off (TESTCONTAINERS_RYUK_DISABLED=true).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
        // WebApplicationFactory starts the service synchronously, and so this runs synchronously too.
        Task.Run(() => container.StartAsync()).GetAwaiter().GetResult();
        return $"postgresql://{PostgreSqlBuilder.DefaultUsername}:{PostgreSqlBuilder.DefaultPassword}@{container.Hostname}:" +
            $"{container.GetMappedPublicPort(PostgreSqlBuilder.PostgreSqlPort)}/{PostgreSqlBuilder.DefaultDatabase}";
    }
}
