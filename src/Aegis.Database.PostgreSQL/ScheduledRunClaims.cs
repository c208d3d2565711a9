using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// Each scheduled run claims its slot with a row keyed (application, job, due time), committed before it starts: every
/// scheduler process may try, and the one whose insert lands runs it. So a run happens at most once among processes that
/// share the database, whichever of them lives or dies, and processes of different applications (named by their context
/// type) that share a database claim their own runs. A process killed during a run loses that run; the next one is
/// claimed by whichever process is left. Claims older than <see cref="KeptFor"/> are deleted as new ones are made.
/// </summary>
internal sealed class ScheduledRunClaims(PostgresProvider provider, string application) : IScheduledRunClaims
{
    public const string Table = "aegis_scheduled_runs";

    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(30);

    /// <summary>This process, as the claims name it: host, process id and a random part, as process ids are reused.</summary>
    public static readonly string Instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    private bool tableExists;

    public async Task<bool> TryClaimAsync(string job, DateTimeOffset due, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(provider.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        if (!tableExists)
        {
            await CreateTableAsync(connection, cancellationToken);
            tableExists = true;
        }

        // Autocommit: the claim is committed before the run starts. A retry of this process's own run keeps its claim.
        await using var claim = new NpgsqlCommand(
            $"""
            WITH expired AS (DELETE FROM {Table} WHERE application = $1 AND job = $2 AND due < $3 - $5::interval)
            INSERT INTO {Table} (application, job, due, instance) VALUES ($1, $2, $3, $4)
            ON CONFLICT (application, job, due) DO UPDATE SET claimed_at = now() WHERE {Table}.instance = excluded.instance
            RETURNING true
            """, connection)
        {
            Parameters = { new() { Value = application }, new() { Value = job }, new() { Value = due.UtcDateTime }, new() { Value = Instance }, new() { Value = KeptFor } },
        };
        return await claim.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task CreateTableAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var create = new NpgsqlCommand(
            $"""
            CREATE TABLE IF NOT EXISTS {Table} (
                application text NOT NULL,
                job text NOT NULL,
                due timestamptz NOT NULL,
                instance text NOT NULL,
                claimed_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (application, job, due))
            """, connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable)
        {
            // Another process created it at the same moment (IF NOT EXISTS does not exclude that race): theirs serves.
        }
    }
}
