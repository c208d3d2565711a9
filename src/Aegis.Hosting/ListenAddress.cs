using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Aegis.Hosting;

/// <summary>
/// Where the service listens: <c>http://$LISTEN_ADDRESS:$PORT</c>, <c>localhost:8000</c> unless set. A container sets
/// <c>LISTEN_ADDRESS=0.0.0.0</c>, and platforms such as Cloud Run set <c>PORT</c>.
/// </summary>
public static class ListenAddress
{
    /// <summary>The port setting: <c>PORT</c>.</summary>
    public const string PortKey = "PORT";

    /// <summary>The address setting: <c>LISTEN_ADDRESS</c>.</summary>
    public const string AddressKey = "LISTEN_ADDRESS";

    /// <summary>The port when <c>PORT</c> is unset: 8000.</summary>
    public const int DefaultPort = 8000;

    /// <summary>
    /// Listens on <c>http://$LISTEN_ADDRESS:$PORT</c>, unless ASP.NET Core's own settings say where, which then win in
    /// their documented order: <c>Kestrel:Endpoints</c>, then <c>ASPNETCORE_URLS</c> or <c>--urls</c>, then
    /// <c>ASPNETCORE_HTTP_PORTS</c> and <c>ASPNETCORE_HTTPS_PORTS</c>.
    /// </summary>
    /// <param name="builder">The application's builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="StartupException"><c>PORT</c> or <c>LISTEN_ADDRESS</c> is not valid; the message says how to fix it.</exception>
    public static WebApplicationBuilder ListenOnPort(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        if (configuration.GetSection("Kestrel:Endpoints").GetChildren().Any()
            || new[] { WebHostDefaults.ServerUrlsKey, WebHostDefaults.HttpPortsKey, WebHostDefaults.HttpsPortsKey }.Any(key => !string.IsNullOrEmpty(configuration[key])))
        {
            return builder;
        }

        var value = configuration[PortKey];
        var port = DefaultPort;
        if (!string.IsNullOrEmpty(value) && (!int.TryParse(value, out port) || port is < 1 or > 65535))
        {
            throw new StartupException(
                $"{PortKey} '{value}' is not a port number. Set it to a number from 1 to 65535, e.g. {PortKey}={DefaultPort}, or leave it unset for {DefaultPort}.");
        }

        var address = configuration[AddressKey] is { Length: > 0 } text ? text : "localhost";
        var host = address == "localhost" ? address
            : IPAddress.TryParse(address, out var ip) ? (ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]" : ip.ToString())
            : throw new StartupException(
                $"{AddressKey} '{address}' is not an IP address. Set it to 0.0.0.0 to listen on every interface (as the container image does), " +
                $"to an address of this machine, or leave it unset for localhost.");
        builder.WebHost.UseUrls($"http://{host}:{port}");
        return builder;
    }
}
