using System.ComponentModel.DataAnnotations;
using Aegis.Database;
using AegisApp.Api.Database;
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
        sampleItems.MapGet("/", ListSampleItems).WithSummary("List sample items, a page at a time, in id order").ProducesValidationProblem()
            .WithDescription("Returns up to `limit` sample items whose ids follow `after`, and writes nothing. The `Link` header gives the next page while there is one. A `limit` or `after` out of range is a 400 problem naming it.");
        sampleItems.MapGet("/{id:int}", GetSampleItem).WithSummary("Get a(n) sample item")
            .WithDescription("Returns the sample item with this id, and writes nothing. 404 problem if there is none.");

        var writes = sampleItems.MapGroup("").WithUnitOfWork();
        writes.MapPost("/", CreateSampleItem).WithSummary("Create a(n) sample item")
            .WithDescription("Adds a(n) sample item and returns it, with its id and, in `Location`, its URL. An invalid body is a 400 problem naming each field; 503 while the database cannot take writes. Nothing is written unless it answers 201.");
        writes.MapPut("/{id:int}", UpdateSampleItem).WithSummary("Replace a(n) sample item")
            .WithDescription("Replaces the name of the sample item with this id and returns it. 404 if there is none, 400 for an invalid body, 409 if another request deleted it first, 503 while the database cannot take writes; nothing is written then.");
        writes.MapDelete("/{id:int}", DeleteSampleItem).WithSummary("Delete a(n) sample item")
            .WithDescription("Deletes the sample item with this id. 404 if there is none, 409 if another request deleted it first, 503 while the database cannot take writes; nothing is deleted then.");
    }

    public static async Task<Ok<SampleItem[]>> ListSampleItems([AsParameters] Page page, AppDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        var sampleItems = await db.Set<SampleItem>().AsNoTracking().Where(sampleItem => sampleItem.Id > page.After).OrderBy(sampleItem => sampleItem.Id)
            .Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.Of(sampleItems, sampleItem => sampleItem.Id, http));
    }

    public static async Task<Results<Ok<SampleItem>, NotFound>> GetSampleItem(int id, AppDbContext db, CancellationToken cancellationToken) =>
        await db.Set<SampleItem>().AsNoTracking().FirstOrDefaultAsync(sampleItem => sampleItem.Id == id, cancellationToken) is { } found
            ? TypedResults.Ok(found)
            : TypedResults.NotFound();

    // The unit of work saves the sample item as it commits, which gives it its id; the Location is read after that.
    public static CreatedAfterCommit<SampleItem> CreateSampleItem(SampleItemRequest request, AppDbContext db)
    {
        var added = db.Add(new SampleItem { Name = request.Name });
        return UnitOfWorkResults.Created(added, sampleItem => $"/sample-items/{sampleItem.Id}");
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
