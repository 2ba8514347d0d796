#!/usr/bin/env bash
# The same load on each server alone on one core, side by side: the C epoll floor (tools/cfloor, built here),
# gateway-nio and, with OTHER_GATEWAY_CMD, any other gateway; for each session count of SESSIONS_LIST. Each
# point is bench.sh in its external-gateway mode (same loadgen, inference-sim on the driver core), so CPU per
# frame comes out as bench.sh's report computes it: /proc utime+stime of the server over the measured window ÷
# its /metrics frame counter over the same samples. Over a fixed sub-window of the measured window
# (SUB_SECS from SUB_OFFSET s in) it also counts the server's syscalls per frame by type (perf stat, all
# threads), and samples its RSS and the system's TCP socket memory (/proc/net/sockstat, minus a baseline taken
# before the server started; loopback, so the loadgen's side of the connections counts too, alike for all).
#
# Writes OUT_DIR/sidebyside.md (also printed), OUT_DIR/sidebyside.csv and each point under
# OUT_DIR/<server>-<sessions>/: bench.sh's files, server.log, bench.log, perf-stat.csv, perf.log, memory.csv.
# Exit status: 0 when every run gave figures, 1 when a server failed to start or died, 3 harness failure.
#
# Variables (environment or make command line):
#   SESSIONS_LIST="1000 2000 4000"   SERVERS="cfloor gateway-nio [other]" (a subset, in this order)
#   WARMUP=10 MEASURE=30 RAMP=10 SPREAD=1000 (ms)   SUB_OFFSET=5 SUB_SECS=10 (shrunk to fit a short MEASURE)
#   SERVER_CPUS=0 (each server, no CPU quota)   DRIVER_CPUS=1 (loadgen + inference-sim; empty = unpinned)
#   SERVER_PORT=8090   SIM_PORT=9000 (fixed: servers get INFERENCE_URL before bench.sh starts the simulator)
#   OUT_DIR=results/sidebyside   CFLOOR_CFLAGS="-O2"
#   GATEWAY_JAVA_OPTS (default GATEWAY_JVM_OPTS of lib.sh, as bench.sh)   GATEWAY_EXTRA_JAVA_OPTS (appended: add flags here)
#   OTHER_GATEWAY_CMD="..." (run by bash, exec'd)   OTHER_FRAMES_METRIC=its /metrics frame counter   OTHER_LABEL=other
#   LOADGEN_JAVA_OPTS SIM_JAVA_OPTS LOADGEN_RT_PRIORITY LOADGEN_SEND_PATH LOADGEN_THREADS   passed to bench.sh
# Every server gets PORT, INFERENCE_URL, WORKER_THREADS=1 and PROTOCOL.md §4's gateway configuration.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SESSIONS_LIST=${SESSIONS_LIST:-1000 2000 4000}
WARMUP=${WARMUP:-10}
MEASURE=${MEASURE:-30}
RAMP=${RAMP:-10}
SPREAD=${SPREAD:-1000}
SUB_OFFSET=${SUB_OFFSET:-5}
SUB_SECS=${SUB_SECS:-10}
SERVER_CPUS=${SERVER_CPUS-0}
DRIVER_CPUS=${DRIVER_CPUS-1}
SERVER_PORT=${SERVER_PORT:-8090}
SIM_PORT=${SIM_PORT:-9000}
OUT_DIR=${OUT_DIR:-results/sidebyside}
CFLOOR_CFLAGS=${CFLOOR_CFLAGS:--O2}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:-$GATEWAY_JVM_OPTS}
GATEWAY_EXTRA_JAVA_OPTS=${GATEWAY_EXTRA_JAVA_OPTS:-}
OTHER_GATEWAY_CMD=${OTHER_GATEWAY_CMD:-}
OTHER_FRAMES_METRIC=${OTHER_FRAMES_METRIC:-}
OTHER_LABEL=${OTHER_LABEL:-other}
if [[ -n $OTHER_GATEWAY_CMD ]]; then SERVERS=${SERVERS:-cfloor gateway-nio other}; else SERVERS=${SERVERS:-cfloor gateway-nio}; fi
CFLOOR_SRC=tools/cfloor/cfloor.c
CFLOOR_BIN=tools/cfloor/build/cfloor
# The syscalls counted in the sub-window (tracepoints syscalls:sys_enter_<name>).
SYSCALLS=(read recvfrom readv write writev sendto epoll_wait epoll_pwait epoll_ctl futex io_uring_enter)

