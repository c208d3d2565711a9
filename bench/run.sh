#!/usr/bin/env bash
# The benchmarks of the generated service and the template, each figure printed with its ratio to a baseline
# measured in this same run, then a summary table (RESULTS.md is written from a full run's output):
#   1. HTTP: the generated --database service (Release, Production) against two baselines, bench/Baseline (a minimal
#      API on raw Microsoft.Data.Sqlite) and bench/BareEf (the same API by hand on bare EF Core), POST /shields then
#      GET /shields/{id} with wrk. The first figure is the server's CPU time per request (user + system, from
#      /proc/<pid>/stat, summed over every process of the server's process group, over each measured scenario): it
#      holds whichever regime the machine is in. Then requests/s, p50/p99, non-2xx, RSS. All three are published the
#      same way (JIT by default; AEGIS_BENCH_PUBLISH=r2r for ReadyToRun) and get the same warm-up.
#      Each regime serves the three afresh and prints its ratios side by side with bare EF Core's:
#        cpu      CPU-bound, forced: the server (after its warm-up on every core) and wrk pinned together onto one
#                 core (taskset), so throughput follows CPU per request;
#        lock     lock-bound, forced: every server's writes to SQLite's write-ahead log sleep AEGIS_BENCH_WAL_DELAY_US
#                 (50 µs) each (bench/slow-wal.c, LD_PRELOAD: a slow disk), so writers wait on SQLite's lock;
#        natural  nothing forced: whatever this machine does.
#      The regime each scenario was in is decided, and printed, by one rule: the cores that the server and wrk may use
#      (/proc/stat) were busy at least 90% of the measured seconds: CPU-bound; otherwise they sat idle while requests
#      waited (for SQLite's lock, or a disk): lock-bound.
#   2. The session helper (DbSession.RunAsync) against bare DbContext + SaveChanges (measured twice: the run's noise)
#      and raw SQLite, and opening the connection EF Core makes against a plain SqliteConnection: BenchmarkDotNet.
#   3. `dotnet new aegis --database` against `dotnet new webapi` (with and without the CLI's update check), and the
#      service's cold start against an empty `dotnet new web` app: hyperfine.
# Usage: bench/run.sh [--regimes cpu,lock]   full run, both forced regimes (about 13 minutes on 2 cores)
#        bench/run.sh --smoke                 a few seconds per scenario: proves the harness works; its figures mean little
# Needs dotnet, wrk, hyperfine, curl, taskset and a C compiler (cc). Everything it makes goes to a temporary folder
# that is deleted at the end (AEGIS_BENCH_KEEP=1 keeps it). Exits non-zero only when the harness fails, never because a
# target is missed.
set -euo pipefail

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$bench")
mode=full warmup=15 duration=8 rounds=3 runs=10 bdn_args=() regimes=cpu,lock
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) mode=smoke warmup=1 duration=3 rounds=1 runs=3 bdn_args=(--smoke) ;;
    --regimes) regimes=${2:?--regimes needs a list: cpu,lock,natural}; shift ;;
    *) echo "usage: bench/run.sh [--smoke] [--regimes cpu,lock,natural]" >&2; exit 2 ;;
  esac
  shift
done
connections=32 pin=() server_env=() wrk_pin=()
publish_mode=${AEGIS_BENCH_PUBLISH:-jit}

missing=()
for tool in dotnet wrk hyperfine curl taskset cc; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench: ${missing[*]} not found. On Debian/Ubuntu: sudo apt-get install -y wrk hyperfine curl util-linux gcc (and the .NET 10 SDK)." >&2
  exit 2
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en \
  MSBUILDDISABLENODEREUSE=1
unset PORT DATABASE_URL ASPNETCORE_URLS ASPNETCORE_ENVIRONMENT DOTNET_ENVIRONMENT APP_ROLE # the user's shell must not leak in

