#!/usr/bin/env bash
# Density gate: how many WebSocket connections one gateway process holds, and at what memory per connection.
# Starts inference-sim and gateway-nio as bench.sh does (lib.sh: pinning, CPU limit, JVM flags, health wait),
# the gateway with MAX_SESSIONS >= the connections and a heap sized for them; reads its baseline RSS once healthy
# and idle; opens CONNECTIONS sessions with `loadgen density` (upgrade + start, then silent or one frame every
# FRAME_INTERVAL_MS), holds them HOLD s, pings and closes them. With STREAMING=M, M sessions of `loadgen run`
# (PROTOCOL.md §4 timing) stream beside them, started once they are open; ALONE=1 first runs the M alone
# (bench.sh, same settings) for comparison. Samples every process each second (proc-sampler.sh) with the
# gateway's session gauge, scrapes its /metrics at the hold's start and end (loop lag), and writes OUT_DIR:
# density.json (loadgen), proc.csv, gateway-sessions.csv, gateway-metrics-{start,end}.prom, run.env, report.md,
# density.png, logs; streaming/ and alone/ with STREAMING. Appends one row to RESULTS_DIR/density.md.
#
# Exit status (verdict in loadgen's report/DensityVerdict.java):
#   0  pass
#   2  the gateway's peak RSS exceeded RSS_BUDGET_MB
#   3  session errors: loadgen exit 3, any connection failure, fewer opened than requested, error frames, dead
#      connections, the streaming sessions' SLO not passed, the gateway died. 3 wins over 2: a budget is only
#      meaningful for a run that held every connection.
#   4  setup error: a bad variable, the fd limit too low (without ALLOW_FD_CAP=1), a server that did not start,
#      a loadgen that wrote no result; 130 / 143 interrupted
#
# Variables (environment or make command line):
#   CONNECTIONS (required)  STREAMING=0  FRAME_INTERVAL_MS=0 (0 = silent)  RSS_BUDGET_MB (MiB; empty = no budget)
#   HOLD=10 (s; with STREAMING: the streaming run + 10 s)  RATE=1000 (connections opened per second)
#   ALLOW_FD_CAP=1   when the hard fd limit is too low, run what fits (hard limit - FD_MARGIN - STREAMING) instead
#                    of failing; the report says the fd limit, not the gateway, capped the run
#   FD_MARGIN=100    descriptors a process needs beside its connections
#   GATEWAY_HEAP_MB  the gateway's heap (-Xms = -Xmx, replacing those of GATEWAY_JAVA_OPTS); default
#                    48 + ceil((CONNECTIONS + STREAMING) / 1024): 48 MiB (lib.sh) + 1 KiB per connection
#   ALONE=1          with STREAMING: run the M streaming sessions alone first, into OUT_DIR/alone
#   IDLE_SECS=2      idle time between the gateway's health and its baseline RSS
#   WARMUP=10 MEASURE=45 RAMP=30 SPREAD=1000   the streaming run's timing (§4)
#   RESULTS_DIR=results  OUT_DIR=$RESULTS_DIR/density-N[-fF][-sM]  DENSITY_TABLE=$RESULTS_DIR/density.md
#   SIM_PORT=9000 GATEWAY_PORT=8080 (0 = ephemeral), GATEWAY_CPUS INFERENCE_CPUS LOADGEN_CPUS GATEWAY_CPU_LIMIT,
#   BENCH_NICE, *_JAVA_OPTS, GATEWAY_WORKER_THREADS GATEWAY_MAX_SESSIONS GATEWAY_SESSION_BUFFER_FRAMES, ... as bench.sh
#   GATEWAY_IDLE_TIMEOUT_MS  default: longer than the open phase + HOLD + 120 s, so silent connections outlive it
#
# Limits: the soft fd limit is raised to the hard one for every process this starts; net.core.somaxconn and
# net.ipv4.tcp_max_syn_backlog are raised to CONNECTIONS when lower and writable (printed with the command that
# restores them; never undone silently). The local port range is left alone: the loadgen spreads its connections
# over several 127.0.0.x source addresses itself.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

# 2 and 3 are verdicts here: a setup error is 4 (lib.sh's helpers call die too).
die() { printf 'error: %s\n' "$*" >&2; exit 4; }

