using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace AegisApp.AppHost.Tests;

public sealed partial class RunningAppHost
{
    // A throwaway server: without the data volume, the container's data goes with it.
    partial void UseOwnDatabase(IDistributedApplicationTestingBuilder appHost)
    {
        var postgres = appHost.Resources.OfType<PostgresServerResource>().Single();
        foreach (var volume in postgres.Annotations.OfType<ContainerMountAnnotation>().ToList())
        {
            postgres.Annotations.Remove(volume);
        }
    }
}
