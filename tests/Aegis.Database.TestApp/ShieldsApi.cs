using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aegis.Database.TestApp;

/// <summary>The body of <c>POST</c> and <c>PUT /shields</c>.</summary>
public sealed record ShieldRequest(string Name, int DefenseRating = Shield.DefaultDefenseRating);

/// <summary>
/// <c>/shields</c>: reads, and writes that each run as a unit of work (<see cref="UnitsOfWork"/>) in an EF Core
/// transaction, committed only when the request succeeds.
/// </summary>
internal static class ShieldsApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/shields", async (TestDbContext db, CancellationToken cancellationToken) =>
            TypedResults.Ok(await db.Shields.AsNoTracking().OrderBy(s => s.Id).ToListAsync(cancellationToken)));

        app.MapGet("/shields/{id:int}", async Task<Results<Ok<Shield>, NotFound>> (int id, TestDbContext db, CancellationToken cancellationToken) =>
            await db.Shields.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken) is { } shield ? TypedResults.Ok(shield) : TypedResults.NotFound());

        app.MapPost("/shields", async (ShieldRequest request, TestDbContext db, UnitsOfWork units, CancellationToken cancellationToken) =>
        {
            using var unit = units.Begin(db);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var shield = new Shield { Name = request.Name, DefenseRating = request.DefenseRating };
            db.Add(shield);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            unit.Committed();
            return TypedResults.Created($"/shields/{shield.Id}", shield);
        });

        // A unit that only adds, as a generated POST does: its unit's final save gives the shield its id, then the
        // 201 reads its Location. With ?commit=false the unit never saves it, which the result refuses.
        app.MapPost("/shields/added", async (
            ShieldRequest request, TestDbContext db, UnitsOfWork units, bool? commit, CancellationToken cancellationToken) =>
        {
            await using var unit = units.Begin(db);
            var added = db.Add(new Shield { Name = request.Name, DefenseRating = request.DefenseRating });
            var result = UnitOfWorkResults.Created(added, shield => $"/shields/{shield.Id}");
            if (commit is not false)
            {
                await unit.CommitAsync(cancellationToken);
            }

            return result;
        });

        app.MapPut("/shields/{id:int}", async Task<Results<Ok<Shield>, NotFound>> (
            int id, ShieldRequest request, TestDbContext db, UnitsOfWork units, CancellationToken cancellationToken) =>
        {
            using var unit = units.Begin(db);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await db.Shields.FindAsync([id], cancellationToken) is not { } shield)
            {
                return TypedResults.NotFound(); // rolled back
            }

            (shield.Name, shield.DefenseRating, shield.Version) = (request.Name, request.DefenseRating, Guid.NewGuid());
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            unit.Committed();
            return TypedResults.Ok(shield);
        });
    }
}
