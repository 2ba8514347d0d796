#!/usr/bin/env bash
# One benchmark point on loopback, PROTOCOL.md §4: starts inference-sim and gateway-nio (pinned, the
# gateway optionally under a CFS quota), drives them with `loadgen run`, samples every process it
# started from /proc, stops exactly those processes, and writes OUT_DIR (default
# RESULTS_DIR/LABEL-SESSIONS): summary.json, samples.csv, proc.csv, gateway-metrics.csv,
# gateway-metrics-{start,end}.prom (its /metrics at the window's start and end), cgroup-cpu.stat, run.env,
# report.md and the processes' logs.
#
# Exit status: loadgen's (0 SLO pass, 1 SLO fail, 2 invalid arguments); 3 when the harness failed.
#
# Variables (environment or make command line):
#   SESSIONS=1000  WARMUP=10  MEASURE=45  RAMP=30  SPREAD=1000 (ms)  LABEL=nio (external with GATEWAY_URL)
#   RESULTS_DIR=results  OUT_DIR=$RESULTS_DIR/$LABEL-$SESSIONS  SIM_PORT=9000  GATEWAY_PORT=8080 (0 = ephemeral)
#   GATEWAY_CPUS INFERENCE_CPUS LOADGEN_CPUS   taskset CPU lists (defaults by core count, see lib.sh)
#   GATEWAY_CPU_LIMIT   vCPUs of CFS quota for the gateway (empty = no limit)
#   BENCH_NICE   nice value for all three processes (e.g. -10 on a machine shared with other work)
#   GATEWAY_JAVA_OPTS SIM_JAVA_OPTS LOADGEN_JAVA_OPTS   JVM flags (the gateway's default: GATEWAY_JVM_OPTS in lib.sh)
#   GATEWAY_WORKER_THREADS GATEWAY_MAX_SESSIONS GATEWAY_SESSION_BUFFER_FRAMES SIM_WORKER_THREADS LOADGEN_THREADS
#   SIM_MAX_CONCURRENT_STREAMS SIM_MAX_REQUESTS_PER_CONNECTION   the simulator's HTTP/2 stream limit (e.g. 100, as real
#                         servers advertise) and GOAWAY interval; unset: its defaults (1000000, none)
#   GATEWAY_INFERENCE_MAX_STREAMS GATEWAY_INFERENCE_MAX_CONNECTIONS GATEWAY_INFERENCE_QUEUE_MAX   the gateway's
#                         streams per connection, connections and queue toward inference; unset: its defaults
#   GATEWAY_AUDIO_MEMORY_MB   the gateway's AUDIO_MEMORY_MB (its off-heap audio budget); unset: derived from its
#                         cgroup's memory limit (POD=1), or none without one
#   LOADGEN_SEND_PATH     loadgen --send-path: auto (default: io_uring where available), io_uring or write
#   LOADGEN_RT_PRIORITY   SCHED_FIFO priority of loadgen's loops (default 1 when LOADGEN_CPUS is set and this
#                         shell may use SCHED_FIFO, else 0 = normal scheduling)
#   CPU_PASSES=4 MODEL_DELAY_MS=75 FLUSH_INTERVAL_MS=1000 FLUSH_PHASE_JITTER_MS=1000 INFERENCE_TIMEOUT_MS=2000
#   MODEL_MAX_CONCURRENT=65536
#   GATEWAY_JAR=... GATEWAY_NAME=...   start another gateway's jar the same way (pinning, quota, JVM flags), e.g.
#                         gateway-netty's (scripts/compare-ports.sh)
#   GATEWAY_URL=ws://host:port/ws/stt [GATEWAY_PID=...]   drive an external gateway instead of gateway-nio
#   GATEWAY_FRAMES_METRIC   the gateway /metrics counter of audio frames received (for CPU per frame); an
#                         external gateway's is read at GATEWAY_URL's host /metrics when GATEWAY_PID is given
#   POD=1                 run each process as a pod (root only, scripts/pod.sh): own network namespace on a veth
#                         to a bridge, own cgroup with cpuset, CPU quota and memory limit; the report adds the
#                         pods' memory peaks and any OOM kill. With it: POD_BRIDGE=sttb0 POD_SUBNET=10.77.0
#                         POD_MTU=1500 POD_LOADGEN=pod|host GATEWAY_MEMORY_LIMIT_MB=256 SIM_MEMORY_LIMIT_MB=1024
#                         (lib.sh, "POD=1"); a killed run's leftovers: scripts/pod.sh down sttb0
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SESSIONS=${SESSIONS:-1000}
WARMUP=${WARMUP:-10}
MEASURE=${MEASURE:-45}
RAMP=${RAMP:-30}
SPREAD=${SPREAD:-1000}
GATEWAY_URL=${GATEWAY_URL:-}
GATEWAY_PID=${GATEWAY_PID:-}
if [[ -n $GATEWAY_URL ]]; then LABEL=${LABEL:-external}; else LABEL=${LABEL:-nio}; fi
RESULTS_DIR=${RESULTS_DIR:-results}
OUT_DIR=${OUT_DIR:-$RESULTS_DIR/$LABEL-$SESSIONS}
GATEWAY_FRAMES_METRIC=${GATEWAY_FRAMES_METRIC:-gateway_frames_in_total}
POD=${POD:-}
[[ -z $POD || -z $GATEWAY_URL ]] || die "POD=1 starts the gateway in a pod: it cannot drive an external GATEWAY_URL"
if [[ -n $GATEWAY_URL ]]; then
  [[ -z ${GATEWAY_CPU_LIMIT:-} ]] || log "GATEWAY_CPU_LIMIT ignored: an external gateway's limit is set where it runs"
  GATEWAY_CPU_LIMIT=''
