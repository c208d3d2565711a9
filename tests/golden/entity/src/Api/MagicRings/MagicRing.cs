using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace my_project.Api.MagicRings;

public sealed class MagicRing
{
    public const int MaxNameLength = 100;

    public int Id { get; set; }

    public required string Name { get; set; }

    // Add properties here: give each its rules in MagicRingRequest and, where it needs one, its column in
    // MagicRingConfiguration; then run `make migration name=…` to create the columns.
}

internal sealed class MagicRingConfiguration : IEntityTypeConfiguration<MagicRing>
{
    public void Configure(EntityTypeBuilder<MagicRing> builder)
    {
        // Singular, as in `SELECT * FROM magic_ring;`; columns are snake_case by the naming convention.
        builder.ToTable("magic_ring");
        builder.Property(magicRing => magicRing.Name).HasMaxLength(MagicRing.MaxNameLength);
    }
}