for var in WARMUP MEASURE RAMP SPREAD SUB_OFFSET SUB_SECS SERVER_PORT SIM_PORT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
((MEASURE >= 2)) || die "MEASURE must be at least 2 s"
((SERVER_PORT != 0 && SIM_PORT != 0)) || die "SERVER_PORT and SIM_PORT must be fixed ports (not 0)"
read -r -a sessions_list <<<"$SESSIONS_LIST"
((${#sessions_list[@]} > 0)) || die "SESSIONS_LIST is empty"
for n in "${sessions_list[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "SESSIONS_LIST must hold positive whole numbers, got '$n'"
done
read -r -a servers <<<"$SERVERS"
for s in "${servers[@]}"; do
  case $s in
    cfloor | gateway-nio) ;;
    other)
      [[ -n $OTHER_GATEWAY_CMD ]] || die "SERVERS names 'other' but OTHER_GATEWAY_CMD is empty"
      [[ -n $OTHER_FRAMES_METRIC ]] || die "OTHER_GATEWAY_CMD needs OTHER_FRAMES_METRIC (its /metrics frame counter)"
      [[ $OTHER_LABEL =~ ^[A-Za-z0-9._-]+$ && $OTHER_LABEL != cfloor && $OTHER_LABEL != gateway-nio ]] \
        || die "OTHER_LABEL must be a plain name other than cfloor/gateway-nio, got '$OTHER_LABEL'"
      ;;
    *) die "SERVERS may hold cfloor, gateway-nio and other, got '$s'" ;;
  esac
done
if ((SUB_OFFSET + SUB_SECS > MEASURE)); then
  SUB_OFFSET=$((MEASURE / 4))
  SUB_SECS=$((MEASURE - 2 * SUB_OFFSET))
  log "sub-window shrunk to fit MEASURE=$MEASURE: $SUB_SECS s from $SUB_OFFSET s in"
fi
((SUB_SECS > 0)) || die "SUB_SECS must be positive"

require_jar "$SIM_JAR"
require_jar "$LOADGEN_JAR"
[[ " ${servers[*]} " != *" gateway-nio "* ]] || require_jar "$GATEWAY_JAR"
require_tool curl

# The floor server, rebuilt when its source is newer (to a temporary name first: runs may overlap).
if [[ " ${servers[*]} " == *" cfloor "* ]]; then
  require_tool gcc
  if [[ ! -x $CFLOOR_BIN || $CFLOOR_SRC -nt $CFLOOR_BIN ]]; then
    mkdir -p "$(dirname "$CFLOOR_BIN")"
    read -r -a cflags <<<"$CFLOOR_CFLAGS"
    log "building $CFLOOR_BIN (gcc ${cflags[*]})"
    gcc "${cflags[@]}" -Wall -Wextra -o "$CFLOOR_BIN.$$" "$CFLOOR_SRC" || die "gcc failed on $CFLOOR_SRC"
    mv -f "$CFLOOR_BIN.$$" "$CFLOOR_BIN"
  fi
fi

# perf stat on syscall tracepoints: optional (the table says n/a without it).
perf_note=''
perf_events=''
if ! command -v perf >/dev/null 2>&1; then
  perf_note='n/a (no perf: Debian package linux-perf)'
else
  tracefs=''
  for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    if [[ -d $d/events/syscalls ]]; then tracefs=$d; break; fi
  done
  for sc in "${SYSCALLS[@]}"; do
    [[ -n $tracefs && ! -d $tracefs/events/syscalls/sys_enter_$sc ]] || perf_events+="${perf_events:+,}syscalls:sys_enter_$sc"
  done
  if ! perf stat -x, -e "$perf_events" -- true >/dev/null 2>&1; then
    perf_note='n/a (perf cannot count syscall tracepoints here: root or perf_event_paranoid)'
  elif [[ $(perf stat -h 2>&1 || true) != *--control* ]]; then
    perf_note='n/a (perf too old: no stat --control)'
  fi
