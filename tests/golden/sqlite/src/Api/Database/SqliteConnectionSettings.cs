using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace my_project.Api.Database;

/// <summary>
/// SQLite settings that belong to a connection rather than to the file, applied whenever EF Core opens one.
/// <list type="bullet">
/// <item><c>synchronous = NORMAL</c>: under WAL a commit survives an application crash and only the last commits can
/// be lost on power failure, for a fraction of FULL's cost (one fsync per checkpoint instead of per commit).</item>
/// <item><c>busy_timeout = 30000</c>: a connection that finds the database locked waits up to 30 s instead of
/// failing with "database is locked".</item>
/// </list>
/// The file's own settings are made at start-up (<see cref="DatabaseStartup"/>: WAL, so readers never wait for the
/// writer); foreign keys are on through the connection string; write transactions begin with <c>BEGIN IMMEDIATE</c>
/// (Microsoft.Data.Sqlite's default), so a writer takes the lock before it reads and cannot fail half-way.
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
