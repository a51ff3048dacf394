#!/bin/sh
# Runs the whole benchmark of the Sentinel Lua agent and writes its report (docs/BENCHMARKS.md
# explains the method and every figure).
#
#   sh supervisor/src/bench/run-benchmarks.sh [--quick] [--out FILE] [--only SCENARIOS]
#                                             [--rebuild] [--no-install]
#
#   --quick       2 s warm-up and 4 s measured per row instead of 5 s and 10 s (about 3 minutes
#                 instead of about 8)
#   --out FILE    the markdown report; default supervisor/target/bench/report-<time>.md, next to
#                 the results (JSON lines) and the logs of the run
#   --only LIST   scenarios to run, e.g. "header-only body" (default: all; the floors and the
#                 script engines always run)
#   --rebuild     build the distribution even when one exists
#   --no-install  do not install lua5.4 and luajit with apt-get when they are missing
#
# What it does: builds the distribution when it is missing; installs lua5.4 and luajit when it
# can (root or password-less sudo, apt-get); compiles the C floors with gcc -O2; measures the
# script engines alone; then starts each target on its own socket in a temporary directory and
# loads it with `sentinel-lua-agent bench`: the C echo and C relay floors, and for each scenario
# the same scripts in-process and in the agent; finally `sentinel-lua-agent bench report`
# writes the report. Everything it starts is stopped on exit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
dist="$root/packaging/target/sentinel-lua-agent"
agent="$dist/bin/sentinel-lua-agent"
scenarios_dir="$here/scenarios"
out_dir="$root/supervisor/target/bench"

warmup=10; duration=10; engine_warmup=2; engine_seconds=5; mode=full
report=""; only=""; rebuild=no; install=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) warmup=2; duration=4; engine_warmup=1; engine_seconds=2; mode=quick ;;
        --out) report=$2; shift ;;
        --only) only=$2; shift ;;
        --rebuild) rebuild=yes ;;
        --no-install) install=no ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run-benchmarks: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { echo "run-benchmarks: $*" >&2; }

# ---------------------------------------------------------------- build

in_process_class="$root/worker/target/test-classes/io/zentinel/sentinel/lua/worker/bench/InProcessAgent.class"
if [ "$rebuild" = yes ] || [ ! -x "$agent" ] || [ ! -f "$in_process_class" ]; then
    say "building the distribution (./mvnw verify -DskipTests -DskipITs -Dpackages.skip=true)"
    (cd "$root" && { ./mvnw -B -q -o verify -DskipTests -DskipITs -Dpackages.skip=true >/dev/null 2>&1 \
        || ./mvnw -B -q verify -DskipTests -DskipITs -Dpackages.skip=true; })
fi

# A Java runtime >= 21 for the in-process agent and the LuaJ measurements, found in the
# launcher's order: SENTINEL_LUA_JAVA_HOME, JAVA_HOME, the newest JDK under /usr/lib/jvm, PATH.
java_feature() {
    [ -x "$1/bin/java" ] || return 0
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
        | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}
