using Cronos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Aegis.Database.Tests;

public sealed class SchedulerTests
{
    private static readonly DateTimeOffset JustBeforeThree = new(2026, 1, 1, 2, 59, 59, TimeSpan.Zero);

    // Each run's scope comes from here.
    private static readonly IServiceScopeFactory Scopes =
        new ServiceCollection().AddScoped<RunScoped>().BuildServiceProvider().GetRequiredService<IServiceScopeFactory>();

    [Fact]
    public async Task Jobs_run_at_their_cron_times_and_a_failing_run_neither_stops_the_job_nor_the_others()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var counting = new RecordingJob("counting", "0 3 * * *");
        var failing = new RecordingJob("failing", "0 3 * * *", failures: int.MaxValue);
        using var scheduler = new Scheduler([counting, failing], time, logger, Scopes);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => logger.Collector.GetSnapshot().Count(r => r.Message.Contains("next runs at")) == 2);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => counting.Runs == 1 && failing.Runs == 1);
        await AdvanceUntilAsync(time, TimeSpan.FromDays(1), () => counting.Runs == 2 && failing.Runs == 2);
        await scheduler.StopAsync(CancellationToken.None);

        var log = logger.Collector.GetSnapshot();
        Assert.Equal("Scheduler started with 2 job(s): counting, failing.", log[0].Message);
        Assert.Contains(log, r => r.Level == LogLevel.Error && r.Message.StartsWith("Job failing failed") && r.Exception is TimeoutException);
        Assert.Contains(log, r => r.Level == LogLevel.Information && r.Message.StartsWith("Job counting succeeded in"));
        Assert.Contains(log, r => r.Message == "Job counting next runs at 2026-01-02 03:00:00Z.");
    }

    [Fact]
    public async Task A_failed_run_is_tried_again_after_1_5_and_15_minutes_then_at_its_next_time()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var failing = new RecordingJob("failing", "0 3 * * *", failures: int.MaxValue);
        using var scheduler = new Scheduler([failing], time, logger, Scopes);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Count(logger, "next runs at") == 1);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => failing.Runs == 1 && Count(logger, "runs again in") == 1);
        await AdvanceUntilAsync(time, TimeSpan.FromMinutes(1), () => failing.Runs == 2 && Count(logger, "runs again in") == 2);
        await AdvanceUntilAsync(time, TimeSpan.FromMinutes(5), () => failing.Runs == 3 && Count(logger, "runs again in") == 3);
        await AdvanceUntilAsync(time, TimeSpan.FromMinutes(15), () => failing.Runs == 4 && Count(logger, "next runs at") == 2);
        time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(100);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal(4, failing.Runs);
        var log = logger.Collector.GetSnapshot().Select(r => r.Message).ToList();
        Assert.Equal(
            ["Job failing runs again in 1 min (retry 1 of 3).", "Job failing runs again in 5 min (retry 2 of 3).", "Job failing runs again in 15 min (retry 3 of 3)."],
            log.Where(m => m.Contains("runs again in")));
        Assert.Equal(4, log.Count(m => m.StartsWith("Job failing failed after")));
        Assert.Equal("Job failing next runs at 2026-01-02 03:00:00Z.", log.Last(m => m.Contains("next runs at")));
    }

    [Fact]
    public async Task A_retry_that_succeeds_returns_the_job_to_its_schedule()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var flaky = new RecordingJob("flaky", "0 3 * * *", failures: 1);
        using var scheduler = new Scheduler([flaky], time, logger, Scopes);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Count(logger, "next runs at") == 1);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => flaky.Runs == 1 && Count(logger, "runs again in") == 1);
        await AdvanceUntilAsync(time, TimeSpan.FromMinutes(1), () => flaky.Runs == 2 && Count(logger, "next runs at") == 2);
        await scheduler.StopAsync(CancellationToken.None);

        var log = logger.Collector.GetSnapshot();
        Assert.Contains(log, r => r.Message.StartsWith("Job flaky succeeded in"));
        Assert.Equal("Job flaky next runs at 2026-01-02 03:00:00Z.", log.Last(r => r.Message.Contains("next runs at")).Message);
    }

    [Fact]
    public async Task No_retry_is_made_when_the_next_scheduled_run_comes_first()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var everyMinute = new RecordingJob("every-minute", "* * * * *", failures: int.MaxValue);
        using var scheduler = new Scheduler([everyMinute], time, logger, Scopes);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Count(logger, "next runs at") == 1);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => everyMinute.Runs == 1 && Count(logger, "next runs at") == 2);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal(0, Count(logger, "runs again in"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ALL")]
    [InlineData(" all ")]
    public void All_is_the_default_role(string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(AppRoles.Key, value)]).Build();

        Assert.Equal(AppRole.All, configuration.GetAppRole());
    }

    [Fact]
    public void An_unknown_role_fails_naming_the_valid_ones()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(AppRoles.Key, "worker")]).Build();

        var error = Assert.Throws<StartupException>(() => (object)configuration.GetAppRole());

        // SQLite's project has two roles more, backup and restore.
        Assert.StartsWith("APP_ROLE 'worker' is not a role. Set it to one of all, api, scheduler, migrate", error.Message);
        Assert.EndsWith("; unset means all (the API and the scheduler in one process).", error.Message);
        var number = new ConfigurationBuilder().AddInMemoryCollection([new(AppRoles.Key, "1")]).Build();
        Assert.Throws<StartupException>(() => (object)number.GetAppRole()); // a role is named, never numbered
    }

    [Fact]
    public async Task Each_run_has_a_scope_of_its_own_disposed_when_it_ends()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var job = new RecordingJob("scoped", "0 3 * * *");
        using var scheduler = new Scheduler([job], time, logger, Scopes);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Count(logger, "next runs at") == 1);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => job.Runs == 1 && Count(logger, "next runs at") == 2);
        await AdvanceUntilAsync(time, TimeSpan.FromDays(1), () => job.Runs == 2 && Count(logger, "next runs at") == 3);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal(2, job.Scoped.Distinct().Count());
        Assert.All(job.Scoped, scoped => Assert.True(scoped.Disposed, "A run's scope outlived the run."));
    }

    // Moves fake time forward by step, then a second at a time until the jobs have done what is expected (30 s at
    // most): on a busy machine the scheduler may set its next timer only after the first move, which must still fire.
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> done)
    {
        time.Advance(step);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "The scheduler did not get there within 30 s.");
            await Task.Delay(20);
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    private static int Count(FakeLogger<Scheduler> logger, string text) =>
        logger.Collector.GetSnapshot().Count(r => r.Message.Contains(text));

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "The scheduler did not get there within 30 s.");
            await Task.Delay(10);
        }
    }

    /// <summary>A job whose first <paramref name="failures"/> runs throw.</summary>
    [Fact]
    public async Task A_run_another_process_claimed_is_left_to_it_and_a_claim_that_fails_is_tried_again_like_a_failed_run()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var job = new RecordingJob("claimed", "0 3 * * *");
        var claims = new ScriptedClaims(false, new InvalidOperationException("the server went away"), true); // elsewhere, then a failure, then ours
        using var scheduler = new Scheduler([job], time, logger, Scopes, claims);
        await scheduler.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => Count(logger, "next runs at") == 1);

        await AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), () => Count(logger, "is another instance's") == 1 && Count(logger, "next runs at") == 2);
        await AdvanceUntilAsync(time, TimeSpan.FromDays(1), () => Count(logger, "could not be claimed") == 1);
        await AdvanceUntilAsync(time, TimeSpan.FromMinutes(1), () => job.Runs == 1);
        await scheduler.StopAsync(CancellationToken.None);

        Assert.Equal(
            [("claimed", JustBeforeThree.AddSeconds(1)), ("claimed", JustBeforeThree.AddSeconds(1).AddDays(1)), ("claimed", JustBeforeThree.AddSeconds(1).AddDays(1))],
            claims.Asked);
    }

    /// <summary>Answers each claim with the next of its answers: claimed or not, or an exception.</summary>
    private sealed class ScriptedClaims(params object[] answers) : IScheduledRunClaims
    {
        public List<(string Job, DateTimeOffset Due)> Asked { get; } = [];

        public Task<bool> TryClaimAsync(string job, DateTimeOffset due, CancellationToken cancellationToken)
        {
            Asked.Add((job, due));
            return answers[Asked.Count - 1] is Exception e ? Task.FromException<bool>(e) : Task.FromResult((bool)answers[Asked.Count - 1]);
        }
    }

    private sealed class RecordingJob(string name, string cron, int failures = 0) : IScheduledJob
    {
        private int runs;

        public int Runs => Volatile.Read(ref runs);

        public string Name => name;

        public CronExpression Schedule { get; } = CronExpression.Parse(cron);

        /// <summary>The scoped service each run was given, in order.</summary>
        public List<RunScoped> Scoped { get; } = [];

        public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
        {
            lock (Scoped)
            {
                Scoped.Add(services.GetRequiredService<RunScoped>());
            }

            return Interlocked.Increment(ref runs) <= failures ? Task.FromException(new TimeoutException("the job failed")) : Task.CompletedTask;
        }
    }

    /// <summary>A scoped service: one per run's scope.</summary>
    private sealed class RunScoped : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
