using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Database;

/// <summary>
/// The service's tables: every entity with an <c>IEntityTypeConfiguration</c> in this project, so a feature folder
/// maps its own entities and this class never changes.
/// </summary>
public sealed class AppDbContext(DbContextOptions<AppDbContext> options) : DbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AppDbContext).Assembly);
}
