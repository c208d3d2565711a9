using System.Diagnostics;
using my_project.Api.Database;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace my_project.Api.Tests.Database;

/// <summary>
/// Counts the SQL commands that a factory's service sends, from now until disposed, from EF Core's diagnostic events:
/// each <c>BEGIN</c> and <c>COMMIT</c> of a transaction too. Commands of other test classes, which run at the same time
/// on databases of their own, are not counted.
/// </summary>
public sealed class QueryCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly object options;
    private readonly IDisposable subscription;
    private readonly List<IDisposable> listeners = [];
    private readonly List<string> commands = [];

    public QueryCounter(ApiFactory factory)
    {
        options = factory.Services.GetRequiredService<DbContextOptions<AppDbContext>>();
        subscription = DiagnosticListener.AllListeners.Subscribe(this);
    }

    /// <summary>The SQL of each command sent so far.</summary>
    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (commands)
            {
                return [.. commands];
            }
        }
    }

    public void OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
        {
            lock (listeners)
            {
                listeners.Add(listener.Subscribe(this, name => name == RelationalEventId.CommandExecuted.Name
                    || name == RelationalEventId.TransactionStarted.Name || name == RelationalEventId.TransactionCommitted.Name));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is DbContextEventData { Context: { } context } && ReferenceEquals(context.GetService<IDbContextOptions>(), options))
        {
            var sql = value.Value is CommandExecutedEventData executed ? executed.Command.CommandText
                : value.Key == RelationalEventId.TransactionStarted.Name ? "BEGIN" : "COMMIT";
            lock (commands)
            {
                commands.Add(sql);
            }
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        subscription.Dispose();
        lock (listeners)
        {
            listeners.ForEach(listener => listener.Dispose());
        }
    }
}

/// <summary>
/// Query budgets: a request may send at most so many SQL commands, so that an endpoint that starts to send one query per
/// row (N+1) fails a test instead of production.
/// </summary>
public static class QueryBudget
{
    /// <summary>Sends <paramref name="request"/>, and fails naming the endpoint, the count and the SQL if it sent more than <paramref name="budget"/> commands.</summary>
    public static async Task<T> WithinAsync<T>(this ApiFactory factory, string endpoint, int budget, Func<Task<T>> request)
    {
        using var counter = new QueryCounter(factory);
        var result = await request();
        var commands = counter.Commands;
        Assert.True(commands.Count <= budget,
            $"{endpoint} sent {commands.Count} SQL command{(commands.Count == 1 ? "" : "s")}, over its budget of {budget}:\n{string.Join("\n", commands.Select(sql => "  " + sql.ReplaceLineEndings(" ")))}");
        return result;
    }
}