fi
server_defaults

for var in SESSIONS WARMUP MEASURE RAMP SPREAD SIM_PORT GATEWAY_PORT; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
((SESSIONS > 0 && MEASURE > 0)) || die "SESSIONS and MEASURE must be positive"
[[ -z $GATEWAY_PID || $GATEWAY_PID =~ ^[0-9]+$ ]] || die "GATEWAY_PID must be a process id, got '$GATEWAY_PID'"
[[ -z $GATEWAY_PID ]] || kill -0 "$GATEWAY_PID" 2>/dev/null || die "GATEWAY_PID $GATEWAY_PID is not a running process"
require_jar "$SIM_JAR"
require_jar "$LOADGEN_JAR"
[[ -n $GATEWAY_URL ]] || require_jar "$GATEWAY_JAR"
require_tool curl
[[ -z $POD ]] || pod_defaults

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
rm -f "$OUT_DIR"/{summary.json,samples.csv,proc.csv,gateway-metrics.csv,gateway-metrics-start.prom,gateway-metrics-end.prom,cgroup-cpu.stat,run.env,report.md,sim.log,gateway.log,loadgen.log,loadgen.err.log,sampler.log,pod-gateway-memory.stat,pod-sim-memory.stat}
RUN_ENV="$OUT_DIR/run.env"
record() { printf '%s=%s\n' "$1" "$2" >>"$RUN_ENV"; }

if [[ -z $POD ]]; then # a pod's ports are in its own network namespace
  require_free_port "$SIM_PORT" inference-sim SIM_PORT
  [[ -n $GATEWAY_URL ]] || require_free_port "$GATEWAY_PORT" "$GATEWAY_NAME" GATEWAY_PORT
fi

CGROUP_DIR=''
# shellcheck disable=SC2317  # reached through the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((rc < 128)) || log "interrupted: stopping the ${#STARTED_PIDS[@]} processes this run started"
  stop_started
  if [[ -n $CGROUP_DIR ]]; then
    "$SCRIPTS_DIR/cgroup.sh" remove "$CGROUP_DIR" || rc=3
  fi
  pod_down || rc=3
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

record label "$LABEL"
record sessions "$SESSIONS"
record warmup_secs "$WARMUP"
record measure_secs "$MEASURE"
record ramp_up_secs "$RAMP"
record session_start_spread_ms "$SPREAD"
record_host

prepare_launch
[[ -z $POD ]] || pod_up
start_inference_sim

if [[ -n $GATEWAY_URL ]]; then
  log "inference-sim is at $sim_url: point the external gateway's INFERENCE_URL there"
  health_url=$(sed -E 's#^ws(s?)://([^/]+).*#http\1://\2/health#' <<<"$GATEWAY_URL")
  log "waiting for the external gateway at $health_url"
  wait_for_health "$health_url" "$GATEWAY_PID" /dev/null
  gateway_pid=$GATEWAY_PID
  ws_url=$GATEWAY_URL
  record gateway external
  record gateway_cpus ''
  record gateway_frames_metric "$GATEWAY_FRAMES_METRIC"
else
  start_gateway
  record gateway_frames_metric "$GATEWAY_FRAMES_METRIC"
fi
record gateway_url "$ws_url"
record gateway_pid "$gateway_pid"
record gateway_cpu_limit "$GATEWAY_CPU_LIMIT"

