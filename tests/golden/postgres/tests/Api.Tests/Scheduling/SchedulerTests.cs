using System.Net;
using my_project.Api.Infrastructure;
using my_project.Api.Scheduling;
using Cronos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace my_project.Api.Tests.Scheduling;

public sealed class SchedulerTests
{
    private static readonly DateTimeOffset JustBeforeThree = new(2026, 1, 1, 2, 59, 59, TimeSpan.Zero);

    [PostgresFact]
    public async Task Jobs_run_at_their_cron_times_and_a_failing_run_neither_stops_the_job_nor_the_others()
    {
        var time = new FakeTimeProvider(JustBeforeThree);
        var logger = new FakeLogger<Scheduler>();
        var counting = new RecordingJob("counting", "0 3 * * *");
        var failing = new RecordingJob("failing", "0 3 * * *", fail: true);
        using var scheduler = new Scheduler([counting, failing], time, logger);
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

    [PostgresFact]
    public async Task Api_role_serves_the_api_without_the_scheduler()
    {
        await using var factory = new ApiFactory();
        await using var api = factory.WithSetting(AppRoles.Key, "api");

        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(), s => s is Scheduler);
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/shields")).StatusCode);
    }

    [PostgresFact]
    public async Task Scheduler_role_runs_the_scheduler_and_serves_only_health()
    {
        await using var factory = new ApiFactory();
        await using var scheduler = factory.WithSetting(AppRoles.Key, "scheduler");
        var client = scheduler.CreateClient();

        Assert.Contains(scheduler.Services.GetServices<IHostedService>(), s => s is Scheduler);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/shields")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }

    [PostgresTheory]
    [InlineData("")]
    [InlineData("ALL")]
    [InlineData(" all ")]
    public void All_is_the_default_role(string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(AppRoles.Key, value)]).Build();

        Assert.Equal(AppRole.All, configuration.GetAppRole());
    }

    [PostgresFact]
    public void An_unknown_role_fails_naming_the_valid_ones()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new(AppRoles.Key, "worker")]).Build();

        var error = Assert.Throws<StartupException>(() => (object)configuration.GetAppRole());

        Assert.Equal("APP_ROLE 'worker' is not a role. Set it to all (API and scheduler in one process, the default), api or scheduler.", error.Message);
    }

    // Moves fake time forward, then waits (10 s at most) for the jobs to have done what is expected.
    private static Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Func<bool> done)
    {
        time.Advance(step);
        return WaitUntilAsync(done);
    }

    private static async Task WaitUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "The scheduler did not get there within 10 s.");
            await Task.Delay(10);
        }
    }

    private sealed class RecordingJob(string name, string cron, bool fail = false) : IScheduledJob
    {
        private int runs;

        public int Runs => Volatile.Read(ref runs);

        public string Name => name;

        public CronExpression Schedule { get; } = CronExpression.Parse(cron);

        public Task RunAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref runs);
            return fail ? Task.FromException(new TimeoutException("the job failed")) : Task.CompletedTask;
        }
    }
}
