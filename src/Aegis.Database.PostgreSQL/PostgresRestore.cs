using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aegis.Database.PostgreSQL;

/// <summary>
/// Backups by hand and restores, as the service's own one-shot roles: <c>APP_ROLE=backup</c> (<c>make backup</c>) while
/// the service runs, and <c>APP_ROLE=restore</c> with <c>RESTORE_FILE</c> (<c>make restore file=…</c>) while nothing
/// else uses the database. A restore first keeps the database as it was, as
/// <c>&lt;database&gt;-&lt;UTC time&gt;-before-restore.dump</c>, so that it can be undone; then <c>pg_restore</c> replaces
/// every table in one transaction, so a failed restore changes nothing.
/// </summary>
internal sealed class PostgresRestore(PostgresProvider provider, BackupJob backups, DatabaseContexts contexts, AegisDatabaseSettings settings)
    : IDatabaseRestore
{
    private const string FileKey = IDatabaseRestore.FileKey;

    /// <summary>Takes a copy that no pruning deletes, <c>&lt;database&gt;-&lt;UTC time&gt;-manual.dump</c>; returns its path.</summary>
    /// <exception cref="StartupException">pg_dump could not be run or failed: what it said; no file was left.</exception>
    public async Task<string> BackUpByHandAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await backups.KeepCopyAsync("manual", cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"Nothing was backed up: {e.Message}", e);
        }
    }

    /// <summary>Puts <paramref name="backup"/> (relative to the project root) in place of the database; returns what it did.</summary>
    /// <exception cref="StartupException">Nothing was restored: why, and what to do.</exception>
    public async Task<string> RestoreAsync(string? backup, CancellationToken cancellationToken)
    {
        var file = string.IsNullOrWhiteSpace(backup)
            ? throw new StartupException($"{FileKey} names no backup: name one of {backups.Folder}, e.g. make restore file=data/backups/<name>.dump.")
            : Path.GetFullPath(Path.Combine(settings.RootPath!, backup));
        var problem = !File.Exists(file) ? "there is no such file"
            : !file.EndsWith(provider.BackupExtension, StringComparison.Ordinal) ? "it is not a finished backup (their names end in .dump)"
            : await ReadErrorAsync(file, cancellationToken) is { } error ? $"pg_restore cannot read it ({error})"
            : null;
        if (problem is not null)
        {
            throw new StartupException($"Nothing was restored from {file}: {problem}.");
        }

        bool existed;
        await using (var context = contexts.Create())
        {
            existed = await provider.PrepareAsync(context.Db, create: false, cancellationToken);
            if (!existed)
            {
                await provider.PrepareAsync(context.Db, create: true, cancellationToken); // a new server: restore into a new database
            }
        }

        NpgsqlConnection.ClearAllPools(); // the check's idle connection is no other session
        if (await OtherSessionsAsync(cancellationToken) is { Count: > 0 } sessions)
        {
            throw new StartupException(
                $"Nothing was restored: {sessions.Count} other session(s) use {provider.DisplayName} ({string.Join(", ", sessions)}). " +
                "Stop the service (docker compose stop api scheduler) and close them, then restore again.");
        }

        string? before;
        try
        {
            before = existed ? await backups.KeepCopyAsync("before-restore", cancellationToken) : null;
            await PostgresClient.RunAsync("pg_restore", provider.ConnectionString,
                ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "--dbname", provider.DisplayName, file],
                null, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException($"Nothing was restored from {file}: {e.Message}", e);
        }

        return $"Restored {provider.DisplayName} from {file}" + (before is null ? "." : $"; the database as it was is {before}.");
    }

    // pg_restore --list reads the whole table of contents: a truncated or foreign file fails it.
    private async Task<string?> ReadErrorAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            await PostgresClient.RunAsync("pg_restore", provider.ConnectionString, ["--list", file], Stream.Null, cancellationToken);
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    // Whoever would see the tables vanish and come back: the service's instances, a psql, …
    private async Task<List<string>> OtherSessionsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(
            new NpgsqlConnectionStringBuilder(provider.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            SELECT coalesce(nullif(application_name, ''), 'a client') || coalesce(' from ' || host(client_addr), '')
            FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY 1
            """, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var sessions = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            sessions.Add(reader.GetString(0));
        }

        return sessions;
    }
}
