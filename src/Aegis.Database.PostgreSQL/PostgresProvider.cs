using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// What the shared machinery asks of PostgreSQL: EF Core on Npgsql, the database created at start-up if the server has
/// none of that name, and the server's errors told apart.
/// </summary>
internal sealed class PostgresProvider(Func<string> findConnectionString, string root) : DatabaseProvider
{
    // Any number that nothing else on the server takes advisory locks with.
    private const long MigrationsLockKey = 0x_1A2B_3C4D_5E6F_7081;

    private readonly Lazy<string> connectionString = new(findConnectionString);

    /// <summary>Known at once from <c>DATABASE_URL</c>, or, for a context the application configured, read from it when first needed.</summary>
    public string ConnectionString => connectionString.Value;

    public override string DisplayName => new NpgsqlConnectionStringBuilder(ConnectionString).Database ?? "";

    /// <summary>Where <see cref="BackupJob"/> keeps copies: data/backups/&lt;database&gt;-&lt;UTC time&gt;.dump (/app/data/backups in the image).</summary>
    public override string BackupFolder { get; } = Path.Combine(root, "data", "backups");

    public override string BackupName => DisplayName;

    public override string BackupExtension => ".dump";

    public override void Configure(DbContextOptionsBuilder options) => options.UseNpgsql(ConnectionString);

    /// <summary>Whether the database exists, creating it if <paramref name="create"/>; first, so that a first start logs no failed connections.</summary>
    public override async Task<bool> PrepareAsync(DbContext db, bool create, CancellationToken cancellationToken)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        try
        {
            if (await creator.ExistsAsync(cancellationToken))
            {
                return true;
            }
        }
        // No server there, a wrong password, TLS refused, … (EF Core wraps the errors it deems transient).
        catch (Exception e) when (e is NpgsqlException || e.InnerException is NpgsqlException)
        {
            throw new StartupException(
                $"The PostgreSQL server that {DatabaseUrl.Key} names cannot be used: {(e.InnerException ?? e).Message} " +
                $"Start it (docker compose up -d postgres), or set {DatabaseUrl.Key} to a server that runs.", e);
        }

        if (!create)
        {
            return false;
        }

        try
        {
            await creator.CreateAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another instance created it between our check and our CREATE DATABASE: use theirs.
        }

        return true;
    }

    // EF Core locks out other instances for one migration's transaction at a time, so an instance that read the
    // history before another applied a later migration would apply it again. A session lock held across all of them
    // makes the others wait, then find nothing left to do.
    public override async Task MigrateAsync(DbContext db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken); // one session for the lock and the migrations
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationsLockKey})", cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }
        finally
        {
            // Pooled connections keep their session, so the lock is released explicitly (a crash ends the session).
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationsLockKey})", CancellationToken.None);
            await db.Database.CloseConnectionAsync();
        }
    }

    // Npgsql logs a failed query when asked for the migrations of a database that has no history table yet.
    public override async Task<IReadOnlyCollection<string>> GetAppliedMigrationsAsync(DbContext db, CancellationToken cancellationToken) =>
        await db.Database.SqlQueryRaw<bool>("""SELECT to_regclass('"__EFMigrationsHistory"') IS NOT NULL AS "Value" """).SingleAsync(cancellationToken)
            ? [.. await db.Database.GetAppliedMigrationsAsync(cancellationToken)]
            : [];

    /// <summary>
    /// Writes <c>pg_dump</c>'s copy of the database to <paramref name="file"/>: one consistent snapshot while writers carry
    /// on, in the custom format (compressed; <c>pg_restore</c> reads it). Through a pipe, so that a killed service
    /// leaves no pg_dump behind.
    /// </summary>
    public override Task WriteBackupAsync(string path, FileStream file, CancellationToken cancellationToken) =>
        PostgresClient.RunAsync("pg_dump", ConnectionString, ["--format=custom", "--no-password"], file, cancellationToken);

    public override string? DescribeStorageFault(Exception exception) => (exception as PostgresException)?.SqlState switch
    {
        PostgresErrorCodes.DiskFull => "The database server's disk is full: free space on it, and writes resume by themselves.",
        PostgresErrorCodes.ReadOnlySqlTransaction => "The database server is read-only (a standby, or default_transaction_read_only is on).",
        PostgresErrorCodes.IoError => "The database server cannot write to its disk (an I/O error).",
        _ => null,
    };

    // Npgsql deems a failure transient when it is the connection's (a refused or broken socket, a timeout); the server's
    // own errors say when it is shutting down or starting up.
    public override string? DescribeOutage(Exception exception) => exception switch
    {
        PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow }
            => "The database server is restarting.",
        NpgsqlException { IsTransient: true } and not PostgresException => "The database server cannot be reached.",
        _ => null,
    };

    public override string? LockErrorOf(Exception exception) => (exception as PostgresException)?.SqlState switch
    {
        PostgresErrorCodes.LockNotAvailable => "lock_not_available", // lock_timeout expired, or NOWAIT found a lock
        PostgresErrorCodes.DeadlockDetected => "deadlock_detected",
        _ => null,
    };
}
