using System.Net;
using System.Net.Sockets;
using CliWrap;
using CliWrap.Buffered;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the postgres tests run against: the one <c>TEST_DATABASE_URL</c> names, or else a throwaway
/// cluster of Debian's <c>postgresql</c> package (initdb + pg_ctl in a temporary folder, 127.0.0.1 on a free port,
/// trust authentication, stopped and deleted at the end). As root, the cluster runs as the <c>postgres</c> user,
/// since PostgreSQL refuses to run as root. Self-contained, so that the library's tests share it as linked source.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string? folder;
    private readonly string? binaries;

    // PostgreSQL refuses to run as root: then its programs run as the postgres user.
    private static bool AsRoot => System.Environment.UserName == "root";

    private PostgresServer(string url, string? folder = null, string? binaries = null)
    {
        Url = url;
        this.folder = folder;
        this.binaries = binaries;
    }

    /// <summary>A superuser's URL on the server's <c>postgres</c> database, e.g. postgresql://postgres@127.0.0.1:5433/postgres.</summary>
    public string Url { get; }

    /// <summary>The URL of database <paramref name="name"/> on this server.</summary>
    public string UrlOf(string name) => new UriBuilder(Url) { Path = "/" + name }.Uri.AbsoluteUri;

    public static async Task<PostgresServer> StartAsync()
    {
        if (System.Environment.GetEnvironmentVariable("TEST_DATABASE_URL") is { Length: > 0 } url)
        {
            return new PostgresServer(url);
        }

        var binaries = FindBinaries() ?? throw new InvalidOperationException(
            "The PostgreSQL tests need a server: install Debian's postgresql package (apt-get install postgresql), " +
            "or set TEST_DATABASE_URL to a superuser's URL on an existing server.");
        var folder = Directory.CreateTempSubdirectory("aegis-postgres-").FullName;
        if (AsRoot)
        {
            await RunAsync("chown", ["postgres:postgres", folder], folder);
        }

        var port = FreePort();
        var server = new PostgresServer($"postgresql://postgres@127.0.0.1:{port}/postgres", folder, binaries);
        await server.RunAsync("initdb", "-D", Path.Combine(folder, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        await server.RunAsync("pg_ctl", "-D", Path.Combine(folder, "data"), "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=300 -c fsync=off", "start");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (folder is null)
        {
            return;
        }

        await RunAsync("pg_ctl", "-D", Path.Combine(folder, "data"), "-m", "immediate", "-w", "-t", "60", "stop");
        Directory.Delete(folder, recursive: true);
    }

    private Task RunAsync(string program, params string[] arguments)
    {
        var path = Path.Combine(binaries!, program);
        return AsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], folder!) : RunAsync(path, arguments, folder!);
    }

    private static async Task RunAsync(string program, string[] arguments, string workingDirectory)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await Cli.Wrap(program).WithArguments(arguments).WithWorkingDirectory(workingDirectory)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(timeout.Token);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{program} {string.Join(' ', arguments)}` exited {result.ExitCode}:\n{result.StandardOutput}{result.StandardError}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether <see cref="StartAsync"/> has a server to give: TEST_DATABASE_URL, or PostgreSQL's programs.</summary>
    public static bool Available => System.Environment.GetEnvironmentVariable("TEST_DATABASE_URL") is { Length: > 0 } || FindBinaries() is not null;

    // Debian keeps the server's programs off PATH, in /usr/lib/postgresql/<major>/bin; the newest major wins.
    private static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(major => Path.Combine(major, "bin"))
                .Where(bin => File.Exists(Path.Combine(bin, "pg_ctl")))
                .OrderByDescending(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var major) ? major : 0)
                .FirstOrDefault()
            : null;
}
