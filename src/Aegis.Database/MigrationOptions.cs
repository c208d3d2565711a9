
namespace Aegis.Database;

/// <summary>
/// Whether the API and scheduler apply pending migrations when they start (<c>MIGRATE_ON_START</c>, default true).
/// Turn it off when a step of its own migrates (<c>APP_ROLE=migrate</c>): a process then refuses to start on a
/// database that lacks migrations, rather than migrating it. Empty means unset, as in <see cref="BackupOptions"/>.
/// </summary>
internal sealed record MigrationOptions(bool MigrateOnStart)
{
    public const string MigrateOnStartKey = "MIGRATE_ON_START";

    /// <summary>How an operator applies the migrations of <paramref name="application"/> as a step of their own.</summary>
    public static string MigrateCommand(string application) => $"{AppRoles.Key}=migrate dotnet {application}.dll (or make migrate)";

    /// <exception cref="StartupException">The value is not true or false; empty means unset.</exception>
    public static MigrationOptions FromConfiguration(IConfiguration configuration)
    {
        var value = configuration[MigrateOnStartKey];
        return string.IsNullOrWhiteSpace(value) ? new(true)
            : bool.TryParse(value, out var migrateOnStart) ? new(migrateOnStart)
            : throw new StartupException(
                $"{MigrateOnStartKey} '{value}' is not true or false. Set {MigrateOnStartKey}=false when migrations are applied as a step of their own " +
                $"({AppRoles.Key}=migrate), or leave it unset for true.");
    }
}
