using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// Elects one scheduler among the processes that share the database, so that each scheduled run happens once: the one
/// that holds a PostgreSQL advisory lock runs the jobs, and the others try for it every <see cref="RetryInterval"/>.
/// The lock belongs to a connection of its own, so it ends with the process or its connection, and another instance
/// takes over within seconds (well within one schedule period). A holder whose connection fails stops its jobs.
/// </summary>
internal sealed partial class SchedulerLock(PostgresProvider provider, ILogger<SchedulerLock> logger) : ISchedulerLock
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(10);

    // Any number that nothing else on the server takes advisory locks with (the migrations use the one before it).
    private const long Key = 0x_1A2B_3C4D_5E6F_7082;

    public async Task RunWhileHeldAsync(Func<CancellationToken, Task> jobs, CancellationToken stoppingToken)
    {
        var told = false;
        try
        {
            while (true)
            {
                await using (var connection = await TryAcquireAsync(stoppingToken))
                {
                    if (connection is not null)
                    {
                        await RunWhileHeldAsync(connection, jobs, stoppingToken);
                    }
                    else if (!told)
                    {
                        LogWaiting(provider.DisplayName, RetryInterval.TotalSeconds);
                        told = true;
                    }
                }

                await Task.Delay(RetryInterval, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task RunWhileHeldAsync(NpgsqlConnection connection, Func<CancellationToken, Task> jobs, CancellationToken stoppingToken)
    {
        LogAcquired(provider.DisplayName);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var running = jobs(held.Token);
        while (await Task.WhenAny(running, Task.Delay(RetryInterval, stoppingToken)) != running && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var check = new NpgsqlCommand("SELECT 1", connection);
                await check.ExecuteScalarAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogLost(e, provider.DisplayName);
                await held.CancelAsync();
            }
        }

        await running; // the jobs return once cancelled
    }

    /// <summary>A connection that holds the lock, or null if another process holds it or the server cannot be reached.</summary>
    private async Task<NpgsqlConnection?> TryAcquireAsync(CancellationToken cancellationToken)
    {
        // Unpooled, so the lock is never left on a pooled connection; keepalives notice a server that went away.
        var connection = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(provider.ConnectionString) { Pooling = false, KeepAlive = 10 }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({Key})", connection);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return connection;
            }
        }
        catch (NpgsqlException e)
        {
            LogUnreachable(e, provider.DisplayName);
        }

        await connection.DisposeAsync();
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This instance runs the scheduled jobs: it holds the scheduler lock on {Database}.")]
    private partial void LogAcquired(string database);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Another instance holds the scheduler lock on {Database} and runs the scheduled jobs; this one tries for it every {Seconds} s.")]
    private partial void LogWaiting(string database, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The scheduler lock's connection to {Database} failed; the jobs stop until this instance holds it again.")]
    private partial void LogLost(Exception exception, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The scheduler lock on {Database} cannot be taken: the server cannot be reached.")]
    private partial void LogUnreachable(Exception exception, string database);
}
