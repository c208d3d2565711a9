#!/usr/bin/env bash
# Prices each part the generated service adds over bare EF Core, in server CPU µs per request (user + system, over the
# server's process group), on POST /shields and GET /shields/{id}, in the CPU-bound regime (the server and wrk pinned
# to one core after a warm-up on every core, as bench/run.sh --regimes cpu does).
# How: a copy of the source tree (the template source content/aegis, built in place against src/) is patched once so
# that each part can be switched off by an environment variable (PRICE_NO_*; honoured only by this copy, never by the
# product), published once (Release, JIT), and served once per variant with that variable set. A part's price is the
# variant's CPU per request subtracted from that of the service with everything on, measured at the start, after every
# third variant and at the end (the median; the spread of those runs is the noise). Bare EF Core (bench/BareEf) is measured too.
# Every server runs with tiered compilation off (DOTNET_TieredCompilation=0: each method is compiled once, optimised):
# with it on, the JIT's background compilations of a server under load on a shared machine were still under way after
# 20 s and made up to half of the CPU measured. A toggle whose code is not in the tree (a part already cut) is reported
# as such.
# Usage: bench/price.sh [TREE]   TREE: a checkout to price (default: this one). About 10 minutes.
#   PRICE_ONLY="PRICE_NO_X ..."  measures only these toggles (and OpenTelemetry off only if listed as otel)
#   PRICE_REGIME=lock             the lock-bound regime instead: not pinned, SQLite's log writes slowed by bench/slow-wal.c
#   PRICE_CORE=N                  the core to pin to (default: the last)
#   PRICE_EXTRA="VAR=value ..."   also measures the service with each of these set (for toggles a tree under trial reads)
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(cd "${1:-$(dirname "$bench")}" && pwd)
warmup=${PRICE_WARMUP:-8} duration=${PRICE_DURATION:-6} connections=32
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1
unset PORT DATABASE_URL ASPNETCORE_URLS ASPNETCORE_ENVIRONMENT DOTNET_ENVIRONMENT APP_ROLE