CONNECTIONS=${CONNECTIONS:-}
STREAMING=${STREAMING:-0}
FRAME_INTERVAL_MS=${FRAME_INTERVAL_MS:-0}
RSS_BUDGET_MB=${RSS_BUDGET_MB:-}
RATE=${RATE:-1000}
ALLOW_FD_CAP=${ALLOW_FD_CAP:-0}
ALONE=${ALONE:-0}
FD_MARGIN=${FD_MARGIN:-100}
IDLE_SECS=${IDLE_SECS:-2}
WARMUP=${WARMUP:-10}
MEASURE=${MEASURE:-45}
RAMP=${RAMP:-30}
SPREAD=${SPREAD:-1000}
RESULTS_DIR=${RESULTS_DIR:-results}
DENSITY_TABLE=${DENSITY_TABLE:-$RESULTS_DIR/density.md}

[[ -n $CONNECTIONS ]] || die "CONNECTIONS is required: make density CONNECTIONS=N (see scripts/density.sh)"
for var in CONNECTIONS STREAMING FRAME_INTERVAL_MS RATE FD_MARGIN IDLE_SECS WARMUP MEASURE RAMP SPREAD; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
((CONNECTIONS > 0 && RATE > 0)) || die "CONNECTIONS and RATE must be positive"
[[ -z $RSS_BUDGET_MB || $RSS_BUDGET_MB =~ ^[0-9]+$ ]] || die "RSS_BUDGET_MB must be a whole number of MiB, got '$RSS_BUDGET_MB'"
[[ $ALLOW_FD_CAP =~ ^[01]$ && $ALONE =~ ^[01]$ ]] || die "ALLOW_FD_CAP and ALONE are 0 or 1"
((ALONE == 0 || STREAMING > 0)) || die "ALONE=1 compares the STREAMING sessions alone: set STREAMING=M too"
stream_secs=$((RAMP + (SPREAD + 999) / 1000 + WARMUP + MEASURE))
if ((STREAMING > 0)); then
  HOLD=${HOLD:-$((stream_secs + 10))}
else
  HOLD=${HOLD:-10}
fi
if ! [[ $HOLD =~ ^[0-9]+$ ]] || ((HOLD == 0)); then die "HOLD must be a positive whole number of seconds, got '$HOLD'"; fi
if ((STREAMING > 0 && HOLD < stream_secs + 5)); then
  die "HOLD=$HOLD s is shorter than the streaming run ($stream_secs s + 5): leave HOLD unset or set HOLD>=$((stream_secs + 5))"
fi
server_defaults
for var in SIM_PORT GATEWAY_PORT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
require_jar "$SIM_JAR"
require_jar "$GATEWAY_JAR"
require_jar "$LOADGEN_JAR"
require_tool curl

# ---- Limits ----
# The gateway, one process, holds a descriptor per connection: CONNECTIONS + STREAMING + its own (FD_MARGIN). The
# loadgen spreads its connections over child processes when one may not hold them all (loadgen density --processes).
fd_soft_before=$(ulimit -Sn)
fd_hard=$(ulimit -Hn)
[[ $fd_hard != unlimited ]] || fd_hard=$(</proc/sys/fs/nr_open)
fd_needed=$((CONNECTIONS + STREAMING + FD_MARGIN))
if ((fd_hard < fd_needed)) && ulimit -Hn "$fd_needed" 2>/dev/null; then
  log "fd hard limit: $fd_hard -> $fd_needed (raised for the processes this run starts)"
  fd_hard=$fd_needed
fi
if [[ $fd_soft_before == unlimited ]] || ((fd_soft_before >= fd_hard)); then
  log "ulimit -n: $fd_soft_before (already the hard limit)"
else
  ulimit -n "$fd_hard" || die "cannot raise ulimit -n from $fd_soft_before to the hard limit $fd_hard"
  log "ulimit -n: $fd_soft_before -> $fd_hard (the hard limit), for every process this run starts"