work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-bench-XXXXXX")
servers=()
cleanup() {
  for server in "${servers[@]}"; do
    kill -KILL -- "-$server" 2>/dev/null || true
  done
  if [ -n "${AEGIS_BENCH_KEEP:-}" ]; then echo "bench: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n=== %s\n' "$*"; }
fail() { echo "bench: $*" >&2; exit 1; }
# Runs a command quietly; shows its output only if it fails.
quiet() { "$@" >"$work/quiet.log" 2>&1 || { cat "$work/quiet.log" >&2; fail "failed: $*"; }; }

summary=$work/summary.md
printf '| figure | measured | baseline | ratio | target |\n| --- | ---: | ---: | ---: | --- |\n' >"$summary"

# ratio FIGURE UNIT MEASURED BASELINE [TARGET]: prints "ratio  FIGURE: MEASURED / BASELINE = R" and adds a summary
# row. TARGET is ">= 0.8" or "<= 1.05"; whether it is met is reported, never enforced.
ratio() {
  local figure=$1 unit=$2 measured=$3 base=$4 target=${5:-} r verdict=""
  r=$(awk -v a="$measured" -v b="$base" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
  if [ -n "$target" ] && [ "$r" != n/a ]; then
    verdict=$(awk -v r="$r" -v op="${target% *}" -v t="${target#* }" \
      'BEGIN { print ((op == ">=" ? r >= t : r <= t) ? "met" : "MISSED") }')
  fi
  printf 'ratio  %s: %s / %s %s = %s%s\n' "$figure" "$measured" "$base" "$unit" "$r" "${target:+  (target $target: $verdict)}"
  printf '| %s | %s %s | %s %s | %s | %s |\n' "$figure" "$measured" "$unit" "$base" "$unit" "$r" "${target:+$target $verdict}" >>"$summary"
}

# A figure without a meaningful ratio (counts of errors): a summary row with "-".
figure() {
  printf 'figure %s: %s / %s\n' "$1" "$2" "$3"
  printf '| %s | %s | %s | - | |\n' "$1" "$2" "$3" >>"$summary"
}

step "Machine ($mode run)"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "memory: $(free -h | awk '/^Mem:/ { print $2 }')"
  echo "sdk: $(dotnet --version); $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2); $(hyperfine --version)"
  # Other work on the machine slows both sides of a ratio, but not always equally: high load makes figures noisy.
  echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; $(nproc) cores)"
} | tee "$work/machine.txt"

step "Build: the template pack, bench-app (dotnet new aegis --database), an empty web app and bench/ (Release)"
hive=$work/hive # a template hive of its own: the user's installed templates are never touched
quiet dotnet pack "$repo/Aegis.Templates.csproj" -o "$work/pkg" --artifacts-path "$work/build/pack"
# The library the generated project references, from this checkout, at a version of this run's own, restored into a
# package folder of this run's own (the machine's is only a read-only fallback for everything else): another build on
# the machine that clears or refills the shared folder's aegis.* can neither break nor hide it.
library_version="0.0.0-bench.$(date +%s).$$"
for library in Aegis.Hosting Aegis.Database Aegis.Database.Sqlite Aegis.Database.PostgreSQL; do
  quiet dotnet pack "$repo/src/$library/$library.csproj" -o "$work/pkg" --artifacts-path "$work/build/pack" -p:Version="$library_version"