work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-price-XXXXXX")
server=""
cleanup() {
  [ -z "$server" ] || kill -KILL -- "-$server" 2>/dev/null || true
  if [ -n "${AEGIS_BENCH_KEEP:-}" ]; then echo "price: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "price: $*" >&2; exit 1; }

# The copy, without build output.
tar -C "$tree" --exclude=bin --exclude=obj --exclude=.git --exclude=tests/golden -cf - \
  Directory.Build.props global.json src content/aegis tests/Aegis.Templates.Tests/InGenerated bench/BareEf | tar -C "$work" -xf - \
  || fail "cannot copy $tree"
[ -f "$tree/Directory.Packages.props" ] && cp "$tree/Directory.Packages.props" "$work/"
copy=$work

# toggle NAME FILE PERL: applies the substitution to FILE (relative to the copy); records NAME as available if it matched.
available=()
toggle() {
  local name=$1 file=$copy/$2 expression=$3
  if [ -f "$file" ] && perl -0 -e "\$_ = <>; exit((${expression}) ? 0 : 1)" "$file"; then
    perl -0pi -e "${expression}" "$file"
    available+=("$name")
  else
    echo "price: $name not applicable (its code is not in $2)"
  fi
}
off() { printf 'Environment.GetEnvironmentVariable("%s") is null' "$1"; }

api=content/aegis/src/Api
toggle PRICE_NO_OTEL_LOGGING $api/Infrastructure/Telemetry.cs \
  's/(\n\s*)(builder\.Logging\.AddOpenTelemetry\()/$1if ('"$(off PRICE_NO_OTEL_LOGGING)"') $2/'
toggle PRICE_NO_ASPNET_TRACING $api/Infrastructure/Telemetry.cs \
  's/tracing\s*\n\s*\.AddAspNetCoreInstrumentation\((options => options\.Filter = [^\n]*)\)\s*\n\s*\.AddHttpClientInstrumentation\(\);/if ('"$(off PRICE_NO_ASPNET_TRACING)"') tracing.AddAspNetCoreInstrumentation($1); tracing.AddHttpClientInstrumentation();/'
toggle PRICE_NO_ASPNET_METRICS $api/Infrastructure/Telemetry.cs \
  's/\.WithMetrics\(metrics => metrics\s*\n\s*\.AddAspNetCoreInstrumentation\(\)/.WithMetrics(metrics => _ = !('"$(off PRICE_NO_ASPNET_METRICS)"') ? metrics : metrics.AddAspNetCoreInstrumentation()/'
toggle PRICE_NO_EF_METER src/Aegis.Database/DatabaseComponent.cs \
  's/metrics\.AddMeter\(DatabaseTelemetry\.Name, "Microsoft\.EntityFrameworkCore"\)/metrics.AddMeter('"$(off PRICE_NO_EF_METER)"' ? new[] { DatabaseTelemetry.Name, "Microsoft.EntityFrameworkCore" } : new[] { DatabaseTelemetry.Name })/'
toggle PRICE_NO_VALIDATION $api/Infrastructure/ServiceDefaults.cs \
  's/(\n\s*)(builder\.Services\.AddValidation\(\);)/$1if ('"$(off PRICE_NO_VALIDATION)"') $2/'
toggle PRICE_NO_PROBLEMS $api/Infrastructure/ServiceDefaults.cs \
  's/(app\.UseExceptionHandler\(\);\s*app\.UseStatusCodePages\(\);)/if ('"$(off PRICE_NO_PROBLEMS)"') { $1 }/'
# Without the unit of work, a filter saves what the handler changed (POST only adds): the price of the unit's machinery.
toggle PRICE_NO_UNIT_OF_WORK $api/Shields/ShieldsApi.cs \
  's/var writes = shields\.MapGroup\(""\)\.WithUnitOfWork\(\);/var writes = '"$(off PRICE_NO_UNIT_OF_WORK)"' ? shields.MapGroup("").WithUnitOfWork() : shields.MapGroup("").AddEndpointFilter(async (context, next) => { var result = await next(context); await context.HttpContext.RequestServices.GetRequiredService<AppDbContext>().SaveChangesAsync(); return result; });/'
toggle PRICE_NO_TRANSACTION $api/Database/DbSession.cs \
  's/await using var transaction = await db\.Database\.BeginTransactionAsync\(token\);/await using var transaction = '"$(off PRICE_NO_TRANSACTION)"' ? await db.Database.BeginTransactionAsync(token) : null;/ && s/await transaction\.CommitAsync\(CancellationToken\.None\);/await (transaction?.CommitAsync(CancellationToken.None) ?? Task.CompletedTask);/'
toggle PRICE_NO_SAVEPOINTS $api/Database/DbSession.cs \
  's/(await using var transaction = [^\n]*\n)/$1            if (!('"$(off PRICE_NO_SAVEPOINTS)"')) db.Database.AutoSavepointsEnabled = false;\n/'
toggle PRICE_NO_WRITE_QUEUE src/Aegis.Database.Sqlite/SqliteDatabaseExtensions.cs \
  's/\[new SqliteProvider\.ConnectionSettings\(\), services\.GetRequiredService<SqliteWriteQueue>\(\)\]/'"$(off PRICE_NO_WRITE_QUEUE)"' ? new IInterceptor[] { new SqliteProvider.ConnectionSettings(), services.GetRequiredService<SqliteWriteQueue>() } : new IInterceptor[] { new SqliteProvider.ConnectionSettings() }/'
toggle PRICE_NO_EF_INTERCEPTORS src/Aegis.Database/DatabaseComponent.cs \
  's/\[\.\. provider\?\.Invoke\(services\) \?\? \[\], services\.GetRequiredService<WriteHealth>\(\), UnitOfWorkGuard\.Instance\]/'"$(off PRICE_NO_EF_INTERCEPTORS)"' ? (IInterceptor[])[.. provider?.Invoke(services) ?? [], services.GetRequiredService<WriteHealth>(), UnitOfWorkGuard.Instance] : (IInterceptor[])[.. provider?.Invoke(services) ?? []]/'

[ -z "${PRICE_PATCH_ONLY:-}" ] || { echo "price: patched copy in $work (toggles: ${available[*]})"; AEGIS_BENCH_KEEP=1; exit 0; }
echo "price: publishing the patched service and bare EF Core (Release, JIT)"
dotnet publish "$copy/$api/Api.csproj" -c Release -o "$work/ours" -p:TreatWarningsAsErrors=false -p:RunAnalyzers=false >"$work/publish.log" 2>&1 \
  || { tail -n 40 "$work/publish.log" >&2; fail "publish failed"; }
dotnet publish "$copy/bench/BareEf/BareEf.csproj" -c Release -o "$work/bare" >"$work/publish-bare.log" 2>&1 \
  || { tail -n 40 "$work/publish-bare.log" >&2; fail "publish of BareEf failed"; }

core=${PRICE_CORE:-$(($(nproc) - 1))}
regime=${PRICE_REGIME:-cpu} preload=()
if [ "$regime" = lock ]; then
  cc -O2 -shared -fPIC -o "$work/slow-wal.so" "$bench/slow-wal.c" -ldl || fail "cannot compile bench/slow-wal.c"
  preload=(LD_PRELOAD="$work/slow-wal.so")
  core=0-$(($(nproc) - 1))
fi
clock_ticks=$(getconf CLK_TCK)
cpu_seconds() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^[0-9]* (.*) //' |
    awk -v group="$1" -v hz="$clock_ticks" '$3 == group { t += $12 + $13 } END { printf "%.2f", t / hz }'
}
free_port() { echo $((10000 + RANDOM % 20000)); }