fi
run_connections=$CONNECTIONS
fd_capped=0
if ((fd_needed > fd_hard)); then
  fits=$((fd_hard - FD_MARGIN - STREAMING))
  cap="the fd limit, not the gateway, caps this run: $CONNECTIONS connections need about $fd_needed descriptors in the gateway process (connections + $STREAMING streaming + $FD_MARGIN of its own), but the hard limit (ulimit -Hn) is $fd_hard, so at most $fits connections fit"
  ((fits > 0)) || die "$cap"
  if ((ALLOW_FD_CAP == 1)); then
    log "$cap: running $fits (ALLOW_FD_CAP=1)"
    run_connections=$fits
    fd_capped=1
  else
    die "$cap. Raise the hard limit (as root: ulimit -Hn $fd_needed; /etc/security/limits.conf nofile; docker run --ulimit nofile=$fd_needed:$fd_needed) or set ALLOW_FD_CAP=1 to run $fits"
  fi
else
  log "fd limit $fd_hard per process: room for $CONNECTIONS connections (+ $STREAMING streaming + $FD_MARGIN)"
fi
held=$((run_connections + STREAMING))
file_max=$(</proc/sys/fs/file-max)
if ((file_max < 2 * held + 10000)); then
  log "warning: fs.file-max is $file_max, tight for 2 x $held sockets on this machine"
fi

