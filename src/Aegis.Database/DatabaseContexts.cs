using Microsoft.EntityFrameworkCore;

namespace Aegis.Database;

/// <summary>
/// Contexts of the application's own type, for the machinery that needs one outside a request: each in a scope of its
/// own, as the application registered it (pooled or not), and disposed with that scope.
/// </summary>
internal sealed class DatabaseContexts(IServiceScopeFactory scopes, Type contextType)
{
    public ScopedContext Create()
    {
        var scope = scopes.CreateAsyncScope();
        return new ScopedContext(scope, (DbContext)scope.ServiceProvider.GetRequiredService(contextType));
    }
}

/// <summary>A context and the scope that owns it.</summary>
internal sealed class ScopedContext(AsyncServiceScope scope, DbContext db) : IAsyncDisposable
{
    public DbContext Db => db;

    public ValueTask DisposeAsync() => scope.DisposeAsync();
}
