using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace my_project.AppHost.Tests;

public sealed partial class RunningAppHost
{
    // A throwaway server: without the data volume, the container's data goes with it.
    partial void UseOwnDatabase(IDistributedApplicationTestingBuilder appHost)
    {
        // Without a runtime the postgres container never starts and every test would wait out the start timeout.
        var runtime = Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") is { Length: > 0 } name ? name : "docker";
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(folder => File.Exists(Path.Combine(folder, runtime)) || File.Exists(Path.Combine(folder, runtime + ".exe")));
        if (!onPath)
        {
            throw new InvalidOperationException(
                $"PostgreSQL runs in a container: install Docker, or Podman and set ASPIRE_CONTAINER_RUNTIME=podman ({runtime} is not on PATH).");
        }

        var postgres = appHost.Resources.OfType<PostgresServerResource>().Single();
        foreach (var volume in postgres.Annotations.OfType<ContainerMountAnnotation>().ToList())
        {
            postgres.Annotations.Remove(volume);
        }
    }
}
