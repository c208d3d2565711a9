using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Aegis.Database.TestApp;

/// <summary>The entity the tests write: the generated project's example entity, as its tests need it.</summary>
public sealed class Shield
{
    public const int DefaultDefenseRating = 10;

    public int Id { get; set; }

    public required string Name { get; set; }

    public int DefenseRating { get; set; } = DefaultDefenseRating;

    /// <summary>A new value with every change: a save from an outdated read fails with DbUpdateConcurrencyException.</summary>
    [JsonIgnore]
    public Guid Version { get; set; } = Guid.NewGuid();
}

/// <summary>The model both providers' contexts share: one table, <c>shield</c>, in snake_case.</summary>
public abstract class TestDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Shield> Shields => Set<Shield>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var shield = modelBuilder.Entity<Shield>();
        shield.ToTable("shield");
        shield.Property(s => s.Name).HasMaxLength(100);
        // Defaults for rows written in SQL by the tests; EF Core always sends the values.
        shield.Property(s => s.DefenseRating).HasDefaultValue(Shield.DefaultDefenseRating).ValueGeneratedNever();
        shield.Property(s => s.Version).IsConcurrencyToken().HasDefaultValue(Guid.Empty).ValueGeneratedNever();
    }
}

/// <summary>The context on SQLite, with its migrations in Migrations/Sqlite.</summary>
public sealed class SqliteTestContext(DbContextOptions<SqliteTestContext> options) : TestDbContext(options);

/// <summary>The context on PostgreSQL, with its migrations in Migrations/Postgres.</summary>
public sealed class PostgresTestContext(DbContextOptions<PostgresTestContext> options) : TestDbContext(options);

// For `dotnet ef migrations add`, which needs neither a database nor the app's settings.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteTestContext>
{
    public SqliteTestContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteTestContext>().UseSqlite("Data Source=design.db").UseSnakeCaseNamingConvention().Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresTestContext>
{
    public PostgresTestContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresTestContext>().UseNpgsql("Host=localhost;Database=design").UseSnakeCaseNamingConvention().Options);
}
