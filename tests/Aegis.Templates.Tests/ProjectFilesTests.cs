using System.Reflection.PortableExecutable;
using Aegis.Templates.Tests.Infrastructure;

namespace Aegis.Templates.Tests;

/// <summary>The generated project's Makefile, compose file and ignore files, checked with the real tools.</summary>
[Collection(TemplatePackCollection.Name)]
public sealed class ProjectFilesTests(TemplatePack pack)
{
    public static TheoryData<string[], string[]> MakeTargets => new()
    {
        { [], ["help", "serve", "test", "health", "client", "docker-build", "docker-up"] },
        { ["--database"], ["help", "serve", "test", "migrate", "migration", "resource", "backup", "restore", "db-shell", "health", "client", "docker-build", "docker-up"] },
        { ["--db-provider", "postgres"], ["help", "serve", "test", "migrate", "migration", "resource", "backup", "restore", "db-shell", "health", "client", "docker-build", "docker-up"] },
    };

    [Theory]
    [MemberData(nameof(MakeTargets))]
    public async Task Make_alone_lists_the_targets(string[] options, string[] targets)
    {
        var project = await pack.GenerateAsync(options);

        var help = await Shell.RunAsync("make", [], project);

        var listed = help.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Trim().Split(' ')[0]);
        Assert.Equal(targets, listed);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sqlite_compose_file_is_valid_with_and_without_env_and_runs_one_service_with_data_mounted(bool withEnv)
    {
        var project = await pack.GenerateAsync("--database");
        if (withEnv)
        {
            File.Copy(Path.Combine(project, ".env.example"), Path.Combine(project, ".env"));
        }

        await Compose(project, "config", "-q");
        // app runs; data-owner only gives ./data to app's user first, and exits.
        Assert.Equal(["data-owner", "app"], (await Compose(project, "config", "--services")).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var config = await Compose(project, "config");
        Assert.Contains($"{project}/data:/app/data", config);
        Assert.Contains("container_name: my-project", config);
        // .env's settings reach the container as they reach make serve; unset, they stay empty (the service's defaults).
        Assert.Contains(withEnv ? "BACKUP_SCHEDULE: 0 3 * * *" : "BACKUP_SCHEDULE: ''", config);
        Assert.DoesNotContain("DATABASE_URL", config); // the container's database is its own /app/data/app.db
    }

    [Fact]
    public async Task Plain_compose_file_is_valid_and_mounts_nothing()
    {
        var project = await pack.GenerateAsync();

        await Compose(project, "config", "-q");
        Assert.Equal("app", (await Compose(project, "config", "--services")).Trim());
        Assert.DoesNotContain("volumes", await Compose(project, "config"));
    }

    [Fact]
    public async Task Secrets_and_data_stay_out_of_git_and_images()
    {
        var project = await pack.GenerateAsync("--database");
        Directory.CreateDirectory(Path.Combine(project, "data"));
        File.WriteAllText(Path.Combine(project, "data/app.db"), "");
        File.WriteAllText(Path.Combine(project, "data/app.db-wal"), "");
        File.WriteAllText(Path.Combine(project, ".env"), "DATABASE_URL=sqlite:///data/app.db\n");
        await Shell.RunAsync("git", ["init", "-q"], project);

        var ignored = await Shell.RunAsync("git", ["check-ignore", "data/app.db", "data/app.db-wal", ".env"], project);
        Assert.Equal(3, ignored.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var kept = await Shell.RunAsync("git", ["check-ignore", ".env.example"], project, check: false);
        Assert.Equal(1, kept.ExitCode);

        var dockerignore = File.ReadAllLines(Path.Combine(project, ".dockerignore"));
        Assert.Contains(".env", dockerignore);
        Assert.Contains("data/", dockerignore);
        Assert.Contains("**/bin/", dockerignore);
        Assert.Contains("**/obj/", dockerignore);
    }

    [Fact]
    public async Task Dockerfile_runs_as_a_non_root_user_on_port_8000_with_the_database_under_app_data()
    {
        var project = await pack.GenerateAsync("--database");

        var dockerfile = File.ReadAllText(Path.Combine(project, "Dockerfile"));

        Assert.Contains("USER $APP_UID", dockerfile);
        Assert.Contains("ENV LISTEN_ADDRESS=0.0.0.0", dockerfile);
        Assert.DoesNotContain("ASPNETCORE_URLS", dockerfile); // it would win over PORT, which platforms set
        Assert.Contains("WORKDIR /app", dockerfile);
        Assert.Contains("/app/data", dockerfile);
    }

    // The benchmark and the Dockerfile publish for one platform; --use-current-runtime sets the runtime identifier only
    // after the project file is read, which once left that publish JIT-compiled. Each case is a real publish, into a
    // folder of its own so that its Api.dll is the one this publish wrote; the cases share one project, so that the
    // later ones compile only what the earlier ones have not (for one platform, nothing).
    [Theory]
    [InlineData("true", "--use-current-runtime")]
    [InlineData("true", "-r", "linux-x64")]
    [InlineData("")]
    public async Task A_publish_for_one_platform_is_compiled_ahead_of_time_and_one_for_any_is_not(string readyToRun, params string[] platform)
    {
        var project = await pack.SharedAsync("publish", "--database");
        var output = pack.NewFolder("publish");

        var result = await Shell.RunAsync("dotnet", ["publish", .. platform, "--output", output, "-getProperty:PublishReadyToRun"],
            Path.Combine(project, "src", "Api"), timeout: TimeSpan.FromMinutes(10));

        Assert.Equal(readyToRun, result.StandardOutput.Trim());
        Assert.Equal(readyToRun == "true", IsReadyToRunImage(Path.Combine(output, "Api.dll")));
    }

    // A ReadyToRun image carries native code beside its IL, found through the CLI header's managed native header.
    private static bool IsReadyToRunImage(string assembly)
    {
        using var reader = new PEReader(File.OpenRead(assembly));
        return reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
    }

    private static async Task<string> Compose(string project, params string[] arguments) =>
        (await Shell.RunAsync("docker-compose", arguments, project)).StandardOutput;
}
