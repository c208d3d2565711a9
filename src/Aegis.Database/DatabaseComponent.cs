using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Aegis.Database;

/// <summary>
/// What every provider's <c>Add…Database</c> (a context the component registers) and <c>Enrich…Database</c> (a context
/// the application registered) have in common.
/// </summary>
internal static partial class DatabaseComponent
{
    /// <summary>
    /// The settings from <c>Aegis:Database</c>, then <paramref name="configure"/>. To enrich a context the application
    /// registered itself, the operational behaviours start off, and only what is asked for is turned on.
    /// </summary>
    public static AegisDatabaseSettings ReadSettings(IHostApplicationBuilder builder, Action<AegisDatabaseSettings>? configure, bool enriching = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = new AegisDatabaseSettings
        {
            DisableMigrationsOnStart = enriching,
            DisableBackups = enriching,
            DisableScheduler = enriching,
            DisableFaultMapping = enriching,
        };
        builder.Configuration.GetSection(AegisDatabaseSettings.SectionName).Bind(settings);
        configure?.Invoke(settings);
        settings.RootPath = Path.GetFullPath(settings.RootPath ?? ProjectRoot.SolutionFolder ?? builder.Environment.ContentRootPath);
        return settings;
    }

    /// <summary>Registers <typeparamref name="TContext"/> on <paramref name="provider"/>'s database, pooled, and the machinery around it.</summary>
    public static void Add<TContext>(
        IHostApplicationBuilder builder, DatabaseProvider provider, AegisDatabaseSettings settings,
        Action<DbContextOptionsBuilder>? configureDbContextOptions, Func<IServiceProvider, IEnumerable<IInterceptor>>? interceptors = null)
        where TContext : DbContext
    {
        // Pooled: a context is reset and reused rather than built for every request, which more than doubles write
        // throughput under load. The factory serves jobs and the machinery; a request's TContext comes from the pool too.
        builder.Services.AddPooledDbContextFactory<TContext>((services, options) =>
        {
            provider.Configure(options);
            options.AddInterceptors(Interceptors(services, interceptors));
            configureDbContextOptions?.Invoke(options);
        });
        AddMachinery<TContext>(builder, _ => provider, settings, readyOnStart: true);
    }

    /// <summary>Adds the machinery around <typeparamref name="TContext"/>, which the application registered itself.</summary>
    public static void Enrich<TContext>(
        IHostApplicationBuilder builder, Func<IServiceProvider, DatabaseProvider> provider, AegisDatabaseSettings settings,
        Func<IServiceProvider, IEnumerable<IInterceptor>>? interceptors = null)
        where TContext : DbContext
    {
        if (!builder.Services.Any(service => service.ServiceType == typeof(TContext)))
        {
            throw new InvalidOperationException(
                $"{typeof(TContext).Name} is not registered: register it first (AddDbContext, AddDbContextPool or AddPooledDbContextFactory), " +
                "then enrich it, or let the component register it (Add…Database).");
        }

        builder.Services.ConfigureDbContext<TContext>((services, options) => options.AddInterceptors(Interceptors(services, interceptors)));
        AddMachinery<TContext>(builder, provider, settings, readyOnStart: !settings.DisableMigrationsOnStart);
    }

    private static IInterceptor[] Interceptors(IServiceProvider services, Func<IServiceProvider, IEnumerable<IInterceptor>>? provider) =>
        [.. provider?.Invoke(services) ?? [], services.GetRequiredService<WriteHealth>(), UnitOfWorkGuard.Instance];

