using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>The tables of this service. Mapping lives in the <c>IEntityTypeConfiguration</c> classes beside it.</summary>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    public DbSet<Shield> Shields => Set<Shield>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
}