done
export RestoreAdditionalProjectSources="$work/pkg" RestoreFallbackFolders="${NUGET_PACKAGES:-$HOME/.nuget/packages}" NUGET_PACKAGES="$work/nuget"
quiet dotnet new install "$(ls "$work"/pkg/Aegis.Templates.*.nupkg)" --debug:custom-hive "$hive"
quiet dotnet new aegis -n bench-app --database --no-restore -o "$work/bench-app" --debug:custom-hive "$hive"
sed -i -E "s/(Include=\"Aegis\.[A-Za-z.]+\" Version=)\"[^\"]*\"/\1\"$library_version\"/" "$work/bench-app/Directory.Packages.props"
grep -q "$library_version" "$work/bench-app/Directory.Packages.props" || fail "bench-app does not reference the library at $library_version"
quiet dotnet new web -n empty-web --no-restore -o "$work/empty-web" --debug:custom-hive "$hive"
publish() { # PROJECT NAME [ARGS]: Release build into $work/publish/NAME; obj/ and bin/ stay out of the repository
  quiet dotnet publish "$1" -c Release -o "$work/publish/$2" --artifacts-path "$work/build/$2" "${@:3}"
}
# The HTTP servers, all three published the same way: JIT (a plain Release publish) or ReadyToRun (for this platform);
# the cold start below uses the service as the Dockerfile publishes it, ReadyToRun.
if [ "$publish_mode" = r2r ]; then mode_args=(--use-current-runtime -p:PublishReadyToRun=true) mode_name=ReadyToRun; else mode_args=() mode_name=JIT; fi
publish "$work/bench-app/src/Api/Api.csproj" ours-$publish_mode "${mode_args[@]}"
publish "$bench/Baseline/Baseline.csproj" baseline-$publish_mode "${mode_args[@]}"
publish "$bench/BareEf/BareEf.csproj" bare-$publish_mode "${mode_args[@]}"
[ "$publish_mode" = r2r ] || publish "$work/bench-app/src/Api/Api.csproj" ours-r2r --use-current-runtime -p:PublishReadyToRun=true
cc -O2 -shared -fPIC -o "$work/slow-wal.so" "$bench/slow-wal.c" -ldl || fail "cannot compile bench/slow-wal.c"
publish "$work/empty-web/empty-web.csproj" empty
publish "$bench/SessionBench/SessionBench.csproj" session -p:AegisApiProject="$work/bench-app/src/Api/Api.csproj"
echo "built in $work/publish: ours, baseline and bare ($mode_name), ours-r2r, empty, session; $work/slow-wal.so"

