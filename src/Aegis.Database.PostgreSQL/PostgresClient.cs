using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// PostgreSQL's own client programs, <c>pg_dump</c> and <c>pg_restore</c>, run on the database of a connection string.
/// They must be of the server's major version or newer: the image installs them (the Dockerfile's POSTGRES_MAJOR); on
/// this machine, install your server's (<c>apt-get install postgresql-client-17</c>). The password reaches them in
/// <c>PGPASSWORD</c>, never on a command line that <c>ps</c> shows.
/// </summary>
internal static class PostgresClient
{
    /// <summary>Runs <paramref name="program"/>; its standard output goes to <paramref name="output"/> if given.</summary>
    /// <exception cref="InvalidOperationException">It is not installed, or it failed: what it printed.</exception>
    /// <exception cref="OperationCanceledException">Cancelled: the program was killed.</exception>
    public static async Task RunAsync(
        string program, string connectionString, IEnumerable<string> arguments, Stream? output, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = output is not null, RedirectStandardError = true };
        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = connection.Username;
        start.Environment["PGPASSWORD"] = connection.Password;
        start.Environment["PGDATABASE"] = connection.Database;
        start.Environment["PGSSLMODE"] = connection.SslMode switch
        {
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            var mode => mode.ToString().ToLowerInvariant(),
        };

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{program} cannot be run ({e.Message}): install PostgreSQL's client programs of the server's major version " +
                "(apt-get install postgresql-client-17), or put them on PATH.", e);
        }

        using (process)
        {
            // If this process is killed instead, the program's output pipe breaks, and it stops at its next write.
            await using var kill = cancellationToken.Register(() => Kill(process));
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            if (output is not null)
            {
                await process.StandardOutput.BaseStream.CopyToAsync(output, CancellationToken.None);
            }

            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{program} failed (exit code {process.ExitCode}): {(await errors).Trim()}");
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it had exited
        }
    }
}
