using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Aegis.Database.Tests;

/// <summary>Scheduler processes that share a database: each due run happens once among them, whichever of them dies.</summary>
public sealed class ScheduledRunClaimsTests
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(3);

    [PostgresFact]
    public async Task Two_schedulers_run_each_due_run_once_and_when_the_one_running_is_killed_the_other_runs_the_next_ones()
    {
        await using var factory = new PostgresApiFactory();
        using (var created = await factory.CreateClient().GetAsync("/alive")) // the app creates and migrates its database
        {
            created.EnsureSuccessStatusCode();
        }

        await ExecuteAsync(factory, "CREATE TABLE test_job_runs (process int NOT NULL, started timestamptz NOT NULL)");
        var schedulers = new[] { Scheduler.Start(factory), Scheduler.Start(factory) };
        int killed;
        DateTime killedAt;
        try
        {
            await WaitForAsync(factory, "SELECT count(*) >= 3 FROM test_job_runs", TimeSpan.FromSeconds(60), schedulers);

            // Mid-run: the job takes 2 s of its 3 s period, so some run started less than a second ago is still going.
            var running = await WaitForAsync(factory, "SELECT process FROM test_job_runs WHERE started > now() - interval '1 second'", TimeSpan.FromSeconds(10), schedulers);
            killed = (int)running;
            killedAt = DateTime.UtcNow;
            schedulers.Single(scheduler => scheduler.Id == killed).Kill();

            await WaitForAsync(factory, $"SELECT count(*) >= 3 FROM test_job_runs WHERE started > '{killedAt:O}'", TimeSpan.FromSeconds(30), schedulers);
        }
        finally
        {
            foreach (var scheduler in schedulers)
            {
                scheduler.Kill();
            }
        }

        var runs = await RunsAsync(factory);
        var slots = runs.Select(run => run.Started.Ticks / Period.Ticks).ToList();
        var report = string.Join(", ", runs.Select(run => $"{run.Started:HH:mm:ss.fff} by {run.Process}")) + "\n" + string.Join("\n", schedulers.Select(s => s.Output));
        Assert.True(slots.Distinct().Count() == slots.Count, $"A due run ran twice: {report}");
        Assert.True(slots.Zip(slots.Skip(1), (a, b) => b - a).All(gap => gap <= 2), $"A run was lost for more than one period: {report}");
        Assert.Contains(runs, run => run.Process == killed && run.Started < killedAt);
        Assert.DoesNotContain(runs, run => run.Process == killed && run.Started > killedAt);
        Assert.True(runs.Count(run => run.Started > killedAt) >= 3, report);

        // The claims agree: every run that started was claimed by the process that ran it, once.
        var claims = await ClaimsAsync(factory);
        foreach (var run in runs)
        {
            Assert.Equal(run.Process, claims[run.Started.Ticks / Period.Ticks]);
        }
    }

    private static async Task ExecuteAsync(PostgresApiFactory factory, string sql)
    {
        await using var connection = await factory.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Polls <paramref name="sql"/> until it gives a row whose value is not false; fails with the schedulers' output after <paramref name="timeout"/>.</summary>
    private static async Task<object> WaitForAsync(PostgresApiFactory factory, string sql, TimeSpan timeout, Scheduler[] schedulers)
    {
        for (var started = Stopwatch.StartNew(); started.Elapsed < timeout; await Task.Delay(100))
        {
            await using var connection = await factory.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            if (await command.ExecuteScalarAsync() is { } value and not false and not DBNull)
            {
                return value;
            }
        }

        throw new TimeoutException($"No answer to \"{sql}\" within {timeout.TotalSeconds} s.\n{string.Join("\n", schedulers.Select(s => s.Output))}");
    }

    private static async Task<List<(int Process, DateTime Started)>> RunsAsync(PostgresApiFactory factory)
    {
        await using var connection = await factory.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT process, started FROM test_job_runs ORDER BY started", (NpgsqlConnection)connection);
        await using var reader = await command.ExecuteReaderAsync();
        var runs = new List<(int, DateTime)>();
        while (await reader.ReadAsync())
        {
            runs.Add((reader.GetInt32(0), reader.GetDateTime(1)));
        }

        return runs;
    }

    /// <summary>The process that claimed each slot, by the slot's number of periods since the epoch.</summary>
    private static async Task<Dictionary<long, int>> ClaimsAsync(PostgresApiFactory factory)
    {
        await using var connection = await factory.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT due, instance FROM aegis_scheduled_runs WHERE job = 'recording'", (NpgsqlConnection)connection);
        await using var reader = await command.ExecuteReaderAsync();
        var claims = new Dictionary<long, int>();
        while (await reader.ReadAsync())
        {
            claims.Add(reader.GetDateTime(0).Ticks / Period.Ticks, int.Parse(reader.GetString(1).Split('/')[1]));
        }

        return claims;
    }

    /// <summary>The test app as a process of its own that only schedules: the recording job every 3 s, each run 2 s long.</summary>
    private sealed class Scheduler
    {
        private readonly Process process;
        private readonly StringBuilder output = new();

        private Scheduler(Process process) => this.process = process;

        public int Id => process.Id;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return $"--- process {Id}:\n{output}";
                }
            }
        }

        public static Scheduler Start(PostgresApiFactory factory)
        {
            var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Aegis.Database.TestApp.dll")])
            {
                WorkingDirectory = Directory.CreateTempSubdirectory("aegis-scheduler-").FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment =
                {
                    ["DATABASE_URL"] = factory.DatabaseUrl,
                    ["APP_ROLE"] = "scheduler",
                    ["ASPNETCORE_ENVIRONMENT"] = "Production",
                    ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                    ["TEST_JOB_SCHEDULE"] = "*/3 * * * * *",
                    ["TEST_JOB_SECONDS"] = "2",
                },
            };
            var scheduler = new Scheduler(Process.Start(start)!);
            scheduler.process.OutputDataReceived += (_, line) => scheduler.Append(line.Data);
            scheduler.process.ErrorDataReceived += (_, line) => scheduler.Append(line.Data);
            scheduler.process.BeginOutputReadLine();
            scheduler.process.BeginErrorReadLine();
            return scheduler;
        }

        public void Kill()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }

        private void Append(string? line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
