using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

// The generated service's /shields API written by hand on bare EF Core: a pooled context, snake_case names, Add +
// SaveChangesAsync for a POST, LINQ AsNoTracking().FirstOrDefaultAsync for a GET; no unit of work, no validation,
// no write queue. The same table, JSON, status codes, Location header and durability (WAL, synchronous = NORMAL).
var url = Environment.GetEnvironmentVariable("DATABASE_URL") ?? "";
if (!url.StartsWith("sqlite:////", StringComparison.Ordinal))
{
    Console.Error.WriteLine("Set DATABASE_URL=sqlite:////absolute/path/to/file.db (four slashes: an absolute path).");
    return 2;
}

var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning); // the generated service logs nothing per request either
builder.Services.AddDbContextPool<ShieldDb>(options => options
    .UseSqlite($"Data Source={url["sqlite:///".Length..]};Foreign Keys=True;Default Timeout=30")
    .UseSnakeCaseNamingConvention()
    .AddInterceptors(new NormalSynchronous()));

var app = builder.Build();
using (var scope = app.Services.CreateScope())
{
    var db = scope.ServiceProvider.GetRequiredService<ShieldDb>();
    db.Database.EnsureCreated();
    db.Database.ExecuteSqlRaw("PRAGMA journal_mode = WAL;");
}

app.MapGet("/health", () => "Healthy");
app.MapGet("/shields/{id:int}", async Task<IResult> (int id, ShieldDb db) =>
    await db.Shields.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id) is { } shield ? TypedResults.Ok(shield) : TypedResults.NotFound());
app.MapPost("/shields", async (ShieldRequest request, ShieldDb db) =>
{
    var shield = new Shield { Name = request.Name, DefenseRating = request.DefenseRating };
    db.Shields.Add(shield);
    await db.SaveChangesAsync();
    return TypedResults.Created($"/shields/{shield.Id}", shield);
});
app.Run();
return 0;

internal sealed record ShieldRequest(string Name, int DefenseRating = 10);

internal sealed class Shield
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public int DefenseRating { get; set; } = 10;
}

internal sealed class ShieldDb(DbContextOptions<ShieldDb> options) : DbContext(options)
{
    public DbSet<Shield> Shields => Set<Shield>();

    protected override void OnModelCreating(ModelBuilder model) => model.Entity<Shield>(shield =>
    {
        shield.ToTable("shield");
        shield.Property(s => s.Name).HasMaxLength(100);
        shield.Property(s => s.DefenseRating).HasDefaultValue(10).ValueGeneratedNever();
    });
}

// synchronous is a connection setting. Microsoft.Data.Sqlite pools native connections, so it is set once per native
// connection (as the generated service does), not on every open: the baseline at its best.
internal sealed class NormalSynchronous : DbConnectionInterceptor
{
    private static readonly ConditionalWeakTable<sqlite3, object> Configured = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (Configured.TryAdd(((SqliteConnection)connection).Handle!, new object()))
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = NORMAL;";
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (Configured.TryAdd(((SqliteConnection)connection).Handle!, new object()))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = NORMAL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
