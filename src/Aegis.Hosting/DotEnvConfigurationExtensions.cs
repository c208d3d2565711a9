using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Memory;

namespace Aegis.Hosting;

/// <summary>A <c>.env</c> file as configuration: the settings of one machine's runs of the service, never committed.</summary>
public static class DotEnvConfigurationExtensions
{
    /// <summary>
    /// Adds the <c>KEY=value</c> lines of <paramref name="path"/>, if the file exists, ranking above appsettings*.json and
    /// below real environment variables and the command line. <c>__</c> in a key is a section separator, as in
    /// environment variables.
    /// </summary>
    /// <param name="configuration">The host's configuration.</param>
    /// <param name="path">The file; a missing one adds nothing.</param>
    /// <returns>The configuration, for chaining.</returns>
    public static ConfigurationManager AddDotEnvFile(this ConfigurationManager configuration, string path)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!File.Exists(path))
        {
            return configuration;
        }

        var values = DotNetEnv.Env.NoEnvVars().Load(path)
            .ToDictionary(pair => pair.Key.Replace("__", ConfigurationPath.KeyDelimiter), pair => (string?)pair.Value);
        IList<IConfigurationSource> sources = ((IConfigurationBuilder)configuration).Sources;
        var environmentVariables = sources.ToList().FindIndex(
            source => source is EnvironmentVariablesConfigurationSource { Prefix: null or "" });
        sources.Insert(environmentVariables < 0 ? sources.Count : environmentVariables, new MemoryConfigurationSource { InitialData = values });
        return configuration;
    }
}
