using Xunit.Sdk;

namespace Aegis.Templates.Tests.Infrastructure;

/// <summary>The tests' bounded wait: read something until it shows what the test waits for, or fail with what was last read.</summary>
public static class Poll
{
    /// <summary>
    /// Calls <paramref name="read"/> every <paramref name="interval"/> (200 ms unless given) until <paramref name="arrived"/>
    /// holds for what it returns, for at most <paramref name="limit"/>; returns that.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> arrived, TimeSpan limit, string what, TimeSpan? interval = null)
    {
        var last = await read();
        for (var deadline = DateTime.UtcNow + limit; !arrived(last); last = await read())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"Waited {limit.TotalSeconds:0} s for {what}; last read:\n{last}");
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200));
        }

        return last;
    }
}
