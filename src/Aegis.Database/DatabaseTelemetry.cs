using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aegis.Database;

/// <summary>
/// What EF Core and the provider cannot measure, on the meter <c>Aegis.Database</c> (instruments <c>aegis.database.*</c>)
/// and a <c>unit of work</c> span per unit: how long a unit waited for its write turn, whether it committed, lock errors
/// and backups. Watch them live with <c>dotnet-counters monitor -n Api --counters Aegis.Database</c>.
/// </summary>
internal sealed class DatabaseTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    internal const string Name = "Aegis.Database";

    // Seconds, from 5 ms to 10 s: the boundaries ASP.NET Core uses for request durations.
    private static readonly InstrumentAdvice<double> ShortDurations = new() { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] };
    private static readonly InstrumentAdvice<double> BackupDurations = new() { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] };
    private static readonly ActivitySource Source = new(Name);

    private readonly Histogram<double> writeQueueWait;
    private readonly Histogram<double> unitOfWorkDuration;
    private readonly Counter<long> lockErrors;
    private readonly Histogram<double> backupDuration;
    private readonly Counter<long> backupFailures;
    private long lastBackup; // Unix seconds of the last successful backup this process took; 0 for none yet

    internal DatabaseTelemetry(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(Name);
        writeQueueWait = meter.CreateHistogram("aegis.database.write_queue.wait_time", "s",
            "Time a transaction waited for this process's write turn as it began (SQLite only: it has one writer at a time; PostgreSQL's server orders writers itself).",
            advice: ShortDurations);
        unitOfWorkDuration = meter.CreateHistogram("aegis.database.unit_of_work.duration", "s",
            "Time from a unit of work's start to its commit or rollback; outcome is committed or rolled_back.", advice: ShortDurations);
        lockErrors = meter.CreateCounter<long>("aegis.database.lock_errors", "{error}",
            "Commands that failed because the database was busy or locked; error.type says how, in the provider's words.");
        backupDuration = meter.CreateHistogram("aegis.database.backup.duration", "s", "Time a successful backup took.", advice: BackupDurations);
        backupFailures = meter.CreateCounter<long>("aegis.database.backup.failures", "{backup}", "Backups that failed (a cancelled one is not a failure).");
        meter.CreateObservableGauge("aegis.database.backup.last_success",
            () => Interlocked.Read(ref lastBackup) is > 0 and var last ? [new Measurement<long>(last)] : Array.Empty<Measurement<long>>(), "s",
            "Unix time at which the last successful backup of this process finished.");
    }

    /// <summary>Starts the <c>unit of work</c> span, if anyone listens.</summary>
    internal static Activity? StartUnitOfWorkActivity() => Source.StartActivity("unit of work");

    /// <summary>Whether anyone listens to unit durations: if not, a unit does not read the clock.</summary>
    internal bool MeasuresUnits => unitOfWorkDuration.Enabled;

    internal void UnitOfWorkEnded(TimeSpan duration, string outcome) =>
        unitOfWorkDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    internal void CountLockError(string errorType) => lockErrors.Add(1, new KeyValuePair<string, object?>("error.type", errorType));

    internal void BackupSucceeded(TimeSpan duration, DateTimeOffset finished)
    {
        backupDuration.Record(duration.TotalSeconds);
        Interlocked.Exchange(ref lastBackup, finished.ToUnixTimeSeconds());
    }

    internal void BackupFailed() => backupFailures.Add(1);

    /// <summary>Records how long a writer waited for this process's write turn, on the unit of work it waited in.</summary>
    internal void WriteTurnTaken(TimeSpan waited)
    {
        writeQueueWait.Record(waited.TotalSeconds);
        if (Activity.Current is { } unit && unit.Source == Source)
        {
            unit.SetTag("aegis.database.write_queue.wait_time", waited.TotalSeconds);
        }
    }
}