default_loadgen_rt_priority
loadgen_run_args "$SESSIONS" "$ws_url" "$OUT_DIR" "$LABEL"
record loadgen_cpus "$LOADGEN_CPUS"
record loadgen_java_opts "$LOADGEN_JAVA_OPTS"
record loadgen_rt_priority "$LOADGEN_RT_PRIORITY"
record loadgen_args "${loadgen_args[*]}"

expected_secs=$((RAMP + (SPREAD + 999) / 1000 + WARMUP + MEASURE))
log "loadgen: $SESSIONS sessions against $ws_url, about $expected_secs s (cpus ${LOADGEN_CPUS:-any}, rt priority $LOADGEN_RT_PRIORITY)"
start_ms=$(now_ms)
"${nice_prefix[@]}" "${loadgen_pin[@]}" java "${loadgen_opts[@]}" -jar "$LOADGEN_JAR" "${loadgen_args[@]}" \
  >"$OUT_DIR/loadgen.log" 2>"$OUT_DIR/loadgen.err.log" &
loadgen_pid=$!
track_pid "$loadgen_pid"

sampled=(inference-sim="$sim_pid" loadgen="$loadgen_pid")
[[ -z $gateway_pid ]] || sampled+=(gateway="$gateway_pid")
# The gateway's /metrics: ours, or an external gateway's whose process is sampled, at the same host, if it has one.
metrics_url=''
if [[ -z $GATEWAY_URL ]]; then
  metrics_url="http://${POD_GATEWAY_IP:-127.0.0.1}:$GATEWAY_PORT/metrics"
elif [[ -n $gateway_pid ]]; then
  metrics_url=$(sed -E 's#^ws://([^/]+).*#http://\1/metrics#' <<<"$GATEWAY_URL")
fi
metrics=()
[[ -z $metrics_url ]] || metrics=(--metrics "$metrics_url" "$GATEWAY_FRAMES_METRIC" "$OUT_DIR/gateway-metrics.csv")
"$SCRIPTS_DIR/proc-sampler.sh" "$OUT_DIR/proc.csv" "${metrics[@]}" "${sampled[@]}" 2>"$OUT_DIR/sampler.log" &
sampler_pid=$!
track_pid "$sampler_pid"
record loadgen_pid "$loadgen_pid"
record sampler_pid "$sampler_pid"
record loadgen_start_ms "$start_ms"
window_start_ms=$((start_ms + (RAMP + WARMUP) * 1000 + SPREAD))
record window_start_ms "$window_start_ms"
record window_end_ms $((start_ms + (RAMP + WARMUP + MEASURE) * 1000 + SPREAD))

# The gateway's /metrics at the window's start and when the load ends: the report takes the loop-lag
# histograms' difference (report.LoopLag).
if [[ -n $metrics_url ]]; then
  (
    delay_ms=$((window_start_ms - $(now_ms)))
    ((delay_ms <= 0)) || sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
    curl -s --max-time 2 -o "$OUT_DIR/gateway-metrics-start.prom" "$metrics_url" || true
  ) &
  track_pid $!
fi

loadgen_rc=0
wait "$loadgen_pid" || loadgen_rc=$?
[[ -z $metrics_url ]] || curl -s --max-time 2 -o "$OUT_DIR/gateway-metrics-end.prom" "$metrics_url" || true
record loadgen_end_ms "$(now_ms)"
record loadgen_exit "$loadgen_rc"
record loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
[[ -z $POD ]] || pod_collect

# Stop the servers while the cgroup still exists, so its cpu.stat covers the whole run.
stop_started
if [[ -n $CGROUP_DIR ]]; then
  "$SCRIPTS_DIR/cgroup.sh" stat "$CGROUP_DIR" >"$OUT_DIR/cgroup-cpu.stat"
  "$SCRIPTS_DIR/cgroup.sh" remove "$CGROUP_DIR"
  CGROUP_DIR=''
fi

verdict=$(grep -v '^[[:space:]]*$' "$OUT_DIR/loadgen.err.log" | tail -n 1 || true)
if [[ ! -s $OUT_DIR/summary.json ]]; then
  tail -n 20 "$OUT_DIR/loadgen.err.log" >&2 || true
  log "loadgen exited $loadgen_rc without writing summary.json"
  exit $((loadgen_rc == 0 ? 3 : loadgen_rc))
fi
echo "$verdict"
[[ -z $POD ]] || pod_verdict
java -cp "$LOADGEN_JAR" "$REPORT_MAIN" report "$OUT_DIR" >/dev/null || die "report generation failed for $OUT_DIR"
echo "report: $OUT_DIR/report.md"
exit "$loadgen_rc"