    private static void AddMachinery<TContext>(
        IHostApplicationBuilder builder, Func<IServiceProvider, DatabaseProvider> provider, AegisDatabaseSettings settings, bool readyOnStart)
        where TContext : DbContext
    {
        var services = builder.Services;
        var migrations = MigrationOptions.FromConfiguration(builder.Configuration);
        migrations = migrations with { MigrateOnStart = migrations.MigrateOnStart && !settings.DisableMigrationsOnStart };
        var backups = BackupOptions.FromConfiguration(builder.Configuration, settings.RootPath!);
        var role = builder.Configuration.GetAppRole();

        services.AddSingleton(provider);
        services.AddSingleton(services => new DatabaseContexts(services.GetRequiredService<IServiceScopeFactory>(), typeof(TContext)));
        services.AddSingleton(settings);
        services.AddSingleton(migrations);
        services.AddSingleton(backups);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(services => new DatabaseTelemetry(services.GetRequiredService<IMeterFactory>()));
        services.AddSingleton<WriteHealth>();
        services.AddSingleton(services => new UnitsOfWork(services.GetRequiredService<DatabaseTelemetry>()));
        services.AddSingleton<BackupJob>();
        services.AddSingleton<DatabaseStartup>();
        if (readyOnStart)
        {
            // Also with MIGRATE_ON_START=false: it then refuses a database that lacks migrations, rather than fail later.
            services.AddHostedService(services => services.GetRequiredService<DatabaseStartup>());
        }

        if (!settings.DisableFaultMapping)
        {
            services.AddProblemDetails();
            services.AddExceptionHandler<DatabaseFaultHandler>();
        }

        var scheduled = !settings.DisableScheduler && role.RunsScheduler();
        if (!settings.DisableBackups)
        {
            services.AddSingleton<IScheduledJob>(services => services.GetRequiredService<BackupJob>());
        }

        if (!settings.DisableScheduler)
        {
            services.AddSingleton<Scheduler>();
        }

        if (scheduled)
        {
            services.AddHostedService(services => services.GetRequiredService<Scheduler>());
        }

        // EF Core's own meter counts contexts, queries, saves and concurrency failures. Its tracing exists only as a
        // prerelease (OpenTelemetry.Instrumentation.EntityFrameworkCore); a provider may add its driver's spans.
        services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(DatabaseTelemetry.Name))
            .WithMetrics(metrics => metrics.AddMeter(DatabaseTelemetry.Name, "Microsoft.EntityFrameworkCore"));

        if (!settings.DisableHealthChecks)
        {
            // Where the component keeps the schema, it reads the migration history, so that a missing, emptied or corrupt
            // database, or an unreachable server, reports Unhealthy (503); elsewhere it asks whether it can connect.
            var checks = services.AddHealthChecks()
                .AddDbContextCheck<TContext>(
                    "database",
                    customTestQuery: readyOnStart ? async (db, cancellationToken) => (await db.Database.GetAppliedMigrationsAsync(cancellationToken)).Any() : null)
                .AddCheck<WriteHealth>("database-writes");
            if (!settings.DisableBackups)
            {
                checks.AddCheck<BackupJob>("database-backups");
            }
        }

        services.AddHostedService(services => new RegisteredLog(
            services.GetRequiredService<ILogger<DatabaseStartup>>(), services.GetRequiredService<DatabaseProvider>().DisplayName, typeof(TContext).Name, migrations.MigrateOnStart,
            settings.DisableBackups ? "off" : $"{backups.Schedule} (UTC), keeping {backups.Keep}", scheduled, !settings.DisableFaultMapping,
            !settings.DisableHealthChecks));
    }

    /// <summary>Says at start what the component registered, so that an operator sees which switches are off.</summary>
    private sealed partial class RegisteredLog(
        ILogger logger, string database, string context, bool migrateOnStart, string backups, bool scheduler, bool faultMapping, bool healthChecks)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogRegistered(database, context, migrateOnStart, backups, scheduler, faultMapping, healthChecks);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "Database {Database} for {Context}: migrations on start {MigrateOnStart}, " +
            "backups {Backups}, scheduler in this process {Scheduler}, 409/503 fault mapping {FaultMapping}, health checks {HealthChecks}.")]
        private partial void LogRegistered(
            string database, string context, bool migrateOnStart, string backups, bool scheduler, bool faultMapping, bool healthChecks);
    }
}
