using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Data.Sqlite;

// The fastest honest implementation of the generated service's /shields API on the same stack (an ASP.NET Core
// minimal API over Microsoft.Data.Sqlite), to measure the generated service against.
// Honest: the same table, JSON, status codes, Location header, validation and durability (WAL, synchronous = NORMAL),
// and every POST is its own committed transaction. Fast: no EF Core, source-generated JSON, long-lived connections
// with statements prepared once, and writers queued in the process rather than spinning on SQLite's write lock.
var url = Environment.GetEnvironmentVariable("DATABASE_URL") ?? "";
if (!url.StartsWith("sqlite:////", StringComparison.Ordinal))
{
    Console.Error.WriteLine("Set DATABASE_URL=sqlite:////absolute/path/to/file.db (four slashes: an absolute path).");
    return 2;
}

using var store = new ShieldStore(url["sqlite:///".Length..]);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning); // the generated service logs nothing per request either
builder.Services.ConfigureHttpJsonOptions(options =>
{
    options.SerializerOptions.TypeInfoResolverChain.Insert(0, ShieldJson.Default);
    options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow; // as the generated service
});

var app = builder.Build();
app.MapGet("/health", () => "Healthy");
app.MapGet("/shields/{id:int}", IResult (int id) => store.Find(id) is { } shield ? TypedResults.Ok(shield) : TypedResults.NotFound());
app.MapPost("/shields", async Task<IResult> (ShieldRequest request) =>
{
    if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > Shield.MaxNameLength)
    {
        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["A name of 1 to 100 characters is required."] });
    }

    if (request.DefenseRating is < 0 or > 100)
    {
        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["defenseRating"] = ["The defense rating must be from 0 to 100."] });
    }

    var shield = await store.AddAsync(request.Name, request.DefenseRating);
    return TypedResults.Created($"/shields/{shield.Id}", shield);
});
app.Run();
return 0;

internal sealed record ShieldRequest(string? Name, int DefenseRating = Shield.DefaultDefenseRating);

internal sealed record Shield(int Id, string Name, int DefenseRating)
{
    public const int DefaultDefenseRating = 10;
    public const int MaxNameLength = 100;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ShieldRequest))]
[JsonSerializable(typeof(Shield))]
internal sealed partial class ShieldJson : JsonSerializerContext;

/// <summary>The shield table, reached through a pool of open connections whose statements are prepared once.</summary>
internal sealed class ShieldStore : IDisposable
{
    private readonly string connectionString;
    private readonly ConcurrentBag<Connection> idle = [];

    // SQLite admits one writer at a time. Writers wait here without holding a thread, instead of each holding a thread
    // while SQLite's busy handler sleeps and retries.
    private readonly SemaphoreSlim writer = new(1, 1);

    public ShieldStore(string file)
    {
        connectionString = new SqliteConnectionStringBuilder { DataSource = file, ForeignKeys = true, DefaultTimeout = 30 }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var schema = connection.CreateCommand();
        // The generated service's file settings and its migration's table, byte for byte.
        schema.CommandText = """
            PRAGMA journal_mode = WAL;
            CREATE TABLE IF NOT EXISTS "shield" (
                "id" INTEGER NOT NULL CONSTRAINT "pk_shield" PRIMARY KEY AUTOINCREMENT,
                "name" TEXT NOT NULL,
                "defense_rating" INTEGER NOT NULL DEFAULT 10
            );
            """;
        schema.ExecuteNonQuery();
    }

    public Shield? Find(int id)
    {
        var connection = Rent();
        try
        {
            connection.SelectId.Value = id;
            using var reader = connection.Select.ExecuteReader();
            return reader.Read() ? new Shield(reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2)) : null;
        }
        finally
        {
            idle.Add(connection);
        }
    }

    public async Task<Shield> AddAsync(string name, int defenseRating)
    {
        await writer.WaitAsync();
        var connection = Rent();
        try
        {
            using var transaction = connection.Db.BeginTransaction(); // BEGIN IMMEDIATE
            connection.Insert.Transaction = transaction;
            connection.InsertName.Value = name;
            connection.InsertRating.Value = defenseRating;
            var id = Convert.ToInt32(connection.Insert.ExecuteScalar());
            transaction.Commit();
            return new Shield(id, name, defenseRating);
        }
        finally
        {
            idle.Add(connection);
            writer.Release();
        }
    }

    public void Dispose()
    {
        while (idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    private Connection Rent() => idle.TryTake(out var connection) ? connection : new Connection(connectionString);

    private sealed class Connection : IDisposable
    {
        public Connection(string connectionString)
        {
            Db = new SqliteConnection(connectionString);
            Db.Open();
            using (var settings = Db.CreateCommand())
            {
                settings.CommandText = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;"; // as the generated service
                settings.ExecuteNonQuery();
            }

            Select = Db.CreateCommand();
            Select.CommandText = """SELECT "id", "name", "defense_rating" FROM "shield" WHERE "id" = $id""";
            SelectId = Select.Parameters.Add("$id", SqliteType.Integer);
            Select.Prepare();

            Insert = Db.CreateCommand();
            Insert.CommandText = """INSERT INTO "shield" ("name", "defense_rating") VALUES ($name, $rating) RETURNING "id" """;
            InsertName = Insert.Parameters.Add("$name", SqliteType.Text);
            InsertRating = Insert.Parameters.Add("$rating", SqliteType.Integer);
            Insert.Prepare();
        }

        public SqliteConnection Db { get; }

        public SqliteCommand Select { get; }

        public SqliteParameter SelectId { get; }

        public SqliteCommand Insert { get; }

        public SqliteParameter InsertName { get; }

        public SqliteParameter InsertRating { get; }

        public void Dispose()
        {
            Select.Dispose();
            Insert.Dispose();
            Db.Dispose();
        }
    }
}
