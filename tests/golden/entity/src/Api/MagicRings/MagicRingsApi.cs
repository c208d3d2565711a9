using System.ComponentModel.DataAnnotations;
using my_project.Api.Database;
using my_project.Api.Infrastructure;
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
        magicRings.MapGet("/", ListMagicRings).WithSummary("List every magic ring, in id order");
        magicRings.MapGet("/{id:int}", GetMagicRing).WithSummary("Get a magic ring");

        var writes = magicRings.MapGroup("").WithUnitOfWork();
        writes.MapPost("/", CreateMagicRing).WithSummary("Create a magic ring");
        writes.MapPut("/{id:int}", UpdateMagicRing).WithSummary("Replace a magic ring");
        writes.MapDelete("/{id:int}", DeleteMagicRing).WithSummary("Delete a magic ring");
    }

    public static async Task<Ok<MagicRing[]>> ListMagicRings(AppDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Set<MagicRing>().AsNoTracking().OrderBy(magicRing => magicRing.Id).ToArrayAsync(cancellationToken));

    public static async Task<Results<Ok<MagicRing>, NotFound>> GetMagicRing(int id, AppDbContext db, CancellationToken cancellationToken) =>
        await db.Set<MagicRing>().AsNoTracking().FirstOrDefaultAsync(magicRing => magicRing.Id == id, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.NotFound();

    public static async Task<Created<MagicRing>> CreateMagicRing(MagicRingRequest request, AppDbContext db, CancellationToken cancellationToken)
    {
        var magicRing = new MagicRing { Name = request.Name };
        db.Add(magicRing);
        await db.SaveChangesAsync(cancellationToken); // assigns the id; the unit of work commits
        return TypedResults.Created($"/magic-rings/{magicRing.Id}", magicRing);
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
