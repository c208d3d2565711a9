using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Aegis.Hosting;

/// <summary>
/// Which page of a list a request asks for (<c>?limit=50&amp;after=120</c>): at most <see cref="Limit"/> items whose ids
/// follow <see cref="After"/>, in id order. Ids only grow, so a page is an index seek, however deep, and a row added
/// meanwhile never shifts the pages. Out of range, a value is a 400 problem naming it.
/// </summary>
/// <param name="Limit">How many items to return, from 1 to <see cref="MaxLimit"/>.</param>
/// <param name="After">The last id of the page before; the items returned follow it.</param>
public sealed record Page(
    [property: FromQuery(Name = "limit"), Range(1, Page.MaxLimit), Description("How many items to return, from 1 to 500.")] int Limit = Page.DefaultLimit,
    [property: FromQuery(Name = "after"), Range(0, int.MaxValue), Description("Return the items whose id follows this one: the last id of the page before.")] int After = 0)
{
    /// <summary>The limit when the request names none: 50.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The largest limit a request may ask for: 500.</summary>
    public const int MaxLimit = 500;

    /// <summary>
    /// The page among <paramref name="items"/> (at most <see cref="Limit"/> + 1 in id order: one more tells whether a next
    /// page exists), with a <c>Link: &lt;…&gt;; rel="next"</c> header to it on the response if it does.
    /// </summary>
    /// <typeparam name="T">The items' type.</typeparam>
    /// <param name="items">The items read for this page, in id order.</param>
    /// <param name="id">An item's id.</param>
    /// <param name="http">The request, whose response gets the <c>Link</c> header.</param>
    /// <returns>At most <see cref="Limit"/> items.</returns>
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
