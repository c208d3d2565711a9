using System.Text.RegularExpressions;

namespace Aegis.Database;

/// <summary>
/// <c>DATABASE_URL</c>, the database's one setting: a URL such as <c>sqlite:///data/app.db</c> or
/// <c>postgresql://user:password@host:5432/app</c>, read by the provider's own parser.
/// </summary>
internal static partial class DatabaseUrl
{
    public const string Key = "DATABASE_URL";

    /// <summary>
    /// The error for <paramref name="url"/>, which has <paramref name="problem"/>: it names the setting, never a
    /// password, and gives <paramref name="examples"/> of a valid value and the default, if the provider has one.
    /// </summary>
    internal static StartupException Invalid(string url, string problem, string examples, string? defaultUrl) => new(
        $"{Key} '{Redact(url)}' is not valid: {problem}. Set it to {examples}" + (defaultUrl is null ? "." : $", or leave it unset for {defaultUrl}."));

    // scheme://user:secret@host → scheme://user:***@host, and ?password=secret → ?password=***.
    private static string Redact(string url) => QueryPassword().Replace(Password().Replace(url, "$1***@"), "$1***");

    [GeneratedRegex("(://[^/@:]*:)[^/@]*@")]
    private static partial Regex Password();

    [GeneratedRegex("([?&]password=)[^&]*", RegexOptions.IgnoreCase)]
    private static partial Regex QueryPassword();
}
