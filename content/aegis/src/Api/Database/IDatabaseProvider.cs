using Microsoft.EntityFrameworkCore;

namespace AegisApp.Api.Database;

/// <summary>
/// What the shared database code asks of the provider. This project's provider lives in a folder inside this one,
/// whose <c>AddDatabase()</c> creates it from <c>DATABASE_URL</c>; every other file here works on any provider.
/// </summary>
public interface IDatabaseProvider
{
    /// <summary>The database as log lines and errors name it: a file, or a database on a server.</summary>
    string DisplayName { get; }

    /// <summary>How an operator gets back a database this build can use, for the error on unknown migrations.</summary>
    string RestoreAdvice { get; }

    /// <summary>Points EF Core at the database, with the provider's own settings.</summary>
    void Configure(DbContextOptionsBuilder options);

    /// <summary>
    /// Makes the database ready for its migrations at start-up, creating it if it does not exist and
    /// <paramref name="create"/> allows; returns whether it exists. Throws a <c>StartupException</c> saying why it
    /// cannot be used.
    /// </summary>
    Task<bool> PrepareAsync(AppDbContext db, bool create, CancellationToken cancellationToken);

    /// <summary>Applies the pending migrations; of instances starting together, one applies them and the others wait.</summary>
    Task MigrateAsync(AppDbContext db, CancellationToken cancellationToken);

    /// <summary>The migrations applied to the database; none when it has no migration history yet.</summary>
    Task<IReadOnlyCollection<string>> GetAppliedMigrationsAsync(AppDbContext db, CancellationToken cancellationToken);

    /// <summary>
    /// A sentence for operators and clients if <paramref name="exception"/> means the database's storage cannot take
    /// writes (a full disk, a read-only database, an I/O error); <c>null</c> for every other error.
    /// </summary>
    string? DescribeStorageFault(Exception exception);

    /// <summary>
    /// The provider's short name for the error (<c>busy</c>, <c>locked</c>, <c>deadlock_detected</c>, …) if
    /// <paramref name="exception"/> failed because another connection held the database or a row locked; <c>null</c>
    /// for every other error.
    /// </summary>
    string? LockErrorOf(Exception exception);

    /// <summary>
    /// Whether this process queues its writers itself: true where the database takes one writer at a time, so that a
    /// waiting writer awaits its turn instead of blocking a thread.
    /// </summary>
    bool QueuesWriters { get; }
}
