using System.Text.Json.Serialization;
using my_project.Api.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace my_project.Api.Shields;

/// <summary>The example entity: replace it with your own, then run <c>make migration name=…</c>.</summary>
public sealed class Shield
{
    public const int DefaultDefenseRating = 10;
    public const int MaxNameLength = 100;

    public int Id { get; set; }

    public required string Name { get; set; }

    public int DefenseRating { get; set; } = DefaultDefenseRating;

    /// <summary>
    /// A new value with every change, so that a save made from an outdated read fails with
    /// <c>DbUpdateConcurrencyException</c> instead of overwriting the change it missed.
    /// </summary>
    [JsonIgnore]
    public Guid Version { get; set; } = Guid.NewGuid();
}

internal sealed class ShieldConfiguration : IEntityTypeConfiguration<Shield>
{
    public void Configure(EntityTypeBuilder<Shield> shield)
    {
        // Singular, as in `SELECT * FROM shield;`; columns are snake_case by the naming convention.
        shield.ToTable("shield");
        shield.Property(s => s.Name).HasMaxLength(Shield.MaxNameLength);
        // The database defaults serve rows written outside EF (e.g. the sqlite3 shell). EF always sends the values,
        // so an explicit 0 is stored as 0 rather than replaced by the default.
        shield.Property(s => s.DefenseRating).HasDefaultValue(Shield.DefaultDefenseRating).ValueGeneratedNever();
        shield.Property(s => s.Version).IsConcurrencyToken().HasDefaultValue(Guid.Empty).ValueGeneratedNever();
    }
}
