using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using SQLitePCL;

namespace my_project.Api.Database;

/// <summary>
/// SQLite settings that belong to a connection rather than to the file, applied the first time EF Core opens each
/// native connection.
/// <list type="bullet">
/// <item><c>synchronous = NORMAL</c>: under WAL a commit survives an application crash and only the last commits can
/// be lost on power failure, for a fraction of FULL's cost (one fsync per checkpoint instead of per commit).</item>
/// <item><c>busy_timeout = 30000</c>: a connection that finds the database locked waits up to 30 s instead of
/// failing with "database is locked".</item>
/// <item><c>foreign_keys = ON</c>: SQLite enforces foreign keys only when asked, connection by connection.</item>
/// </list>
/// The file's own settings are made at start-up (<see cref="DatabaseStartup"/>: WAL, so readers never wait for the
/// writer); write transactions begin with <c>BEGIN IMMEDIATE</c>
/// (Microsoft.Data.Sqlite's default), so a transaction takes the lock when it begins and cannot fail half-way.
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON;";

    // The settings stay with the native connection, which Microsoft.Data.Sqlite pools and reopens for many requests:
    // apply them once per native connection, not on every open. An entry goes when its native connection is collected.
    private static readonly ConditionalWeakTable<sqlite3, object> Configured = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (IsNew(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (IsNew(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static bool IsNew(DbConnection connection) => Configured.TryAdd(((SqliteConnection)connection).Handle!, new object());
}
