using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aegis.Database.Tests;

/// <summary>What APP_ROLE=api and scheduler serve and run.</summary>
public abstract class AppRoleTests<TFactory>
    where TFactory : ApiFactory, new()
{
    [DatabaseFact]
    public async Task Api_role_serves_the_api_without_the_scheduler()
    {
        await using var factory = new TFactory();
        await using var api = factory.WithSetting(AppRoles.Key, "api");

        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(), s => s is Scheduler);
        Assert.Equal(HttpStatusCode.OK, (await api.CreateClient().GetAsync("/shields")).StatusCode);
    }

    [DatabaseFact]
    public async Task Scheduler_role_runs_the_scheduler_and_serves_only_health()
    {
        await using var factory = new TFactory();
        await using var scheduler = factory.WithSetting(AppRoles.Key, "scheduler");
        var client = scheduler.CreateClient();

        Assert.Contains(scheduler.Services.GetServices<IHostedService>(), s => s is Scheduler);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/shields")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
    }
}

public sealed class SqliteAppRoleTests : AppRoleTests<SqliteApiFactory>;

public sealed class PostgresAppRoleTests : AppRoleTests<PostgresApiFactory>;