# A port below the kernel's ephemeral range: a port in it can be held by a client socket (wrk's, curl's) that nothing
# listens on, so the check below passes and the server's bind then fails.
free_port() {
  local candidate low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  for _ in $(seq 100); do
    candidate=$((10000 + RANDOM % (low - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null || { echo "$candidate"; return; }
  done
  fail "no free loopback port found"
}

running() { # PID: alive and not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $stat != *") Z "* ]]
}

# serve NAME DLL [FOLDER]: starts a published server from its folder (publish/FOLDER, default NAME: its content root,
# as in the Dockerfile) on 127.0.0.1 with a fresh database, in a process group of its own; waits at most 60 s for
# /health. Sets $port and $pid.
serve() {
  port=$(free_port)
  rm -f "$work/$1.db"*
  (cd "$work/publish/${3:-$1}" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production \
    DATABASE_URL="sqlite:///$work/$1.db" "${server_env[@]}" setsid dotnet "$2") >"$work/$1.log" 2>&1 &
  pid=$!
  servers+=("$pid")
  for _ in $(seq 600); do
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" && return
    running "$pid" || break
    sleep 0.1
  done
  tail -n 40 "$work/$1.log" >&2
  fail "$1 did not serve /health on port $port"
}

stop() { # SIGTERM to the server's group, SIGKILL after 10 s
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    running "$pid" || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# The first POST and GET on a fresh database, as status, Location and body: both servers must answer alike.
probe() {
  curl -s -w ' %{http_code} %header{location}\n' -H 'Content-Type: application/json' \
    -d '{"name":"Probe","defenseRating":50}' "http://127.0.0.1:$port/shields"
  curl -s -w ' %{http_code}\n' "http://127.0.0.1:$port/shields/1"
  curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/shields/999999999"
}

# load SECONDS post | load SECONDS get MAX_ID: wrk for SECONDS, bounded by timeout; prints wrk's report and sets
# $result to: requests/s p50-ms p99-ms non-2xx socket-errors requests.
load() {
  timeout $(($1 + 60)) "${wrk_pin[@]}" wrk -t2 -c"$connections" -d"$1s" --timeout 10s -s "$bench/shields.lua" \
    "http://127.0.0.1:$port" -- "${@:2}" >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; fail "wrk failed"; }
  result=$(awk '$1 == "wrk-result" { print $2, $3, $4, $5, $6, $7 }' "$work/wrk.txt")
  [ -n "$result" ] || { cat "$work/wrk.txt" >&2; fail "wrk printed no result"; }
}

# Seconds of CPU the server has used so far (user + system), from /proc/PID/stat, over every process of its process
# group (serve starts each server with setsid, so the group is the server and anything it starts).
clock_ticks=$(getconf CLK_TCK)
cpu_seconds() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | sed 's/^[0-9]* (.*) //' |
    awk -v group="$1" -v hz="$clock_ticks" '$3 == group { t += $12 + $13 } END { printf "%.2f", t / hz }'
}
# Pins every thread of every process of the server's group to $cores, when the regime pins.
pin_server() {
  [ ${#pin[@]} -gt 0 ] || return 0
  local process
  for process in $(pgrep -g "$1"); do
    taskset -a -p -c "$cores" "$process" >/dev/null || fail "cannot pin process $process to core $cores"
  done
}
# Busy and total jiffies of the cores in $cores (a taskset list such as "1" or "0-1"), from /proc/stat.
core_ticks() {
  awk -v list="$cores" 'BEGIN { n = split(list, parts, ","); for (i = 1; i <= n; i++) { if (split(parts[i], r, "-") == 2) { for (c = r[1]; c <= r[2]; c++) want["cpu" c] = 1 } else want["cpu" parts[i]] = 1 } }
    $1 in want { for (i = 2; i <= 9; i++) total += $i; idle += $5 + $6 } END { print total - idle, total }' /proc/stat
}

median() { xargs -n1 | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

for regime in ${regimes//,/ }; do
  all_cores="0-$(($(nproc) - 1))"
  case $regime in
    cpu) cores=$(($(nproc) - 1)) pin=(taskset -c "$cores") server_env=() ;;
    lock) cores=$all_cores pin=() server_env=(LD_PRELOAD="$work/slow-wal.so" AEGIS_BENCH_WAL_DELAY_US="${AEGIS_BENCH_WAL_DELAY_US:-50}") ;;
    natural) cores=$all_cores pin=() server_env=() ;;
    *) fail "unknown regime $regime (cpu, lock, natural)" ;;
  esac
  case $regime in
    cpu) forced="CPU-bound forced: each server, after its warm-up, and wrk pinned to core $cores" ;;
    lock) forced="lock-bound forced: SQLite's log writes sleep ${AEGIS_BENCH_WAL_DELAY_US:-50} µs each" ;;
    natural) forced="nothing forced" ;;
  esac
  step "HTTP, regime $regime ($forced; $mode_name, all three servers): POST /shields, then GET /shields/{id}; $connections connections, $rounds rounds of ${duration} s each"
  # The servers run side by side and take turns (generated, raw baseline, bare EF Core) in each of several rounds, so that
  # each ratio compares measurements taken back to back: on a shared machine, other work would otherwise load one side
  # more. Each figure is the median of its rounds, and every round's ratio to bare EF Core is printed beside it.
  servers_under_test=(ours baseline bare)
  unset http ports pids max_id rounds_of
  declare -A http ports pids max_id rounds_of
  for name in "${servers_under_test[@]}"; do
    case $name in ours) dll=Api.dll ;; baseline) dll=Baseline.dll ;; bare) dll=BareEf.dll ;; esac
    serve $name $dll $name-$publish_mode
    ports[$name]=$port pids[$name]=$pid
    probe >"$work/$name.probe"
  done
  for name in baseline bare; do
    if ! diff "$work/ours.probe" "$work/$name.probe"; then
      fail "the generated service and $name answer the same requests differently (above: < generated, > $name)"
    fi
  done
  echo "all servers answered the probe requests identically ($regime): $(head -n1 "$work/ours.probe")"

  for scenario in POST GET; do
    for round in $(seq "$rounds"); do
      for name in "${servers_under_test[@]}"; do
        port=${ports[$name]} pid=${pids[$name]}
        if [ $scenario = POST ]; then args=(post); else args=(get "${max_id[$name]}"); fi
        # Not counted, and the same for every server: lets the JIT tier up and the pools fill (the first round, on every
        # core: pinned to one, the JIT's compilations of a slow server were still running 20 s later), and the machine
        # settle after the server before (the others). Then every thread of the server, and wrk, is pinned for the regime.
        if [ "$round" = 1 ] && [ $scenario = POST ]; then
          wrk_pin=()
          load "$warmup" "${args[@]}"
          pin_server "$pid"
        fi
        wrk_pin=("${pin[@]}")
        load 2 "${args[@]}"
        cpu_before=$(cpu_seconds "$pid")
        read -r busy_before total_before < <(core_ticks)
        load "$duration" "${args[@]}"
        read -r busy_after total_after < <(core_ticks)
        cpu_after=$(cpu_seconds "$pid")
        grep -v '^wrk-result' "$work/wrk.txt"
        read -r rps p50 p99 non2xx errors requests <<<"$result"
        [ "$requests" -gt 0 ] || fail "$name $scenario: no request completed"
        cpu=$(awk -v a="$cpu_before" -v b="$cpu_after" -v n="$requests" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }')
        busy=$(awk -v b="$((busy_after - busy_before))" -v t="$((total_after - total_before))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * b / t : 0) }')
        used=$(awk -v a="$cpu_before" -v b="$cpu_after" -v d="$duration" 'BEGIN { printf "%.2f", (b - a) / d }')
        if [ "$busy" -ge 90 ]; then bound=cpu; else bound=lock; fi
        echo "$name $scenario, round $round: server CPU $cpu µs per request; $rps requests/s, p50 $p50 ms, p99 $p99 ms, $non2xx non-2xx, $errors socket errors; cores $cores busy $busy%, server $used cores: $bound-bound"
        if [ "$non2xx" -gt 0 ] || [ "$errors" -gt 0 ]; then
          echo "WARNING: $name $scenario had $non2xx non-2xx responses and $errors socket errors; see $work/$name.log"
        fi
        rounds_of[$name.$scenario.rps]+="$rps " rounds_of[$name.$scenario.p50]+="$p50 " rounds_of[$name.$scenario.p99]+="$p99 "
        rounds_of[$name.$scenario.cpu]+="$cpu " rounds_of[$name.$scenario.non2xx]=$((${rounds_of[$name.$scenario.non2xx]:-0} + non2xx))
        rounds_of[$name.$scenario.busy]+="$busy " rounds_of[$name.$scenario.bound]+="$bound "
        if [ $scenario = POST ] && [ -z "${max_id[$name]:-}" ]; then # ids 1..(successful POSTs) exist: GET reads those
          max_id[$name]=$((requests - non2xx > 1 ? requests - non2xx : 1))
        fi
      done
    done
    for name in "${servers_under_test[@]}"; do
      http[$name.$scenario]="$(for figure in rps p50 p99; do echo "${rounds_of[$name.$scenario.$figure]}" | median; done | xargs) ${rounds_of[$name.$scenario.non2xx]} $(echo "${rounds_of[$name.$scenario.cpu]}" | median) $(echo "${rounds_of[$name.$scenario.busy]}" | median)"
      http[$name.$scenario.bound]=$(echo "${rounds_of[$name.$scenario.bound]}" | xargs -n1 | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
    done
    echo "$scenario per round ($regime), generated / bare EF Core: CPU per request $(paste -d/ <(echo "${rounds_of[ours.$scenario.cpu]}" | tr ' ' '\n') <(echo "${rounds_of[bare.$scenario.cpu]}" | tr ' ' '\n') | awk -F/ 'NF == 2 && $2 > 0 { printf "%.2f ", $1 / $2 }')throughput $(paste -d/ <(echo "${rounds_of[ours.$scenario.rps]}" | tr ' ' '\n') <(echo "${rounds_of[bare.$scenario.rps]}" | tr ' ' '\n') | awk -F/ 'NF == 2 && $2 > 0 { printf "%.2f ", $1 / $2 }')"
  done
  for name in "${servers_under_test[@]}"; do
    pid=${pids[$name]}
    http[$name.rss]=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
    echo "$name ($regime): resident memory after the HTTP scenarios ${http[$name.rss]} MiB"
    stop
  done

  # The regime's figures side by side, CPU per request first.
  table=$work/regime-$regime.md
  printf '| %s regime (%s) | generated | bare EF Core | generated / bare EF Core | raw baseline | generated / raw |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' "$regime" "$forced" >"$table"
  for scenario in POST GET; do
    read -r rps p50 p99 non2xx cpu busy <<<"${http[ours.$scenario]}"
    read -r base_rps base_p50 base_p99 base_non2xx base_cpu base_busy <<<"${http[baseline.$scenario]}"
    read -r ef_rps ef_p50 ef_p99 ef_non2xx ef_cpu ef_busy <<<"${http[bare.$scenario]}"
    if [ $scenario = POST ]; then path="/shields" cpu_target="<= 1.3" ef_target=">= 1.0"; else path="/shields/{id}" cpu_target="<= 1.05" ef_target=">= 1.1"; fi
    what="$scenario $path"
    ratio "$what server CPU per request, generated vs bare EF Core ($regime)" µs "$cpu" "$ef_cpu" "$cpu_target"
    ratio "$what throughput, generated vs bare EF Core ($regime)" "req/s" "$rps" "$ef_rps" "$ef_target"
    ratio "$what p99 latency, generated vs bare EF Core ($regime)" ms "$p99" "$ef_p99" "<= 1.0"
    ratio "$what p50 latency, generated vs bare EF Core ($regime)" ms "$p50" "$ef_p50"
    ratio "$what server CPU per request, generated vs raw baseline ($regime)" µs "$cpu" "$base_cpu"
    ratio "$what throughput, generated vs raw baseline ($regime)" "req/s" "$rps" "$base_rps"
    ratio "$what p99 latency, generated vs raw baseline ($regime)" ms "$p99" "$base_p99"
    figure "$what non-2xx responses, generated / raw baseline / bare EF Core ($regime)" "$non2xx" "$base_non2xx / $ef_non2xx"
    figure "$what regime by the 90%-busy rule, generated / raw baseline / bare EF Core ($regime; cores $cores busy ${busy}% / ${base_busy}% / ${ef_busy}%)" \
      "${http[ours.$scenario.bound]}-bound" "${http[baseline.$scenario.bound]}-bound / ${http[bare.$scenario.bound]}-bound"
    r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
    {
      echo "| $what CPU per request (µs) | $cpu | $ef_cpu | **$(r "$cpu" "$ef_cpu")** | $base_cpu | $(r "$cpu" "$base_cpu") |"
      echo "| $what throughput (req/s) | $rps | $ef_rps | **$(r "$rps" "$ef_rps")** | $base_rps | $(r "$rps" "$base_rps") |"
      echo "| $what p99 (ms) | $p99 | $ef_p99 | $(r "$p99" "$ef_p99") | $base_p99 | $(r "$p99" "$base_p99") |"
      echo "| $what regime (cores busy) | ${http[ours.$scenario.bound]} ($busy%) | ${http[bare.$scenario.bound]} ($ef_busy%) | | ${http[baseline.$scenario.bound]} ($base_busy%) | |"
    } >>"$table"
  done
  ratio "RSS after the HTTP scenarios, generated vs bare EF Core ($regime)" MiB "${http[ours.rss]}" "${http[bare.rss]}"
  echo "| RSS after the scenarios (MiB) | ${http[ours.rss]} | ${http[bare.rss]} | $(r "${http[ours.rss]}" "${http[bare.rss]}") | ${http[baseline.rss]} | $(r "${http[ours.rss]}" "${http[baseline.rss]}") |" >>"$table"
  echo
  cat "$table"
done
pin=() server_env=() wrk_pin=()

step "Session helper: DbSession.RunAsync against a bare DbContext + SaveChanges and raw Microsoft.Data.Sqlite; opening a connection (BenchmarkDotNet)"
(cd "$work" && dotnet "$work/publish/session/SessionBench.dll" "${bdn_args[@]}" --artifacts "$work/bdn") | tee "$work/session.txt"
declare -A micros kilobytes
while read -r _ name mean bytes; do
  micros[$name]=$mean
  kilobytes[$name]=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
done < <(grep '^session-result ' "$work/session.txt")
[ ${#micros[@]} -eq 9 ] || fail "BenchmarkDotNet reported ${#micros[@]} of 9 benchmarks"
for batch in "" 100; do
  if [ -z "$batch" ]; then what="insert 1 per session"; else what="batch of 100 per session"; fi
  ratio "$what: session helper vs bare SaveChanges" µs "${micros[Session$batch]}" "${micros[SaveChanges$batch]}" "<= 1.05"
  ratio "$what: session helper vs bare SaveChanges, allocated" KB "${kilobytes[Session$batch]}" "${kilobytes[SaveChanges$batch]}"
  ratio "$what: raw Microsoft.Data.Sqlite vs bare SaveChanges" µs "${micros[RawSqlite$batch]}" "${micros[SaveChanges$batch]}"
done
# The same bare SaveChanges measured again after the others in its category: a ratio this far from 1.00 comes from the
# run (the machine, the process's state), not from code; read the session helper's single-insert ratio against it.
ratio "insert 1 per session, control: bare SaveChanges measured again vs bare SaveChanges" µs "${micros[SaveChangesControl]}" "${micros[SaveChanges]}"
# Microsoft.Data.Sqlite applies a connection's registered functions at every open and removes them at every close.
ratio "connection open and close: EF Core's SQLite connection vs a plain SqliteConnection" µs "${micros[OpenEfCore]}" "${micros[OpenPlain]}"
figure "connection open and close, allocated: EF Core's SQLite connection / a plain SqliteConnection" \
  "${kilobytes[OpenEfCore]} KB" "${kilobytes[OpenPlain]} KB"

# hyperfine CSV columns: command,mean,stddev,median,user,system,min,max (seconds). Prints NAME's median in ms.
median_ms() { awk -F, -v name="$2" '$1 == name { printf "%.0f", $4 * 1000 }' "$1"; }

step "Template: dotnet new aegis --database against dotnet new webapi (--no-restore, a hive of its own; hyperfine)"
# The target compares the templates alone, so both run with --no-update-check: for a template installed from a package
# (aegis), the CLI also asks the package's feed whether a newer version exists; for the SDK's own (webapi) it never
# does. The command as a user types it, update check included, is reported beside it.
hyperfine -N --style basic --warmup 2 --runs "$runs" --export-csv "$work/new.csv" --prepare "rm -rf $work/new" \
  -n "aegis" "dotnet new aegis -n bench-app --database --no-restore --no-update-check -o $work/new --debug:custom-hive $hive" \
  -n "webapi" "dotnet new webapi -n bench-app --no-restore --no-update-check -o $work/new --debug:custom-hive $hive" \
  -n "aegis-as-typed" "dotnet new aegis -n bench-app --database --no-restore -o $work/new --debug:custom-hive $hive"
ratio "instantiate, dotnet new aegis --database vs dotnet new webapi (median)" ms \
  "$(median_ms "$work/new.csv" aegis)" "$(median_ms "$work/new.csv" webapi)" "<= 1.1"
ratio "instantiate with the CLI's update check, dotnet new aegis --database vs dotnet new webapi (median)" ms \
  "$(median_ms "$work/new.csv" aegis-as-typed)" "$(median_ms "$work/new.csv" webapi)"

step "Cold start: the generated service to its first /health 200 against an empty dotnet new web app to its first / 200"
echo "(both published in Release, Production environment; the generated service starts on a fresh database each run)"
port=$(free_port)
ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production DATABASE_URL="sqlite:///$work/cold.db" \
  hyperfine -N --style basic --warmup 1 --runs "$runs" --export-csv "$work/cold.csv" \
  --prepare "rm -f $work/cold.db $work/cold.db-wal $work/cold.db-shm $work/cold.db.lock" \
  -n "generated" "bash $bench/first-200.sh $work/publish/ours-r2r http://127.0.0.1:$port/health dotnet Api.dll" \
  -n "empty" "bash $bench/first-200.sh $work/publish/empty http://127.0.0.1:$port/ dotnet empty-web.dll"
ratio "cold start to first 200, generated service vs empty web app (median)" ms \
  "$(median_ms "$work/cold.csv" generated)" "$(median_ms "$work/cold.csv" empty)" "<= 2.5"

step "Summary ($mode run)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)" >>"$work/machine.txt"
sed 's/^/    /' "$work/machine.txt"
echo
for regime in ${regimes//,/ }; do
  cat "$work/regime-$regime.md"
  echo
done
cat "$summary"
