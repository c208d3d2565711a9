using Microsoft.EntityFrameworkCore;

namespace Aegis.Database;

/// <summary>New contexts of the application's own type, for the machinery that needs one outside a request.</summary>
internal sealed class DatabaseContexts(Func<CancellationToken, Task<DbContext>> create)
{
    public Task<DbContext> CreateAsync(CancellationToken cancellationToken) => create(cancellationToken);
}