pick_java() {
    for candidate in "${SENTINEL_LUA_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
        [ -n "$candidate" ] || continue
        v=$(java_feature "$candidate")
        if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$candidate/bin/java"; return 0; fi
    done
    best=""; bestv=0
    for candidate in /usr/lib/jvm/*; do
        v=$(java_feature "$candidate")
        if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$bestv" ]; then best=$candidate; bestv=$v; fi
    done
    if [ -n "$best" ]; then echo "$best/bin/java"; return 0; fi
    if command -v java >/dev/null 2>&1; then
        home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
        v=$(java_feature "$home")
        if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$home/bin/java"; return 0; fi
    fi
    return 1
}
java=$(pick_java) || { say "no Java runtime 21 or newer found"; exit 69; }
worker_cp="$root/worker/target/test-classes:$dist/lib/worker/*"
# the flags every worker JVM gets (WorkerLauncher.FIXED_FLAGS) that change how code runs
worker_flags="-Xss1m -XX:+UseSerialGC -XX:ReservedCodeCacheSize=24m -XX:MaxMetaspaceSize=64m"

# ---------------------------------------------------------------- Lua engines

lua_skip=""
if ! command -v lua5.4 >/dev/null 2>&1 || ! command -v luajit >/dev/null 2>&1; then
    if [ "$install" = no ]; then
        lua_skip="not installed (--no-install)"
    elif ! command -v apt-get >/dev/null 2>&1; then
        lua_skip="not installed, and no apt-get to install it"
    else
        sudo=""
        if [ "$(id -u)" -ne 0 ]; then
            if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
        fi
        if [ "$sudo" = none ]; then
            lua_skip="not installed, and installing needs root (apt-get install lua5.4 luajit)"
        else
            say "installing lua5.4 and luajit with apt-get"
            if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq lua5.4 luajit >/dev/null 2>&1; then
                DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null 2>&1 || true
                DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq lua5.4 luajit >/dev/null 2>&1 \
                    || lua_skip="apt-get install lua5.4 luajit failed"
            fi
        fi
    fi
fi

# ---------------------------------------------------------------- C floors

mkdir -p "$out_dir/bin"
floors=yes
if command -v gcc >/dev/null 2>&1; then
    for floor in echo-agent relay-agent; do
        gcc -O2 -Wall -pthread -o "$out_dir/bin/$floor" "$here/c/$floor.c"
    done
    gcc_version="gcc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
else
    floors=no
    say "no gcc: the C floors are left out, so the report has no ratios to them"
fi

# ---------------------------------------------------------------- run directory

stamp=$(date -u +%Y%m%d-%H%M%S)
[ -n "$report" ] || report="$out_dir/report-$stamp.md"
results="$out_dir/results-$stamp.jsonl"
logs="$out_dir/logs-$stamp"
mkdir -p "$logs"
: > "$results"
# sockets need a short path (at most 107 bytes)
tmp=$(mktemp -d /tmp/slb.XXXXXX)
server_pid=""

stop_server() {
    [ -n "$server_pid" ] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    i=0
    while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    if kill -0 "$server_pid" 2>/dev/null; then
        say "pid $server_pid did not stop within 10 s, killing it"
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until $1 (a file) contains $2, or the socket $3 exists when $2 is empty; 60 s at most.
# On failure it shows the end of the log, records the target as not measured and returns 1.
not_measured=""
wait_ready() {
    i=0
    while [ $i -lt 600 ]; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            say "$4 exited during its start, not measured; the end of its log ($1):"
            tail -n 20 "$1" >&2
            not_measured="$not_measured, $4 (exited during start)"
            return 1
        fi
        if [ -n "$2" ]; then grep -q "$2" "$1" 2>/dev/null && return 0
        elif [ -S "$3" ]; then return 0; fi
        sleep 0.1; i=$((i + 1))
    done
    say "$4 not ready after 60 s, not measured; the end of its log ($1):"
    tail -n 20 "$1" >&2
    not_measured="$not_measured, $4 (not ready after 60 s)"
    return 1
}

total=0; done_runs=0
# load SOCKET TARGET SCENARIO EVENTS CONCURRENCY [REQUESTS_FILE]
load() {
    socket=$1; target=$2; scenario=$3; events=$4; concurrency=$5; requests=${6:-}
    done_runs=$((done_runs + 1))
    if ! kill -0 "$server_pid" 2>/dev/null; then
        say "[$done_runs/$total] $target $scenario $events x$concurrency: not measured, the target has exited (see its log in $logs)"
        not_measured="$not_measured, $target $scenario x$concurrency (the target had exited)"
        return 0
    fi
    set -- bench --socket "$socket" --warmup "$warmup" --duration "$duration" --concurrency "$concurrency" \
        --events "$events" --json --tag "target=$target" --tag "scenario=$scenario"
    if [ -n "$requests" ]; then
        while IFS= read -r line; do
            case "$line" in ''|'#'*) continue ;; esac
            set -- "$@" --request "$line"
        done < "$requests"
    fi
    if line=$("$agent" "$@" 2>>"$logs/bench.log"); then
        :
    else
        say "bench exited with $? for $target $scenario at $concurrency (see $logs/bench.log)"
    fi
    if [ -n "$line" ]; then
        echo "$line" >> "$results"
        rate=$(echo "$line" | sed -n 's/.*"throughput":\([0-9]*\).*/\1/p')
        p50=$(echo "$line" | sed -n 's/.*"p50":\([0-9]*\).*/\1/p')
        say "[$done_runs/$total] $target $scenario $events x$concurrency: ${rate:-?} decisions/s, p50 ${p50:-?} us"
    fi
}

