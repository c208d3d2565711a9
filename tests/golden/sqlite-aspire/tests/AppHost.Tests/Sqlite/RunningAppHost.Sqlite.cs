using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace my_project.AppHost.Tests;

public sealed partial class RunningAppHost
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("apphost-tests-");

    /// <summary>The folder of this AppHost's database file (and of its backups/).</summary>
    public string DataFolder => data.FullName;

    partial void UseOwnDatabase(IDistributedApplicationTestingBuilder appHost)
    {
        foreach (var service in appHost.Resources.OfType<ProjectResource>().ToList())
        {
            appHost.CreateResourceBuilder(service).WithEnvironment("DATABASE_URL", $"sqlite:///{DataFolder}/app.db");
        }
    }

    partial void DeleteOwnDatabase() => data.Delete(recursive: true);
}
