using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AegisApp.Api.SampleItems;

public sealed class SampleItem
{
    public const int MaxNameLength = 100;

    public int Id { get; set; }

    public required string Name { get; set; }

    // Add properties here: give each its rules in SampleItemRequest and, where it needs one, its column in
    // SampleItemConfiguration; then run `make migration name=…` to create the columns.
}

internal sealed class SampleItemConfiguration : IEntityTypeConfiguration<SampleItem>
{
    public void Configure(EntityTypeBuilder<SampleItem> builder)
    {
        // Singular, as in `SELECT * FROM sample_item;`; columns are snake_case by the naming convention.
        builder.ToTable("sample_item");
        builder.Property(sampleItem => sampleItem.Name).HasMaxLength(SampleItem.MaxNameLength);
    }
}
