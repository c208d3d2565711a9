using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace my_project.AppHost.Tests;

/// <summary>
/// The AppHost as <c>make aspire</c> runs it, started by the first test that asks and shared by all of them, on
/// random ports (so a <c>make serve</c> or <c>make aspire</c> of yours keeps running) and on a database of its own.
/// </summary>
public sealed partial class RunningAppHost : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly Lazy<Task<DistributedApplication>> app;

    public RunningAppHost() => app = new(StartAsync);

    /// <summary>The running AppHost, its <c>api</c> healthy.</summary>
    public Task<DistributedApplication> AppAsync() => app.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (app.IsValueCreated && app.Value.IsCompletedSuccessfully)
        {
            await (await app.Value).DisposeAsync();
        }

        DeleteOwnDatabase();
    }

    private async Task<DistributedApplication> StartAsync()
    {
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["DcpPublisher:RandomizePorts=true"]);
        foreach (var service in appHost.Resources.OfType<ProjectResource>().ToList())
        {
            // The developer's .env is for their runs of the service.
            appHost.CreateResourceBuilder(service).WithEnvironment("DOTENV", "false");
        }

        UseOwnDatabase(appHost);
        var started = await appHost.BuildAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await started.StartAsync(timeout.Token);
        await started.ResourceNotifications.WaitForResourceHealthyAsync("api", timeout.Token);
        return started;
    }

    // Implemented by the database provider's part of this class; without a database they compile to nothing.
    partial void UseOwnDatabase(IDistributedApplicationTestingBuilder appHost);

    partial void DeleteOwnDatabase();
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<RunningAppHost>
{
    public const string Name = "app host";
}
