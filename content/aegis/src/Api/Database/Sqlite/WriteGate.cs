namespace AegisApp.Api.Database;

/// <summary>
/// Queues this process's write transactions on one asynchronous lock. SQLite allows one writer at a time; without the
/// queue, waiting writers would sleep in SQLite's busy handler on thread-pool threads, and under load those blocked
/// threads starve every other request, reads included. Writers from other processes (the sqlite3 shell, a second
/// instance) are still covered by <c>busy_timeout</c>.
/// </summary>
public sealed class WriteGate
{
    private readonly SemaphoreSlim writer = new(1, 1);

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await writer.WaitAsync(cancellationToken);
        return new Exit(writer);
    }

    public IDisposable Enter()
    {
        writer.Wait();
        return new Exit(writer);
    }

    private sealed class Exit(SemaphoreSlim writer) : IDisposable
    {
        private int exited;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref exited, 1) == 0)
            {
                writer.Release();
            }
        }
    }
}