# ---------------------------------------------------------------- plan

all_scenarios="header-only chain heavy body recycle recycle-workers"
scenarios=${only:-$all_scenarios}
for s in $scenarios; do
    [ -f "$scenarios_dir/$s/scenario.env" ] || { say "no scenario $s (have: $all_scenarios)"; exit 2; }
done
[ "$floors" = yes ] && total=$((total + 8))
for s in $scenarios; do
    # shellcheck disable=SC1090
    . "$scenarios_dir/$s/scenario.env"
    n=$(echo $CONCURRENCY | wc -w)
    [ "$IN_PROCESS" = yes ] && total=$((total + n))
    total=$((total + n))
done
say "$mode run: $total load rows of ${warmup}s + ${duration}s; report $report"
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# ---------------------------------------------------------------- 1. script engines alone

headers="$here/engine/headers.txt"
driver="$here/engine/engine-bench.lua"
say "script engines alone (${engine_warmup}s + ${engine_seconds}s each)"
# engine_java JVM_FLAGS EngineBench-arguments...
engine_java() {
    flags=$1; shift
    # shellcheck disable=SC2086
    "$java" $flags -cp "$worker_cp" io.zentinel.sentinel.lua.worker.bench.EngineBench "$@" 2>>"$logs/engines.log" \
        >> "$results" || say "LuaJ engine measurement $1 $2 failed (see $logs/engines.log)"
}
# the header-only script, then the body script (a 64 KiB body per call)
for scenario in header-only body; do
    script_dir="$scenarios_dir/$scenario/scripts"
    script=$(ls "$script_dir"/*.lua | head -n 1)
    engine_java "-Xmx64m $worker_flags" plain luaj "$driver" "$script" "$headers" "$engine_warmup" "$engine_seconds"
    engine_java "-Xmx64m $worker_flags -XX:TieredStopAtLevel=1" plain luaj-c1 "$driver" "$script" "$headers" "$engine_warmup" "$engine_seconds"
    engine_java "-Xmx64m $worker_flags" sandbox luaj-sandbox "$script_dir" "$headers" "$engine_warmup" "$engine_seconds"
    for lua in lua5.4 luajit; do
        if command -v "$lua" >/dev/null 2>&1; then
            version=$("$lua" -v 2>&1 | head -n 1 | sed 's/[ -]*Copyright.*//; s/"/'"'"'/g')
            "$lua" -e "bench_version = \"$version\"" "$driver" "$script" "$headers" \
                "$engine_warmup" "$engine_seconds" >> "$results" 2>>"$logs/engines.log" \
                || say "$lua measurement failed (see $logs/engines.log)"
        else
            echo "{\"kind\":\"engine\",\"engine\":\"$lua\",\"script\":\"$(basename "$script")\",\"skipped\":\"${lua_skip:-not installed}\"}" \
                >> "$results"
        fi
    done
done
# the sandbox's fixed cost of a call (a hook that does nothing); then with request.headers built
# whole (the difference is the event-to-Lua marshalling of the 20 headers), built and listed with
# pairs, one header looked up, and an ordinary 20-entry table listed (LuaJ's own iteration)
for marshal in empty built headers lookup plain-pairs; do
    script_dir="$here/engine/marshal/$marshal"
    engine_java "-Xmx64m $worker_flags" sandbox luaj-sandbox "$script_dir" "$headers" "$engine_warmup" "$engine_seconds"
done

# ---------------------------------------------------------------- 2. C floors

if [ "$floors" = yes ]; then
    for floor in echo relay; do
        socket="$tmp/$floor.sock"
        "$out_dir/bin/$floor-agent" "$socket" 2>"$logs/c-$floor.log" &
        server_pid=$!
        if wait_ready "$logs/c-$floor.log" "" "$socket" "c-$floor"; then
            for c in 16 1 64; do
                load "$socket" "c-$floor" floor headers "$c"
            done
            load "$socket" "c-$floor" floor body 16
        fi
        stop_server
    done
fi

# ---------------------------------------------------------------- 3. scenarios

for s in $scenarios; do
    REQUESTS=""
    # shellcheck disable=SC1090
    . "$scenarios_dir/$s/scenario.env"
    scripts="$scenarios_dir/$SCRIPTS"
    requests=""
    [ -n "$REQUESTS" ] && requests="$scenarios_dir/$REQUESTS"
    if [ "$IN_PROCESS" = yes ]; then
        socket="$tmp/in-process-$s.sock"
        # shellcheck disable=SC2086
        "$java" -Xmx128m $worker_flags -cp "$worker_cp" io.zentinel.sentinel.lua.worker.bench.InProcessAgent \
            "$socket" "$scripts" 8 2>"$logs/in-process-$s.log" &
        server_pid=$!
        if wait_ready "$logs/in-process-$s.log" "ready on" "$socket" "in-process $s"; then
            for c in $CONCURRENCY; do
                load "$socket" in-process "$s" "$EVENTS" "$c" "$requests"
            done
        fi
        stop_server
    fi
    mkdir -p "$tmp/$s"
    cp "$scenarios_dir/$s/agent.kdl" "$tmp/$s/agent.kdl"
    socket="$tmp/$s/agent.sock"
    "$agent" --config "$tmp/$s/agent.kdl" --socket "$socket" --scripts "$scripts" > "$logs/agent-$s.log" 2>&1 &
    server_pid=$!
    if wait_ready "$logs/agent-$s.log" "supervisor - ready" "$socket" "agent $s"; then
        for c in $CONCURRENCY; do
            load "$socket" agent "$s" "$EVENTS" "$c" "$requests"
        done
    fi
    stop_server
done

# ---------------------------------------------------------------- report

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -n "$(git -C "$root" status --porcelain 2>/dev/null)" ] && commit="$commit (with uncommitted changes)"
set -- bench report --results "$results" --out "$report" \
    --note "$(date -u '+%Y-%m-%d %H:%M UTC'), $mode run (warm-up ${warmup} s, measured ${duration} s per row), commit $commit" \
    --note "load average when the run started: $load_start" \
    --note "agent: the distribution's launcher and configuration defaults (2 worker JVMs x 4 Lua VMs, each worker in its own cgroup where one is writable), vm-pool.max-executions and workers.max-executions 100000000 so that neither Lua VMs nor workers are recycled, except in the recycle scenarios (1000)" \
    --note "in-process: the same scripts on 8 Lua VMs in one JVM (InProcessAgent, worker module tests) with the workers' JVM flags and -Xmx128m; no supervisor, pipe or worker processes" \
    --note "C floors: ${gcc_version:-not built} -O2; the relay has 2 child processes, as the agent has 2 workers" \
    --note "results: $results; logs: $logs"
[ -n "$not_measured" ] && set -- "$@" --note "NOT MEASURED: ${not_measured#, }"
for s in $scenarios; do
    # shellcheck disable=SC1090
    . "$scenarios_dir/$s/scenario.env"
    set -- "$@" --note "scenario $s: $DESCRIPTION"
done
for s in $scenarios; do
    # the supervisor logs each worker's spawn-to-ready time: the report's worker starts
    [ -f "$logs/agent-$s.log" ] && set -- "$@" --agent-log "$s=$logs/agent-$s.log"
done
"$agent" "$@"
cat "$report"
say "report written to $report"
