using System.ComponentModel.DataAnnotations;
using AegisApp.Api.Database;
using AegisApp.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.SampleItems;

/// <summary>The body of <c>POST</c> and <c>PUT /sample-items</c>.</summary>
public sealed record SampleItemRequest([property: Required, Length(1, SampleItem.MaxNameLength)] string Name);

/// <summary>The <c>/sample-items</c> resource. Writes run in a unit of work: a failed request writes nothing.</summary>
public sealed class SampleItemsApi : IEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var sampleItems = app.MapGroup("/sample-items").WithTag("SampleItems", "Create, read, update and delete sample items.");
        sampleItems.MapGet("/", ListSampleItems).WithSummary("List every sample item, in id order");
        sampleItems.MapGet("/{id:int}", GetSampleItem).WithSummary("Get a(n) sample item");

        var writes = sampleItems.MapGroup("").WithUnitOfWork();
        writes.MapPost("/", CreateSampleItem).WithSummary("Create a(n) sample item");
        writes.MapPut("/{id:int}", UpdateSampleItem).WithSummary("Replace a(n) sample item");
        writes.MapDelete("/{id:int}", DeleteSampleItem).WithSummary("Delete a(n) sample item");
    }

    public static async Task<Ok<SampleItem[]>> ListSampleItems(AppDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.Set<SampleItem>().AsNoTracking().OrderBy(sampleItem => sampleItem.Id).ToArrayAsync(cancellationToken));

    public static async Task<Results<Ok<SampleItem>, NotFound>> GetSampleItem(int id, AppDbContext db, CancellationToken cancellationToken) =>
        await db.Set<SampleItem>().AsNoTracking().FirstOrDefaultAsync(sampleItem => sampleItem.Id == id, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.NotFound();

    public static async Task<Created<SampleItem>> CreateSampleItem(SampleItemRequest request, AppDbContext db, CancellationToken cancellationToken)
    {
        var sampleItem = new SampleItem { Name = request.Name };
        db.Add(sampleItem);
        await db.SaveChangesAsync(cancellationToken); // assigns the id; the unit of work commits
        return TypedResults.Created($"/sample-items/{sampleItem.Id}", sampleItem);
    }

    public static async Task<Results<Ok<SampleItem>, NotFound>> UpdateSampleItem(int id, SampleItemRequest request, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<SampleItem>().FindAsync([id], cancellationToken) is not { } sampleItem)
        {
            return TypedResults.NotFound();
        }

        sampleItem.Name = request.Name;
        return TypedResults.Ok(sampleItem);
    }

    public static async Task<Results<NoContent, NotFound>> DeleteSampleItem(int id, AppDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<SampleItem>().FindAsync([id], cancellationToken) is not { } sampleItem)
        {
            return TypedResults.NotFound();
        }

        db.Remove(sampleItem);
        return TypedResults.NoContent();
    }
}