# measure LABEL DIR DLL [VAR=value ...]: serves DLL pinned to $core on a fresh database; POST then GET; prints and
# records "LABEL post-µs get-µs post-req/s get-req/s".
measure() {
  local label=$1 dir=$2 dll=$3 port before after requests
  shift 3
  port=$(free_port)
  rm -f "$work/db.db"*
  (cd "$dir" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production DOTENV=false DOTNET_TieredCompilation=0 \
    DATABASE_URL="sqlite:///$work/db.db" "${preload[@]}" "$@" setsid dotnet "$dll") >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 300); do curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" && break; sleep 0.1; done
  curl -fs -o /dev/null "http://127.0.0.1:$port/health" || { tail -n 30 "$work/server.log" >&2; fail "$label did not start"; }
  local figures=()
  for scenario in post get; do
    local args=(post)
    [ $scenario = get ] && args=(get "$max_id")
    if [ $scenario = post ]; then # warmed up on every core, then pinned with wrk: the JIT's work is done sooner
      timeout $((warmup + 30)) wrk -t2 -c$connections -d"${warmup}s" -s "$bench/shields.lua" "http://127.0.0.1:$port" -- "${args[@]}" \
        >"$work/wrk.txt" 2>&1 || fail "wrk failed"
      for process in $(pgrep -g "$server"); do taskset -a -p -c "$core" "$process" >/dev/null; done
    fi
    timeout 40 taskset -c "$core" wrk -t2 -c$connections -d2s -s "$bench/shields.lua" "http://127.0.0.1:$port" -- "${args[@]}" \
      >"$work/wrk.txt" 2>&1 || fail "wrk failed"
    before=$(cpu_seconds "$server")
    timeout $((duration + 30)) taskset -c "$core" wrk -t2 -c$connections -d"${duration}s" \
      -s "$bench/shields.lua" "http://127.0.0.1:$port" -- "${args[@]}" >"$work/wrk.txt" 2>&1 || fail "wrk failed"
    after=$(cpu_seconds "$server")
    read -r rps _ _ non2xx _ requests < <(awk '$1 == "wrk-result" { print $2, $3, $4, $5, $6, $7 }' "$work/wrk.txt")
    [ "$non2xx" = 0 ] || echo "price: WARNING $label $scenario: $non2xx non-2xx responses"
    [ $scenario = post ] && max_id=$((requests > 1 ? requests : 1))
    figures+=("$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')" "$rps")
  done
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
  echo "$label ${figures[0]} ${figures[2]} ${figures[1]} ${figures[3]}" | tee -a "$work/figures.txt"
}

echo "label post-µs get-µs post-req/s get-req/s (regime $regime: pinned to core $core, ${duration} s each after ${warmup} s of POST warm-up)"
max_id=1
measure all-on "$work/ours" Api.dll
measure bare-ef "$work/bare" BareEf.dll
if [ -n "${PRICE_ONLY:-}" ]; then
  wanted=()
  for name in "${available[@]}"; do [[ " $PRICE_ONLY " == *" $name "* ]] && wanted+=("$name"); done
  available=("${wanted[@]}")
fi
[ -n "${PRICE_ONLY:-}" ] && [[ " $PRICE_ONLY " != *" otel "* ]] || measure otel-sdk-disabled "$work/ours" Api.dll OTEL_SDK_DISABLED=true
for i in "${!available[@]}"; do # the service with everything on again after every third variant: the run's drift
  [ "$i" -gt 0 ] && [ $((i % 3)) = 0 ] && measure all-on "$work/ours" Api.dll
  measure "${available[$i]}" "$work/ours" Api.dll "${available[$i]}=1"
done
for variant in ${PRICE_EXTRA:-}; do measure "$variant" "$work/ours" Api.dll "$variant"; done
measure all-on "$work/ours" Api.dll
measure bare-ef "$work/bare" BareEf.dll

echo
echo "| part switched off | POST µs/request | price | GET µs/request | price |"
echo "| --- | ---: | ---: | ---: | ---: |"
awk '$1 == "all-on" { p[++n] = $2; g[n] = $3 } $1 != "all-on" { label[++m] = $1; post[m] = $2; get[m] = $3 }
  function median(v, k,   s, i, j, t) { for (i = 1; i <= k; i++) s[i] = v[i]; for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }; return s[int((k + 1) / 2)] }
  END {
    mp = median(p, n); mg = median(g, n)
    lo = hi = p[1]; for (i = 2; i <= n; i++) { if (p[i] < lo) lo = p[i]; if (p[i] > hi) hi = p[i] }
    printf "| nothing (all on; median of %s runs, POST %d-%d) | %d | | %d | |\n", n, lo, hi, mp, mg
    for (i = 1; i <= m; i++) printf "| %s | %d | %+d | %d | %+d |\n", label[i], post[i], mp - post[i], get[i], mg - get[i]
  }' "$work/figures.txt"
