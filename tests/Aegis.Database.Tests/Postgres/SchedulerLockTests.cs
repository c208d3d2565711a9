using Aegis.Database.PostgreSQL;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aegis.Database.Tests;

public sealed class SchedulerLockTests(PostgresApiFactory factory) : IClassFixture<PostgresApiFactory>
{
    private static readonly TimeSpan Wait = SchedulerLock.RetryInterval * 3;

    [PostgresFact]
    public async Task One_of_two_instances_runs_the_jobs_and_the_other_takes_over_when_its_session_ends()
    {
        // The API alone, so that the service's own scheduler does not hold the lock.
        await using var service = factory.WithSetting(AppRoles.Key, "api");
        var provider = service.Services.GetRequiredService<PostgresProvider>();
        using var stop = new CancellationTokenSource();
        var (first, second) = (new Instance(provider), new Instance(provider));

        var firstRuns = first.RunAsync(stop.Token);
        await first.Running.Task.WaitAsync(Wait);
        var secondRuns = second.RunAsync(stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(second.Running.Task.IsCompleted, "Both instances ran the jobs at once.");

        // As when the holder's process dies: the server ends its session, and the lock with it.
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, connection).ExecuteNonQueryAsync();
        }

        await first.Stopped.Task.WaitAsync(Wait);
        await second.Running.Task.WaitAsync(Wait);
        await stop.CancelAsync();
        await Task.WhenAll(firstRuns, secondRuns).WaitAsync(Wait);
    }

    /// <summary>A scheduler process's lock and jobs: the jobs say when they start, and when they are stopped.</summary>
    private sealed class Instance(PostgresProvider provider)
    {
        public TaskCompletionSource Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task RunAsync(CancellationToken stoppingToken) =>
            new SchedulerLock(provider, NullLogger<SchedulerLock>.Instance).RunWhileHeldAsync(async token =>
            {
                Running.TrySetResult();
                await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => Stopped.TrySetResult(), TaskScheduler.Default);
            }, stoppingToken);
    }
}