fi
[[ -z $perf_note ]] || log "syscalls per frame: $perf_note"

mapfile -t server_pin < <(pin_prefix "$SERVER_CPUS")
mapfile -t driver_pin < <(pin_prefix "$DRIVER_CPUS")
read -r -a gateway_opts <<<"$GATEWAY_JAVA_OPTS $GATEWAY_EXTRA_JAVA_OPTS"
page_size=$(getconf PAGESIZE)
sim_url="http://127.0.0.1:$SIM_PORT"
server_env=(PORT="$SERVER_PORT" INFERENCE_URL="$sim_url" WORKER_THREADS=1 CPU_PASSES=4 MODEL_DELAY_MS=75
  FLUSH_INTERVAL_MS=1000 FLUSH_PHASE_JITTER_MS=1000 INFERENCE_TIMEOUT_MS=2000)

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
CSV="$OUT_DIR/sidebyside.csv"
MD="$OUT_DIR/sidebyside.md"
rm -f "$CSV" "$MD"
ROWS=()
any_failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sidebyside.XXXXXX")

# shellcheck disable=SC2317  # reached through the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((rc < 128)) || log "interrupted: stopping the ${#STARTED_PIDS[@]} processes this script started"
  stop_started
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

exec {idle_fd}<> <(:)
# Sleeps $1 seconds without a child process (read on a pipe nobody writes), cut short by a trapped signal.
pause() { read -r -t "$1" -u "$idle_fd" || true; }

# Sends command $1 (enable, disable) to the running perf stat and waits for its acknowledgement.
perf_control() {
  local ack
  { echo "$1" >&"$perf_ctl"; } 2>/dev/null || return 1
  IFS= read -r -t 10 -u "$perf_ack" ack && [[ $ack == ack* ]]
}

# True while process $1 runs (a zombie does not count).
alive() {
  local line
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
  line=${line##*) }
  [[ ${line:0:1} != Z ]]
}

# Sets rss_kb of process $1 (0 when gone) and sock_pages (TCP "mem" of /proc/net/sockstat), without forking.
read_memory() {
  local key value unit line
  rss_kb=0
  while read -r key value unit; do
    [[ $key != VmRSS: ]] || rss_kb=$value
  done 2>/dev/null <"/proc/$1/status" || true
  : "$unit"
  sock_pages=0
  while read -r line; do
    if [[ $line == TCP:* && $line =~ [[:space:]]mem[[:space:]]+([0-9]+) ]]; then sock_pages=${BASH_REMATCH[1]}; fi
  done </proc/net/sockstat
}

# Counter $2 at URL $1 (Prometheus `name value` / `name{...} value`, or JSON `"name": value); empty if unread.
scrape_counter() {
  "${driver_pin[@]}" curl -s --max-time 2 "$1" 2>/dev/null \
    | sed -nE "s/^$2(\{[^}]*\})?[[:space:]]+([0-9.eE+-]+).*/\2/p; s/.*\"$2\"[[:space:]]*:[[:space:]]*([0-9.eE+-]+).*/\1/p" \
    | head -n 1 || true
}

# summary.json flattened to `path value` lines (path: keys joined by dots).
flatten_json() {
  awk '
    { line = $0; gsub(/^[ \t]+|[ \t,]+$/, "", line); key = "" }
    match(line, /^"[^"]+"[ \t]*:/) { key = substr(line, 2, index(substr(line, 2), "\"") - 1); value = line; sub(/^"[^"]+"[ \t]*:[ \t]*/, "", value) }
    line ~ /[{[]$/ { stack[++depth] = key; next }
    line ~ /^[}\]]/ { if (depth > 0) depth--; next }
    key != "" {
      path = key
      for (i = depth; i >= 1; i--) if (stack[i] != "") path = stack[i] "." path
      gsub(/"/, "", value)
      print path, value
    }' "$1"
}