# A burst of connections beyond the accept queue waits for SYN retransmits. The gateway asks for a backlog of
# 4096 per loop; the kernel caps it at net.core.somaxconn, and half-open ones at net.ipv4.tcp_max_syn_backlog.
sysctl_changes=() sysctl_restore=()
raise_sysctl() {
  local key=$1 want=$2 path old
  path=/proc/sys/${key//.//}
  old=$(<"$path")
  ((old < want)) || return 0
  if { echo "$want" >"$path"; } 2>/dev/null && [[ $(<"$path") == "$want" ]]; then
    log "$key: $old -> $want (restore with: sysctl -w $key=$old)"
    sysctl_changes+=("$key $old → $want")
    sysctl_restore+=("sysctl -w $key=$old")
  else
    log "$key is $old (< $want) and not writable here (needs root): a fast open may overflow the accept queue"
  fi
}
raise_sysctl net.core.somaxconn "$CONNECTIONS"
raise_sysctl net.ipv4.tcp_max_syn_backlog "$CONNECTIONS"

# ---- The gateway's sizing ----
if [[ -n ${GATEWAY_HEAP_MB:-} ]]; then
  if ! [[ $GATEWAY_HEAP_MB =~ ^[0-9]+$ ]] || ((GATEWAY_HEAP_MB < 32)); then
    die "GATEWAY_HEAP_MB must be a whole number >= 32, got '$GATEWAY_HEAP_MB'"
  fi
  heap_source="GATEWAY_HEAP_MB"
else
  GATEWAY_HEAP_MB=$((48 + (held + 1023) / 1024))
  heap_source="computed: 48 MiB + $held × 1 KiB"
fi
read -r -a opts <<<"$GATEWAY_JAVA_OPTS"
kept=()
for opt in "${opts[@]}"; do
  [[ $opt == -Xms* || $opt == -Xmx* ]] || kept+=("$opt")
done
GATEWAY_JAVA_OPTS="${kept[*]} -Xms${GATEWAY_HEAP_MB}m -Xmx${GATEWAY_HEAP_MB}m"
log "gateway heap: $GATEWAY_HEAP_MB MiB ($heap_source)"
if [[ -n ${GATEWAY_MAX_SESSIONS:-} ]] && ! [[ $GATEWAY_MAX_SESSIONS =~ ^[0-9]+$ ]]; then
  die "GATEWAY_MAX_SESSIONS must be a whole number, got '$GATEWAY_MAX_SESSIONS'"
fi
if [[ -z ${GATEWAY_MAX_SESSIONS:-} ]] || ((GATEWAY_MAX_SESSIONS < held)); then
  [[ -z ${GATEWAY_MAX_SESSIONS:-} ]] || log "GATEWAY_MAX_SESSIONS=$GATEWAY_MAX_SESSIONS is below the $held sessions: raised to $held"
  GATEWAY_MAX_SESSIONS=$held
fi
# Silent connections must outlive the gateway's idle timeout (IDLE_TIMEOUT_MS, 60 s by default) for the whole
# open phase and hold, plus the final ping and close; the idle timers stay armed, so their cost is measured.
if [[ -z ${GATEWAY_IDLE_TIMEOUT_MS:-} ]]; then
  GATEWAY_IDLE_TIMEOUT_MS=$(((held / RATE + HOLD + 120) * 1000))
  log "gateway IDLE_TIMEOUT_MS=$GATEWAY_IDLE_TIMEOUT_MS: longer than opening $held at $RATE/s, holding $HOLD s and closing"
fi

name="density-$CONNECTIONS"
((FRAME_INTERVAL_MS == 0)) || name+="-f$FRAME_INTERVAL_MS"
((STREAMING == 0)) || name+="-s$STREAMING"
OUT_DIR=${OUT_DIR:-$RESULTS_DIR/$name}
mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
rm -f "$OUT_DIR"/{density.json,proc.csv,gateway-sessions.csv,gateway-metrics-start.prom,gateway-metrics-end.prom} \
  "$OUT_DIR"/{cgroup-cpu.stat,run.env,report.md,density.png,sim.log,gateway.log,loadgen.log,loadgen.err.log,sampler.log}
rm -rf "$OUT_DIR/streaming" "$OUT_DIR/alone" "$OUT_DIR/alone.out" "$OUT_DIR/alone.log"
RUN_ENV="$OUT_DIR/run.env"
record() { printf '%s=%s\n' "$1" "$2" >>"$RUN_ENV"; }

require_free_port "$SIM_PORT" inference-sim SIM_PORT
require_free_port "$GATEWAY_PORT" gateway-nio GATEWAY_PORT

CGROUP_DIR=''
# shellcheck disable=SC2317  # reached through the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((rc < 128)) || log "interrupted: stopping the ${#STARTED_PIDS[@]} processes this run started"
  stop_started
  if [[ -n $CGROUP_DIR ]]; then
    "$SCRIPTS_DIR/cgroup.sh" remove "$CGROUP_DIR" || rc=4
  fi
  ((${#sysctl_restore[@]} == 0)) || log "kernel limits changed by this run stay: restore with: ${sysctl_restore[*]}"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Its arguments after the first, joined by the first.
join_by() {
  local separator=$1 out=''
  shift
  for part in "$@"; do out+=${out:+$separator}$part; done
  printf '%s' "$out"
}

# Sleeps until epoch ms $1 or until process $2 ends, in short steps so that a signal is acted on at once.
sleep_until() {
  while (($(now_ms) < $1)) && kill -0 "$2" 2>/dev/null; do sleep 0.2; done
}

# The gateway's sessions over all loops, from /metrics ($1); empty when it does not answer.
gateway_sessions() {
  curl -s --max-time 2 "$1" 2>/dev/null | awk '/^gateway_sessions[{ ]/ { n += $NF; seen = 1 } END { if (seen) print n }' || true
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain --untracked-files=no -- . ':(exclude)results' 2>/dev/null) ]] || commit+="-dirty"
command="CONNECTIONS=$CONNECTIONS STREAMING=$STREAMING FRAME_INTERVAL_MS=$FRAME_INTERVAL_MS HOLD=$HOLD RATE=$RATE"
[[ -z $RSS_BUDGET_MB ]] || command+=" RSS_BUDGET_MB=$RSS_BUDGET_MB"
((ALLOW_FD_CAP == 0)) || command+=" ALLOW_FD_CAP=1"
((ALONE == 0)) || command+=" ALONE=1"
[[ $heap_source != GATEWAY_HEAP_MB ]] || command+=" GATEWAY_HEAP_MB=$GATEWAY_HEAP_MB"
command+=" scripts/density.sh"

record label density
record command "$command"
record commit "$commit"
record connections "$run_connections"
record connections_wanted "$CONNECTIONS"
record streaming "$STREAMING"
record frame_interval_ms "$FRAME_INTERVAL_MS"
record hold_secs "$HOLD"
record rate "$RATE"
record rss_budget_mb "$RSS_BUDGET_MB"
record idle_secs "$IDLE_SECS"
record fd_soft_before "$fd_soft_before"
record fd_soft "$(ulimit -Sn)"
record fd_hard "$fd_hard"
record fd_margin "$FD_MARGIN"
record fd_needed "$fd_needed"
record fd_capped "$fd_capped"
record somaxconn "$(</proc/sys/net/core/somaxconn)"
record tcp_max_syn_backlog "$(</proc/sys/net/ipv4/tcp_max_syn_backlog)"
record sysctl_changes "$(join_by '; ' "${sysctl_changes[@]}")"
record sysctl_restore "$(join_by '; ' "${sysctl_restore[@]}")"
record gateway_heap_mb "$GATEWAY_HEAP_MB"
record gateway_heap_source "$heap_source"
record warmup_secs "$WARMUP"
record measure_secs "$MEASURE"
record ramp_up_secs "$RAMP"
record session_start_spread_ms "$SPREAD"
record_host

# ---- The streaming sessions alone, same settings (bench.sh: its own servers, stopped before ours start) ----
if ((ALONE == 1)); then
  log "ALONE=1: $STREAMING streaming sessions alone first (bench.sh, about $stream_secs s)"
  alone_rc=0
  env SESSIONS="$STREAMING" OUT_DIR="$OUT_DIR/alone" LABEL=alone WARMUP="$WARMUP" MEASURE="$MEASURE" RAMP="$RAMP" \
    SPREAD="$SPREAD" SIM_PORT="$SIM_PORT" GATEWAY_PORT="$GATEWAY_PORT" GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS" \
    GATEWAY_MAX_SESSIONS="$GATEWAY_MAX_SESSIONS" GATEWAY_CPUS="$GATEWAY_CPUS" INFERENCE_CPUS="$INFERENCE_CPUS" \
    LOADGEN_CPUS="$LOADGEN_CPUS" GATEWAY_CPU_LIMIT="$GATEWAY_CPU_LIMIT" "$SCRIPTS_DIR/bench.sh" \
    >"$OUT_DIR/alone.out" 2>"$OUT_DIR/alone.log" &
  alone_pid=$!
  track_pid "$alone_pid"
  wait "$alone_pid" || alone_rc=$?
  record alone_exit "$alone_rc"
  [[ -s $OUT_DIR/alone/summary.json ]] || { tail -n 20 "$OUT_DIR/alone.log" >&2; die "the ALONE run (bench.sh) exited $alone_rc without a summary"; }
  log "alone: $(grep -v '^report:' "$OUT_DIR/alone.out" | tail -n 1)"
fi

# ---- Servers, baseline ----
prepare_launch
start_inference_sim
start_gateway
record gateway_url "$ws_url"
record gateway_pid "$gateway_pid"
record gateway_cpu_limit "$GATEWAY_CPU_LIMIT"
metrics_url="http://127.0.0.1:$GATEWAY_PORT/metrics"
sleep "$IDLE_SECS"
baseline_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$gateway_pid/status" 2>/dev/null || true)
[[ -n $baseline_rss_kb ]] || die "the gateway (pid $gateway_pid) exited while idle (log: $OUT_DIR/gateway.log)"
record baseline_rss_kb "$baseline_rss_kb"
record baseline_ms "$(now_ms)"
log "gateway baseline RSS: $((baseline_rss_kb / 1024)) MiB (healthy, idle $IDLE_SECS s), MAX_SESSIONS=$GATEWAY_MAX_SESSIONS"

# ---- Load ----
density_args=(density --url "$ws_url" --connections "$run_connections" --rate "$RATE" --hold "$HOLD"
  --out "$OUT_DIR/density.json")
((FRAME_INTERVAL_MS == 0)) || density_args+=(--frame-interval-ms "$FRAME_INTERVAL_MS")
record loadgen_cpus "$LOADGEN_CPUS"
record loadgen_java_opts "$LOADGEN_JAVA_OPTS"
record loadgen_args "${density_args[*]}"
log "loadgen density: $run_connections connections at $RATE/s, held $HOLD s (cpus ${LOADGEN_CPUS:-any})"
start_ms=$(now_ms)
"${nice_prefix[@]}" "${loadgen_pin[@]}" java "${loadgen_opts[@]}" -jar "$LOADGEN_JAR" "${density_args[@]}" \
  >"$OUT_DIR/loadgen.log" 2>"$OUT_DIR/loadgen.err.log" &
loadgen_pid=$!
track_pid "$loadgen_pid"
"$SCRIPTS_DIR/proc-sampler.sh" "$OUT_DIR/proc.csv" --metrics "$metrics_url" gateway_sessions \
  "$OUT_DIR/gateway-sessions.csv" inference-sim="$sim_pid" gateway="$gateway_pid" loadgen="$loadgen_pid" \
  2>"$OUT_DIR/sampler.log" &
sampler_pid=$!
track_pid "$sampler_pid"
record loadgen_pid "$loadgen_pid"
record sampler_pid "$sampler_pid"
record loadgen_start_ms "$start_ms"

# Open: until the gateway counts every connection, its count stalls for 3 s, or the loadgen ends.
open_deadline=$((SECONDS + run_connections / RATE + 60))
last='' still=0 sessions=''
while kill -0 "$loadgen_pid" 2>/dev/null && ((SECONDS < open_deadline)); do
  sessions=$(gateway_sessions "$metrics_url")
  [[ -z $sessions ]] || ((sessions < run_connections)) || break
  if [[ -n $sessions && $sessions == "$last" && $sessions != 0 ]]; then
    still=$((still + 1))
    ((still < 6)) || break
  else
    still=0
  fi
  last=$sessions
  sleep 0.5
done
open_seen_ms=$(now_ms)
record open_seen_ms "$open_seen_ms"
log "open: the gateway holds ${sessions:-?} sessions after $(((open_seen_ms - start_ms) / 1000)) s"
curl -s --max-time 2 -o "$OUT_DIR/gateway-metrics-start.prom" "$metrics_url" || true
record loop_lag_start_ms "$(now_ms)"

if ((STREAMING > 0)); then
  mkdir -p "$OUT_DIR/streaming"
  default_loadgen_rt_priority
  loadgen_run_args "$STREAMING" "$ws_url" "$OUT_DIR/streaming" density-mixed
  record streaming_args "${loadgen_args[*]}"
  record loadgen_rt_priority "$LOADGEN_RT_PRIORITY"
  log "loadgen run: $STREAMING streaming sessions beside them, about $stream_secs s"
  "${nice_prefix[@]}" "${loadgen_pin[@]}" java "${loadgen_opts[@]}" -jar "$LOADGEN_JAR" "${loadgen_args[@]}" \
    >"$OUT_DIR/streaming/loadgen.log" 2>"$OUT_DIR/streaming/loadgen.err.log" &
  streaming_pid=$!
  track_pid "$streaming_pid"
  record streaming_pid "$streaming_pid"
  streaming_rc=0
  wait "$streaming_pid" || streaming_rc=$?
  record streaming_exit "$streaming_rc"
  log "streaming: $(grep -v '^[[:space:]]*$' "$OUT_DIR/streaming/loadgen.err.log" | tail -n 1 || true)"
fi

# The hold's end scrape, a second before the loadgen stops holding.
sleep_until $((open_seen_ms + HOLD * 1000 - 1000)) "$loadgen_pid"
if kill -0 "$loadgen_pid" 2>/dev/null; then
  curl -s --max-time 2 -o "$OUT_DIR/gateway-metrics-end.prom" "$metrics_url" || true
  record loop_lag_end_ms "$(now_ms)"
fi
loadgen_rc=0
wait "$loadgen_pid" || loadgen_rc=$?
record loadgen_end_ms "$(now_ms)"
record loadgen_exit "$loadgen_rc"
if kill -0 "$gateway_pid" 2>/dev/null; then record gateway_alive_at_end 1; else record gateway_alive_at_end 0; fi
record loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# Stop the servers while the cgroup still exists, so its cpu.stat covers the whole run.
stop_started
if [[ -n $CGROUP_DIR ]]; then
  "$SCRIPTS_DIR/cgroup.sh" stat "$CGROUP_DIR" >"$OUT_DIR/cgroup-cpu.stat"
  "$SCRIPTS_DIR/cgroup.sh" remove "$CGROUP_DIR"
  CGROUP_DIR=''
fi

if [[ ! -s $OUT_DIR/density.json ]]; then
  tail -n 20 "$OUT_DIR/loadgen.err.log" >&2 || true
  ((loadgen_rc != 3)) || { log "loadgen density exited 3 (session errors) without writing density.json"; exit 3; }
  die "loadgen density exited $loadgen_rc without writing $OUT_DIR/density.json"
fi
report_rc=0
java -cp "$LOADGEN_JAR" "$REPORT_MAIN" density "$OUT_DIR" --table "$DENSITY_TABLE" || report_rc=$?
case $report_rc in
  0 | 2 | 3) ;;
  *) die "report generation failed for $OUT_DIR (exit $report_rc)" ;;
esac
echo "report: $OUT_DIR/report.md (row appended to $DENSITY_TABLE)"
exit "$report_rc"
