using System.ComponentModel.DataAnnotations;
using Aegis.Database;
using my_project.Api.Database;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace my_project.Api.MagicRings;

/// <summary>The body of <c>POST</c> and <c>PUT /magic-rings</c>.</summary>
public sealed record MagicRingRequest([property: Required, Length(1, MagicRing.MaxNameLength)] string Name);

/// <summary>The <c>/magic-rings</c> resource. Writes run in a unit of work: a failed request writes nothing.</summary>
public sealed class MagicRingsApi : IEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var magicRings = app.MapGroup("/magic-rings").WithTag("MagicRings", "Create, read, update and delete magic rings.");
        magicRings.MapGet("/", ListMagicRings).WithSummary("List magic rings, a page at a time, in id order").ProducesValidationProblem()
            .WithDescription("Returns up to `limit` magic rings whose ids follow `after`, and writes nothing. The `Link` header gives the next page while there is one. A `limit` or `after` out of range is a 400 problem naming it.");
        magicRings.MapGet("/{id:int}", GetMagicRing).WithSummary("Get a magic ring")
            .WithDescription("Returns the magic ring with this id, and writes nothing. 404 problem if there is none.");

        var writes = magicRings.MapGroup("").WithUnitOfWork();
        writes.MapPost("/", CreateMagicRing).WithSummary("Create a magic ring")
            .WithDescription("Adds a magic ring and returns it, with its id and, in `Location`, its URL. An invalid body is a 400 problem naming each field; 503 while the database cannot take writes. Nothing is written unless it answers 201.");
        writes.MapPut("/{id:int}", UpdateMagicRing).WithSummary("Replace a magic ring")
            .WithDescription("Replaces the name of the magic ring with this id and returns it. 404 if there is none, 400 for an invalid body, 409 if another request deleted it first, 503 while the database cannot take writes; nothing is written then.");
        writes.MapDelete("/{id:int}", DeleteMagicRing).WithSummary("Delete a magic ring")
            .WithDescription("Deletes the magic ring with this id. 404 if there is none, 409 if another request deleted it first, 503 while the database cannot take writes; nothing is deleted then.");
    }

    public static async Task<Ok<MagicRing[]>> ListMagicRings([AsParameters] Page page, AppDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var magicRings = await db.Set<MagicRing>().AsNoTracking().Where(magicRing => magicRing.Id > page.After).OrderBy(magicRing => magicRing.Id)
            .Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.Of(magicRings, magicRing => magicRing.Id, http));
    }

    public static async Task<Results<Ok<MagicRing>, NotFound>> GetMagicRing(int id, AppDbContext db, CancellationToken cancellationToken) =>
        await db.Set<MagicRing>().AsNoTracking().FirstOrDefaultAsync(magicRing => magicRing.Id == id, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.NotFound();

    // The unit of work saves the magic ring as it commits, which gives it its id; the Location is read after that.
    public static CreatedAfterCommit<MagicRing> CreateMagicRing(MagicRingRequest request, AppDbContext db)
    {
        var added = db.Add(new MagicRing { Name = request.Name });
        return UnitOfWorkResults.Created(added, magicRing => $"/magic-rings/{magicRing.Id}");
    }

    public static async Task<Results<Ok<MagicRing>, NotFound>> UpdateMagicRing(int id, MagicRingRequest request, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<MagicRing>().FindAsync([id], cancellationToken) is not { } magicRing)
        {
            return TypedResults.NotFound();
        }

        magicRing.Name = request.Name;
        return TypedResults.Ok(magicRing);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteMagicRing(int id, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<MagicRing>().FindAsync([id], cancellationToken) is not { } magicRing)
        {
            return TypedResults.NotFound();
        }

        db.Remove(magicRing);
        return TypedResults.NoContent();
    }
}
