using System.ComponentModel.DataAnnotations;
using Aegis.Database;
using my_project.Api.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace my_project.Api.Shields;

/// <summary>The body of <c>POST</c> and <c>PUT /shields</c>; an omitted <c>defenseRating</c> is 10.</summary>
public sealed record ShieldRequest(
    [property: Required, Length(1, Shield.MaxNameLength)] string Name,
    [property: Range(0, 100)] int DefenseRating = Shield.DefaultDefenseRating);

/// <summary>The <c>/shields</c> resource. Writes run in a unit of work: a failed request writes nothing.</summary>
public sealed class ShieldsApi : IEndpoints
{
    // The hottest query, translated once instead of looked up in EF Core's query cache on every request.
    private static readonly Func<AppDbContext, int, CancellationToken, Task<Shield?>> FindShield =
        EF.CompileAsyncQuery((AppDbContext db, int id, CancellationToken _) => db.Set<Shield>().AsNoTracking().FirstOrDefault(s => s.Id == id));

    public static void Map(IEndpointRouteBuilder app)
    {
        var shields = app.MapGroup("/shields").WithTag("Shields", "The example resource: replace it with your own.");
        shields.MapGet("/", ListShields).WithSummary("List shields, a page at a time, in id order").ProducesValidationProblem()
            .WithDescription("Returns up to `limit` shields whose ids follow `after`, and writes nothing. The `Link` header gives the next page " +
                "while there is one. A `limit` or `after` out of range is a 400 problem naming it.");
        shields.MapGet("/{id:int}", GetShield).WithSummary("Get a shield")
            .WithDescription("Returns the shield with this id, and writes nothing. 404 problem if there is none.");

        var writes = shields.MapGroup("").WithUnitOfWork();
        writes.MapPost("/", CreateShield).WithSummary("Create a shield")
            .WithDescription("Adds a shield and returns it, with its id and, in `Location`, its URL. An invalid body is a 400 problem naming " +
                "each field; 503 while the database cannot take writes. Nothing is written unless it answers 201.");
        writes.MapPut("/{id:int}", UpdateShield).WithSummary("Replace a shield")
            .WithDescription("Replaces the name and defense rating of the shield with this id and returns it. 404 if there is none, 400 for " +
                "an invalid body, 409 if another request changed or deleted it first, 503 while the database cannot take writes; " +
                "nothing is written then.");
        writes.MapDelete("/{id:int}", DeleteShield).WithSummary("Delete a shield")
            .WithDescription("Deletes the shield with this id. 404 if there is none, 409 if another request deleted it first, 503 while the " +
                "database cannot take writes; nothing is deleted then.");
    }

    public static async Task<Ok<Shield[]>> ListShields(
        [AsParameters] Page page, AppDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var shields = await db.Set<Shield>().AsNoTracking().Where(s => s.Id > page.After).OrderBy(s => s.Id).Take(page.Limit + 1)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(page.Of(shields, s => s.Id, http));
    }

    public static async Task<Results<Ok<Shield>, NotFound>> GetShield(int id, AppDbContext db, CancellationToken cancellationToken) =>
        await FindShield(db, id, cancellationToken) is { } shield ? TypedResults.Ok(shield) : TypedResults.NotFound();

    // The unit of work saves the shield as it commits, which gives it its id; the Location is read after that.
    public static CreatedAfterCommit<Shield> CreateShield(ShieldRequest request, AppDbContext db)
    {
        var added = db.Add(new Shield { Name = request.Name, DefenseRating = request.DefenseRating });
        return UnitOfWorkResults.Created(added, shield => $"/shields/{shield.Id}");
    }

    public static async Task<Results<Ok<Shield>, NotFound>> UpdateShield(
        int id, ShieldRequest request, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<Shield>().FindAsync([id], cancellationToken) is not { } shield)
        {
            return TypedResults.NotFound();
        }

        shield.Name = request.Name;
        shield.DefenseRating = request.DefenseRating;
        shield.Version = Guid.NewGuid();
        return TypedResults.Ok(shield);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteShield(int id, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<Shield>().FindAsync([id], cancellationToken) is not { } shield)
        {
            return TypedResults.NotFound();
        }

        db.Remove(shield);
        return TypedResults.NoContent();
    }
}