# CPU µs per frame of the server over bench.sh's measured window, computed by the report code that writes
# report.md (PointResult.gatewayCost). Prints "us_per_frame frames seconds" (nothing without the server's
# frame counter, or when the point has no result).
cpu_per_frame() {
  [[ -s $1/summary.json ]] || return 0
  java -cp "$LOADGEN_JAR" "$REPORT_MAIN" cost "$1" 2>/dev/null || true
}

# Formats a per-frame rate: 2 decimals, 3 significant digits below 0.1.
rate() { awk -v v="$1" 'BEGIN { if (v >= 0.1) printf "%.2f", v; else printf "%.3g", v }'; }

# The syscall figures of perf-stat.csv $1 per frame of $2: sets sc_cols (one field per SYSCALLS entry, empty
# where not counted) and sc_text ("read 1.02; epoll_wait 0.51", nonzero ones only).
syscalls_per_frame() {
  local file=$1 frames=$2 sc count per
  local -A counts=()
  sc_cols=() sc_text=''
  if [[ -s $file ]]; then
    while IFS=, read -r count _ event _; do
      [[ $event == syscalls:sys_enter_* ]] || continue
      [[ $count =~ ^[0-9]+$ ]] || count=0
      counts[${event#syscalls:sys_enter_}]=$count
    done <"$file"
  fi
  for sc in "${SYSCALLS[@]}"; do
    if [[ -z ${counts[$sc]:-} ]] || ! awk -v f="$frames" 'BEGIN { exit !(f > 0) }'; then sc_cols+=(''); continue; fi
    per=$(awk -v c="${counts[$sc]}" -v f="$frames" 'BEGIN { printf "%.4f", c / f }')
    sc_cols+=("$per")
    if ((counts[$sc] > 0)); then sc_text+="${sc_text:+; }$sc $(rate "$per")"; fi
  done
}

CSV_HEADER='sessions,server,status,cpu_us_per_frame,x_c_floor,window_frames,window_secs,rss_end_mb,rss_peak_mb,sock_mb,rss_sock_mb,rss_kb_per_session,rss_sock_kb_per_session,sub_window_secs,sub_window_frames,syscalls_per_frame'
for sc in "${SYSCALLS[@]}"; do CSV_HEADER+=",sc_$sc"; done
CSV_HEADER+=',newest_p50_ms,newest_p95_ms,oldest_p50_ms,oldest_p95_ms,client_bound,send_lag_p99_ms,partials,errors,verdict,dir'

# Writes the CSV (with × C floor: the server's CPU per frame over cfloor's at the same session count) and the
# markdown table from ROWS, after every run, so an interrupted sweep keeps what it measured.
render() {
  {
    echo "$CSV_HEADER"
    printf '%s\n' "${ROWS[@]}" | awk -F, -v OFS=, '
      { row[NR] = $0; if ($2 == "cfloor" && $4 != "") floor[$1] = $4 }
      END { for (i = 1; i <= NR; i++) { $0 = row[i]; if ($4 != "" && floor[$1] > 0) $5 = sprintf("%.2f", $4 / floor[$1]); print } }'
  } >"$CSV"
  awk -F, -v nsc="${#SYSCALLS[@]}" '
    function v(x, suffix) { return x == "" ? "–" : x suffix }
    NR == 1 {
      print "| sessions | server | CPU µs/frame | × C floor | RSS MB (end / peak) | RSS+sock MB | KB/session (RSS+sock) | syscalls/frame (by type) | newest p50/p95 ms | loadgen bottleneck? | run |"
      print "|---:|---|---:|---:|---:|---:|---:|---|---:|---|---|"
      next
    }
    {
      base = 16 + nsc
      rss = $8 == "" ? "–" : $8 " / " $9
      lat = $(base + 1) == "" ? "–" : sprintf("%.1f / %.1f", $(base + 1), $(base + 2))
      if ($(base + 5) == "") bott = "–"
      else if ($(base + 5) == "true") bott = sprintf("**yes**: client_bound, send-lag p99 %.1f ms", $(base + 6))
      else bott = sprintf("no (send-lag p99 %.1f ms)", $(base + 6))
      if ($3 == "ok") run = $(base + 9) ", " $(base + 7) " partials, " $(base + 8) " errors"
      else run = "**" $3 "**" ($(base + 7) == "" ? "" : ", " $(base + 7) " partials, " $(base + 8) " errors")
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, v($4), v($5, "×"), rss, v($11),
        v($13), v($16), lat, bott, run
    }' "$CSV" >"$MD"
  {
    echo
    echo "Each server alone on CPU ${SERVER_CPUS:-any} (no quota), loadgen and inference-sim on CPU ${DRIVER_CPUS:-any};"
    echo "ramp ${RAMP} s, spread ${SPREAD} ms, warm-up ${WARMUP} s, measured ${MEASURE} s. CPU µs/frame: /proc utime+stime"
    echo "over the measured window ÷ the server's frame counter (bench.sh's method). Syscalls, RSS and socket memory:"
    echo "a ${SUB_SECS} s sub-window from ${SUB_OFFSET} s into the measured window; syscalls by perf stat on all threads"
    echo "(its tracepoints add a little CPU to that sub-window) ÷ the frame counter's delta; socket memory is the"
    echo "system's TCP mem (/proc/net/sockstat, both ends of loopback) above its level before the server started."
    echo "Servers: cfloor = gcc $CFLOOR_CFLAGS $CFLOOR_SRC; gateway-nio = java $GATEWAY_JAVA_OPTS${GATEWAY_EXTRA_JAVA_OPTS:+ $GATEWAY_EXTRA_JAVA_OPTS} -jar;"
    echo "each with WORKER_THREADS=1${OTHER_GATEWAY_CMD:+; $OTHER_LABEL = $OTHER_GATEWAY_CMD}."
  } >>"$MD"
}

# One point: server $1 (cfloor, gateway-nio, other) at $2 sessions.
run_one() {
  local server=$1 sessions=$2 label metric dir cmd=() server_pid bench_pid perf_pid='' bench_rc=0 status=ok
  local window_start='' sub_start sub_end f0='' f1='' sub_frames='' sock_base rss_peak=0 rss_end=0 sock_end=0 now
  local perf_ok=0 perf_ctl perf_ack
  local cpu='' window_frames='' window_secs='' server_rc
  case $server in
    cfloor) label=cfloor metric=cfloor_frames_in_total cmd=("$REPO_ROOT/$CFLOOR_BIN") ;;
    gateway-nio) label=gateway-nio metric=gateway_frames_in_total cmd=(env "$GATEWAY_MALLOC_ENV" java "${gateway_opts[@]}" -jar "$GATEWAY_JAR") ;;
    other) label=$OTHER_LABEL metric=$OTHER_FRAMES_METRIC cmd=(bash -c "exec $OTHER_GATEWAY_CMD") ;;
  esac
  dir="$OUT_DIR/$label-$sessions"
  mkdir -p "$dir"
  # bench.sh clears its own files too, but only once it runs: a stale run.env would fake the window start.
  rm -f "$dir"/{server.log,bench.log,perf-stat.csv,perf.log,memory.csv,run.env,summary.json,proc.csv,gateway-metrics.csv}
  require_free_port "$SERVER_PORT" "$label" SERVER_PORT
  require_free_port "$SIM_PORT" inference-sim SIM_PORT

  read_memory $$
  sock_base=$sock_pages
  # The server starts once bench.sh's simulator answers (a JVM gateway negotiates HTTP/2 with it at startup);
  # exec keeps one PID from launcher to server, the PID bench.sh and perf watch.
  log "$label, $sessions sessions: starting on port $SERVER_PORT (cpus ${SERVER_CPUS:-any})"
  # shellcheck disable=SC2016  # expanded by the launcher's bash
  env "${server_env[@]}" bash -c 'deadline=$((SECONDS + $2)); until curl -sf -o /dev/null --max-time 1 "$1/health"; do
      ((SECONDS < deadline)) || { echo "inference-sim at $1 never answered" >&2; exit 3; }; sleep 0.1; done
    shift 2; exec "$@"' launcher "$sim_url" "${HEALTH_TIMEOUT_SECS:-60}" "${server_pin[@]}" "${cmd[@]}" \
    >"$dir/server.log" 2>&1 &
  server_pid=$!
  track_pid "$server_pid"

  env SESSIONS="$sessions" WARMUP="$WARMUP" MEASURE="$MEASURE" RAMP="$RAMP" SPREAD="$SPREAD" LABEL="$label" \
    OUT_DIR="$dir" SIM_PORT="$SIM_PORT" GATEWAY_URL="ws://127.0.0.1:$SERVER_PORT/ws/stt" GATEWAY_PID="$server_pid" \
    GATEWAY_FRAMES_METRIC="$metric" GATEWAY_CPUS='' GATEWAY_CPU_LIMIT='' INFERENCE_CPUS="$DRIVER_CPUS" \
    LOADGEN_CPUS="$DRIVER_CPUS" "$SCRIPTS_DIR/bench.sh" >"$dir/bench.log" 2>&1 &
  bench_pid=$!
  track_pid "$bench_pid"

  # The sub-window: bench.sh records the measured window once the loadgen runs.
  while alive "$bench_pid"; do
    window_start=$(sed -n 's/^window_start_ms=//p' "$dir/run.env" 2>/dev/null | tail -n 1 || true)
    [[ -z $window_start ]] || break
    pause 0.2
  done
  if [[ -n $window_start ]]; then
    sub_start=$((window_start + SUB_OFFSET * 1000))
    while alive "$bench_pid" && now=$(now_ms) && ((now < sub_start)); do pause 0.2; done
    if alive "$bench_pid" && alive "$server_pid"; then
      log "$label, $sessions sessions: sub-window of $SUB_SECS s"
      perf_ok=0
      if [[ -z $perf_note ]]; then
        # perf starts with its counters off (-D -1); they are switched on right after the first counter scrape
        # and off right before the second, each step acknowledged, so that the counts and the frame delta
        # cover the same seconds (perf's own start-up takes 0.2-1 s). --timeout only bounds a perf left alone.
        rm -f "$WORK/perf.ctl" "$WORK/perf.ack"
        mkfifo "$WORK/perf.ctl" "$WORK/perf.ack"
        exec {perf_ctl}<>"$WORK/perf.ctl" {perf_ack}<>"$WORK/perf.ack"
        "${driver_pin[@]}" perf stat -x, -o "$dir/perf-stat.csv" -D -1 --control "fifo:$WORK/perf.ctl,$WORK/perf.ack" \
          -e "$perf_events" -p "$server_pid" --timeout $(((SUB_SECS + 60) * 1000)) >"$dir/perf.log" 2>&1 &
        perf_pid=$!
        track_pid "$perf_pid"
      fi
      f0=$(scrape_counter "http://127.0.0.1:$SERVER_PORT/metrics" "$metric")
      if [[ -n $perf_pid ]] && perf_control enable; then perf_ok=1; fi
      sub_end=$(($(now_ms) + SUB_SECS * 1000))
      echo 'epoch_ms,rss_kb,tcp_mem_pages' >"$dir/memory.csv"
      while :; do
        read_memory "$server_pid"
        now=$(now_ms)
        echo "$now,$rss_kb,$sock_pages" >>"$dir/memory.csv"
        ((rss_kb <= rss_peak)) || rss_peak=$rss_kb
        rss_end=$rss_kb sock_end=$sock_pages
        ((now < sub_end)) || break
        pause "$(awk -v ms=$((sub_end - now)) 'BEGIN { printf "%.3f", (ms < 1000 ? ms : 1000) / 1000 }')"
      done
      if ((perf_ok)) && ! perf_control disable; then perf_ok=0; fi
      f1=$(scrape_counter "http://127.0.0.1:$SERVER_PORT/metrics" "$metric")
      if [[ -n $perf_pid ]]; then
        kill -INT "$perf_pid" 2>/dev/null || true
        wait "$perf_pid" 2>/dev/null || true
        exec {perf_ctl}>&- {perf_ack}>&-
        ((perf_ok)) || log "$label, $sessions sessions: perf stat failed: $(tail -n 1 "$dir/perf.log" 2>/dev/null)"
      fi
      if [[ -n $f0 && -n $f1 ]]; then sub_frames=$(awk -v a="$f0" -v b="$f1" 'BEGIN { printf "%d", b - a }'); fi
    fi
  fi
  wait "$bench_pid" || bench_rc=$?

  if ! grep -q '^loadgen_pid=' "$dir/run.env" 2>/dev/null; then
    if alive "$server_pid"; then
      status="no result (bench.sh exit $bench_rc before the load)"
    else
      server_rc=0
      wait "$server_pid" || server_rc=$?
      status="failed to start (exit $server_rc)"
    fi
  elif ! alive "$server_pid"; then
    server_rc=0
    wait "$server_pid" || server_rc=$?
    status="died mid-run (exit $server_rc)"
  elif [[ ! -s $dir/summary.json ]]; then
    status="no result (bench.sh exit $bench_rc)"
  fi
  if [[ $status != ok ]]; then
    any_failed=1
    log "$label, $sessions sessions: $status; last lines of $dir/server.log and bench.log:"
    tail -n 5 "$dir/server.log" "$dir/bench.log" >&2 || true
  fi
  stop_started

  read -r cpu window_frames window_secs < <(cpu_per_frame "$dir") || true
  local -A js=()
  local path value
  if [[ -s $dir/summary.json ]]; then
    while read -r path value; do js[$path]=$value; done < <(flatten_json "$dir/summary.json")
  fi
  local errors=''
  if [[ -n ${js[partials]:-} ]]; then
    errors=$((${js[protocol_errors]:-0} + ${js[inference_errors]:-0} + ${js[timeouts.connect]:-0} \
      + ${js[timeouts.send]:-0} + ${js[timeouts.close]:-0} + ${js[timeouts.session]:-0}))
  fi
  local sc_field
  if ((perf_ok)) && [[ -n $sub_frames ]]; then
    syscalls_per_frame "$dir/perf-stat.csv" "$sub_frames"
    sc_field=${sc_text:-–}
  else
    syscalls_per_frame /dev/null 0
    sc_field=${perf_note:-–}
    [[ -n $perf_note || -z $perf_pid ]] || sc_field='n/a (perf stat failed: perf.log)'
  fi
  local sock_bytes=$(((sock_end - sock_base) * page_size))
  ((sock_bytes >= 0)) || sock_bytes=0
  local mem=('' '' '' '' '' '')
  if ((rss_end > 0)); then
    mapfile -t mem < <(awk -v end="$rss_end" -v peak="$rss_peak" -v sock="$sock_bytes" -v n="$sessions" 'BEGIN {
      printf "%.1f\n%.1f\n%.1f\n%.1f\n%.1f\n%.1f\n", end / 1024, peak / 1024, sock / 1048576,
        (end * 1024 + sock) / 1048576, end / n, (end * 1024 + sock) / 1024 / n }')
  fi
  local row
  row="$sessions,$label,$status,${cpu:+$(awk -v c="$cpu" 'BEGIN { printf "%.2f", c }')},,$window_frames,$window_secs"
  row+=",${mem[0]},${mem[1]},${mem[2]},${mem[3]},${mem[4]},${mem[5]},$SUB_SECS,$sub_frames,$sc_field"
  for value in "${sc_cols[@]}"; do row+=",$value"; done
  row+=",${js[newest_frame_to_partial_latency.p50_ms]:-},${js[newest_frame_to_partial_latency.p95_ms]:-}"
  row+=",${js[oldest_frame_to_partial_latency.p50_ms]:-},${js[oldest_frame_to_partial_latency.p95_ms]:-}"
  row+=",${js[client_bound]:-},${js[send_lag.p99_ms]:-},${js[partials]:-},$errors,${js[slo.verdict]:-},$dir"
  ROWS+=("$row")
  render
  log "$label, $sessions sessions: $status, CPU ${cpu:-?} µs/frame, $(tail -n 1 "$dir/loadgen.err.log" 2>/dev/null || true)"
}

for n in "${sessions_list[@]}"; do
  for s in "${servers[@]}"; do
    run_one "$s" "$n"
  done
done
cat "$MD"
echo
echo "table: $MD, data: $CSV"
exit "$any_failed"
