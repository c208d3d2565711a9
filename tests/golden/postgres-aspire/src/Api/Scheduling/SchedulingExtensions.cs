using my_project.Api.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace my_project.Api.Scheduling;

/// <summary>
/// The in-process scheduler: the API and the scheduled jobs run in one process unless <c>APP_ROLE</c> splits them.
/// Components add jobs by registering <see cref="IScheduledJob"/> singletons.
/// </summary>
public static class SchedulingExtensions
{
    public static IHostApplicationBuilder AddScheduler(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Scheduler>();
        if (builder.Configuration.GetAppRole().RunsScheduler())
        {
            builder.Services.AddHostedService(services => services.GetRequiredService<Scheduler>());
        }

        return builder;
    }
}
