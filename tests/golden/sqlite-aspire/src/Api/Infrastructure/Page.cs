using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;

namespace my_project.Api.Infrastructure;

/// <summary>
/// Which page of a list a request asks for (<c>?limit=50&amp;after=120</c>): at most <see cref="Limit"/> items whose ids
/// follow <see cref="After"/>, in id order. Ids only grow, so a page is an index seek, however deep, and a row added
/// meanwhile never shifts the pages. Out of range, a value is a 400 problem naming it.
/// </summary>
public sealed record Page(
    [property: FromQuery(Name = "limit"), Range(1, Page.MaxLimit), Description("How many items to return, from 1 to 500.")] int Limit = Page.DefaultLimit,
    [property: FromQuery(Name = "after"), Range(0, int.MaxValue), Description("Return the items whose id follows this one: the last id of the page before.")] int After = 0)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    /// <summary>
    /// The page among <paramref name="items"/> (at most <see cref="Limit"/> + 1 in id order: one more tells whether a next
    /// page exists), with a <c>Link: &lt;…&gt;; rel="next"</c> header to it on the response if it does.
    /// </summary>
    public T[] Of<T>(IReadOnlyList<T> items, Func<T, int> id, HttpContext http)
    {
        if (items.Count <= Limit)
        {
            return [.. items];
        }

        var page = items.Take(Limit).ToArray();
        http.Response.Headers.Link = $"<{http.Request.PathBase}{http.Request.Path}?limit={Limit}&after={id(page[^1])}>; rel=\"next\"";
        return page;
    }
}
