// Drives the service at args[0] through the Kiota client generated from its own OpenAPI document: every operation,
// and both kinds of problem read as the typed exceptions the document names. Exits 1 at the first surprise.
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using My_project.Client; // make client's namespace, my_project.Client, with the first letter capitalised by Kiota
using My_project.Client.Models;

using var http = KiotaClientFactory.Create(); // Kiota's handlers, among them the one that shows response headers
http.Timeout = TimeSpan.FromSeconds(30);
var client = new ApiClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = args[0] });

var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
var created = await client.Shields.PostAsync(new ShieldRequest { Name = "Dragon Scale", DefenseRating = 95 }, c => c.Options.Add(headers));
var id = created?.Id ?? throw new InvalidOperationException("create returned no id");
var location = headers.ResponseHeaders["Location"].Single();
Check(location == $"/shields/{id}", $"create: 201 {Show(created)}, Location {location}");

var read = await client.Shields[id].GetAsync();
Check(read is { Name: "Dragon Scale", DefenseRating: 95 }, $"read: {Show(read)}");

var defaulted = await client.Shields.PostAsync(new ShieldRequest { Name = "Buckler", DefenseRating = null });
Check(defaulted?.DefenseRating == 10, $"create without defenseRating: {Show(defaulted)}");

var list = await client.Shields.GetAsync();
Check(list is not null && list.Select(s => s.Id).SequenceEqual(list.Select(s => s.Id).Order()) && list.Any(s => s.Id == id),
    $"list: {list?.Count} shields in id order, including {id}");

var updated = await client.Shields[id].PutAsync(new ShieldRequest { Name = "Dragon Scale", DefenseRating = 99 });
Check(updated is { DefenseRating: 99 }, $"update: {Show(updated)}");

await client.Shields[id].DeleteAsync();
Check(true, $"delete: {id}");

try
{
    await client.Shields.PostAsync(new ShieldRequest { Name = "", DefenseRating = 101 });
    Check(false, "an invalid shield was created");
}
catch (HttpValidationProblemDetails problem)
{
    var fields = problem.Errors?.AdditionalData.Keys.Order(StringComparer.Ordinal).ToArray() ?? [];
    Check(problem.ResponseStatusCode == 400 && fields.SequenceEqual(["defenseRating", "name"]),
        $"invalid create: HttpValidationProblemDetails {problem.ResponseStatusCode} \"{problem.Title}\", errors: {string.Join(", ", fields)}");
}

try
{
    await client.Shields[id].GetAsync();
    Check(false, "a deleted shield was found");
}
catch (ProblemDetails problem)
{
    Check(problem.ResponseStatusCode == 404 && problem.Status == 404, $"read deleted: ProblemDetails {problem.Status} \"{problem.Title}\"");
}

return 0;

static string Show(Shield? shield) => shield is null ? "null" : $"{{ id: {shield.Id}, name: {shield.Name}, defenseRating: {shield.DefenseRating} }}";

static void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok)
    {
        Environment.Exit(1);
    }
}
