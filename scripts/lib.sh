# Helpers shared by the bench scripts; sourced, never run.
# shellcheck shell=bash disable=SC2034  # the paths below are used by the scripts that source this file

# Every script runs its JVMs on a JDK 25+, as the Makefile does: JAVA_HOME when it is one (make exports it), else
# Temurin 25 under /usr/lib/jvm, so that a script run by hand does not fall back on the machine's default java.
# The JDK's major version from its release file: no JVM started each time a script sources this file.
java_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
if [[ -z ${JAVA_HOME:-} || ! -x $JAVA_HOME/bin/java || $(java_major "$JAVA_HOME") -lt 25 ]]; then
  for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25* /usr/lib/jvm/jdk-25*; do
    if [[ -x $candidate/bin/java ]]; then export JAVA_HOME=$candidate; break; fi
  done
fi
[[ -z ${JAVA_HOME:-} ]] || export PATH="$JAVA_HOME/bin:$PATH"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS_DIR="$REPO_ROOT/scripts"
SIM_JAR="$REPO_ROOT/inference-sim/target/inference-sim.jar"
# The gateway bench.sh and density.sh start: gateway-nio unless GATEWAY_JAR names another gateway's runnable jar
# (same environment variables, `listening port=N` line and /health), e.g. gateway-netty's for make compare-ports.
GATEWAY_JAR=${GATEWAY_JAR:-"$REPO_ROOT/gateway-nio/target/gateway-nio.jar"}
GATEWAY_NAME=${GATEWAY_NAME:-gateway-nio}
LOADGEN_JAR="$REPO_ROOT/loadgen/target/loadgen.jar"
# Report, plot and compare arithmetic lives in the loadgen jar (package dev.sttbench.loadgen.report).
REPORT_MAIN="dev.sttbench.loadgen.report.ReportMain"

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 3; }

now_ms() { local t=${EPOCHREALTIME/./}; printf '%s' "${t:0:13}"; }

# Installs a Debian package when its command is missing and we may (root with apt-get), else fails clearly.
require_tool() {
  local tool=$1 package=${2:-$1}
  command -v "$tool" >/dev/null 2>&1 && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing $package (for $tool)"
    if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null; }; then
      die "could not install $package with apt-get"
    fi
    command -v "$tool" >/dev/null 2>&1 || die "$package installed but $tool is still not on PATH"
  else
    die "$tool is missing: install the Debian package '$package' (needs root and apt-get to do it automatically)"
  fi
}

require_jar() { [[ -f $1 ]] || die "$1 is missing: run 'make build' first"; }

# True when something on 127.0.0.1 accepts connections on port $1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Fails clearly when port $1 (0 = ephemeral, always free) is taken; $2 names the server, $3 its variable.
require_free_port() {
  if (($1 != 0)) && port_taken "$1"; then
    die "port $1 ($2) is already in use on 127.0.0.1: stop what holds it or choose another ($3=...)"
  fi
}

# HTTP status of GET $1 (000 when nothing answers within 2 s).
http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true; }

# Waits for the `listening port=N` line that process $2 writes to log $1, and prints N.
wait_for_listening() {
  local logfile=$1 pid=$2 deadline=$((SECONDS + ${HEALTH_TIMEOUT_SECS:-60})) line
  while :; do
    line=$(grep -m 1 -o 'listening port=[0-9]*' "$logfile" 2>/dev/null || true)
    if [[ -n $line ]]; then
      printf '%s' "${line#listening port=}"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "process $pid exited before printing 'listening port=N' (log: $logfile)"
    fi
    ((SECONDS < deadline)) || die "no 'listening port=N' in $logfile within ${HEALTH_TIMEOUT_SECS:-60} s"
    sleep 0.1
  done
}

# Waits until GET $1 answers 200, while process $2 (if any) stays alive; $3 = log file shown on failure.
wait_for_health() {
  local url=$1 pid=$2 logfile=$3 deadline=$((SECONDS + ${HEALTH_TIMEOUT_SECS:-60}))
  while [[ $(http_status "$url") != 200 ]]; do
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "process $pid exited before $url answered (log: $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$logfile" >&2 || true
      die "$url did not answer 200 within ${HEALTH_TIMEOUT_SECS:-60} s (log: $logfile)"
    fi
    sleep 0.2
  done
}

# Processes this script started, stopped by PID on exit, failure or Ctrl-C (never by name).
STARTED_PIDS=()

track_pid() { STARTED_PIDS+=("$1"); }

# SIGTERM every tracked PID, newest first, then SIGKILL what is still alive after STOP_GRACE_SECS.
stop_started() {
  local pid i deadline
  for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${STARTED_PIDS[i]}" 2>/dev/null || true
  done
  deadline=$((SECONDS + ${STOP_GRACE_SECS:-10}))
  for pid in "${STARTED_PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid ignored SIGTERM for ${STOP_GRACE_SECS:-10} s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# The gateway's JVM, sized from measurements at 2000 streaming sessions (gateway-nio/README.md, "Memory"):
# a fixed 48 MiB Serial heap (live set 15-18 MiB; a 16 MiB young generation takes the HTTP/2 client's
# ~30 KB of garbage per request, collected ~4 times a second), thread stacks and code cache capped, and
# glibc's heap trimmed every 2 s (the C2 compiler's transient arenas otherwise stay resident, ~27 MiB).
# MALLOC_ARENA_MAX=2 (GATEWAY_MALLOC_ENV) keeps glibc from one arena per thread.
GATEWAY_JVM_OPTS="-XX:+UseSerialGC -Xms48m -Xmx48m -Xmn16m -Xss256k -XX:ReservedCodeCacheSize=24m \
-XX:MaxMetaspaceSize=48m -XX:TrimNativeHeapInterval=2000 -XX:+PerfDisableSharedMem"
GATEWAY_MALLOC_ENV=MALLOC_ARENA_MAX=2
export GATEWAY_JVM_OPTS GATEWAY_MALLOC_ENV

# Default pinning and limit by core count. On 2 cores: gateway (0.5 vCPU quota) and inference-sim on
# CPU 0, the load generator alone on CPU 1. On 3+ cores: one core each, the gateway at a 1 vCPU quota
# (the public suite's 1-vCPU figure), the load generator on the rest. One core: no pinning, no limit.
default_placement() {
  local cores
  cores=$(nproc)
  if ((cores >= 3)); then
    : "${GATEWAY_CPUS=0}" "${INFERENCE_CPUS=1}" "${LOADGEN_CPUS=2-$((cores - 1))}" "${GATEWAY_CPU_LIMIT=1}"
  elif ((cores == 2)); then
    : "${GATEWAY_CPUS=0}" "${INFERENCE_CPUS=0}" "${LOADGEN_CPUS=1}" "${GATEWAY_CPU_LIMIT=0.5}"
  else
    : "${GATEWAY_CPUS=}" "${INFERENCE_CPUS=}" "${LOADGEN_CPUS=}" "${GATEWAY_CPU_LIMIT=}"
  fi
}

# The CPUs of list $1 ("0-2,5"), one per line.
cpu_list_expand() {
  local part from to
  local -a parts
  IFS=, read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    if [[ $part =~ ^([0-9]+)-([0-9]+)$ ]]; then
      from=${BASH_REMATCH[1]} to=${BASH_REMATCH[2]}
      while ((from <= to)); do echo "$from"; from=$((from + 1)); done
    elif [[ $part =~ ^[0-9]+$ ]]; then
      echo "$part"
    fi
  done
}

# True when CPU lists $1 and $2 share a CPU (an empty list shares none: nothing is known of it).
cpus_overlap() {
  [[ -n $1 && -n $2 ]] || return 1
  local cpu
  local -A first=()
  while read -r cpu; do first[$cpu]=1; done < <(cpu_list_expand "$1")
  while read -r cpu; do [[ -z ${first[$cpu]:-} ]] || return 0; done < <(cpu_list_expand "$2")
  return 1
}

# Prefix that pins a command to CPU list $1 (nothing when $1 is empty).
pin_prefix() {
  if [[ -n $1 ]]; then
    require_tool taskset util-linux
    printf 'taskset\n-c\n%s\n' "$1"
  fi
}

# ---- Starting the servers as bench.sh does (bench.sh and density.sh share these) ----
# The caller defines record KEY VALUE (appends to its run.env) and sets OUT_DIR.

# The settings both drivers share, PROTOCOL.md §4 defaults; then the placement (default_placement).
server_defaults() {
  SIM_PORT=${SIM_PORT:-9000}
  GATEWAY_PORT=${GATEWAY_PORT:-8080}
  # On one pinned core a concurrent collector only competes with the application; shared perf memory
  # adds page-cache writes to safepoints.
  GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:-$GATEWAY_JVM_OPTS}
  SIM_JAVA_OPTS=${SIM_JAVA_OPTS:--XX:+UseSerialGC -XX:+PerfDisableSharedMem}
  LOADGEN_JAVA_OPTS=${LOADGEN_JAVA_OPTS:--XX:+UseSerialGC -XX:+PerfDisableSharedMem}
  CPU_PASSES=${CPU_PASSES:-4}
  MODEL_DELAY_MS=${MODEL_DELAY_MS:-75}
  FLUSH_INTERVAL_MS=${FLUSH_INTERVAL_MS:-1000}
  FLUSH_PHASE_JITTER_MS=${FLUSH_PHASE_JITTER_MS:-1000}
  INFERENCE_TIMEOUT_MS=${INFERENCE_TIMEOUT_MS:-2000}
  MODEL_MAX_CONCURRENT=${MODEL_MAX_CONCURRENT:-65536}
  BENCH_NICE=${BENCH_NICE:-}
  default_placement
}

# Records the machine: CPU, cores, clock tick, kernel, OS, memory, JDK, load average, virtualization.
record_host() {
  record cpu_model "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  record cores "$(nproc)"
  record clk_tck "$(getconf CLK_TCK)"
  record kernel "$(uname -sr)"
  record os "$(. /etc/os-release 2>/dev/null && printf '%s' "${PRETTY_NAME:-}")"
  record mem_total_kb "$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
  record jdk "$(java -version 2>&1 | head -n 1)"
  record virtualization "$(virtualization)"
  record loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# "none", or what this machine runs inside: a container and/or a hypervisor (e.g. "docker, hypervisor").
virtualization() {
  local -a found=()
  local virt
  if command -v systemd-detect-virt >/dev/null 2>&1; then
    virt=$(systemd-detect-virt --container 2>/dev/null || true)
    [[ -z $virt || $virt == none ]] || found+=("$virt")
  fi
  if ((${#found[@]} == 0)) && [[ -f /.dockerenv ]]; then found+=(docker); fi
  if grep -qw hypervisor /proc/cpuinfo 2>/dev/null; then found+=(hypervisor); fi
  if ((${#found[@]} == 0)); then echo none; else virt=${found[*]}; echo "${virt// /, }"; fi
}

# Sets the launch prefixes and JVM flags of the three processes: nice_prefix, sim_pin, gateway_pin,
# loadgen_pin, sim_opts, gateway_opts, loadgen_opts (arrays); records the nice value.
prepare_launch() {
  [[ -z $BENCH_NICE || $BENCH_NICE =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be a whole number, got '$BENCH_NICE'"
  record nice "$BENCH_NICE"
  nice_prefix=()
  [[ -z $BENCH_NICE ]] || nice_prefix=(nice -n "$BENCH_NICE")
  mapfile -t sim_pin < <(pin_prefix "$INFERENCE_CPUS")
  mapfile -t gateway_pin < <(pin_prefix "$GATEWAY_CPUS")
  mapfile -t loadgen_pin < <(pin_prefix "$LOADGEN_CPUS")
  read -r -a sim_opts <<<"$SIM_JAVA_OPTS"
  read -r -a gateway_opts <<<"$GATEWAY_JAVA_OPTS"
  read -r -a loadgen_opts <<<"$LOADGEN_JAVA_OPTS"
}

# Starts inference-sim (log OUT_DIR/sim.log) and waits for its health: sets sim_pid, SIM_PORT, sim_url.
# SIM_WORKER_THREADS, SIM_MAX_CONCURRENT_STREAMS, SIM_MAX_REQUESTS_PER_CONNECTION become its WORKER_THREADS,
# MAX_CONCURRENT_STREAMS, MAX_REQUESTS_PER_CONNECTION (when set).
start_inference_sim() {
  local -a sim_env=(PORT="$SIM_PORT" CPU_PASSES="$CPU_PASSES" MODEL_DELAY_MS="$MODEL_DELAY_MS"
    MODEL_MAX_CONCURRENT="$MODEL_MAX_CONCURRENT")
  [[ -z ${SIM_WORKER_THREADS:-} ]] || sim_env+=(WORKER_THREADS="$SIM_WORKER_THREADS")
  [[ -z ${SIM_MAX_CONCURRENT_STREAMS:-} ]] || sim_env+=(MAX_CONCURRENT_STREAMS="$SIM_MAX_CONCURRENT_STREAMS")
  [[ -z ${SIM_MAX_REQUESTS_PER_CONNECTION:-} ]] ||
    sim_env+=(MAX_REQUESTS_PER_CONNECTION="$SIM_MAX_REQUESTS_PER_CONNECTION")
  [[ -z ${POD_SIM_IP:-} ]] || sim_env+=(BIND_ADDRESS="$POD_SIM_IP")
  log "starting inference-sim on port $SIM_PORT (cpus ${INFERENCE_CPUS:-any})"
  env "${sim_env[@]}" "${nice_prefix[@]}" "${sim_pin[@]}" java "${sim_opts[@]}" -jar "$SIM_JAR" >"$OUT_DIR/sim.log" 2>&1 &
  sim_pid=$!
  track_pid "$sim_pid"
  SIM_PORT=$(wait_for_listening "$OUT_DIR/sim.log" "$sim_pid")
  sim_url="http://${POD_SIM_IP:-127.0.0.1}:$SIM_PORT"
  wait_for_health "$sim_url/health" "$sim_pid" "$OUT_DIR/sim.log"
  record sim_pid "$sim_pid"
  record sim_url "$sim_url"
  record sim_java_opts "$SIM_JAVA_OPTS"
  record sim_env "${sim_env[*]}"
  record inference_cpus "$INFERENCE_CPUS"
}

# Starts the gateway (GATEWAY_JAR, GATEWAY_NAME: gateway-nio by default) against sim_url (log OUT_DIR/gateway.log),
# pinned and under GATEWAY_CPU_LIMIT's CFS quota when set, and waits for its health: sets gateway_pid,
# GATEWAY_PORT, ws_url, CGROUP_DIR (the caller removes it) and gateway_env. GATEWAY_WORKER_THREADS, GATEWAY_MAX_SESSIONS, GATEWAY_SESSION_BUFFER_FRAMES,
# GATEWAY_IDLE_TIMEOUT_MS become its WORKER_THREADS, MAX_SESSIONS, SESSION_BUFFER_FRAMES, IDLE_TIMEOUT_MS;
# GATEWAY_INFERENCE_MAX_STREAMS, _MAX_CONNECTIONS, _QUEUE_MAX its INFERENCE_MAX_STREAMS, ..., GATEWAY_AUDIO_MEMORY_MB
# its AUDIO_MEMORY_MB (when set).
start_gateway() {
  local -a cgroup_exec=()
  gateway_env=("$GATEWAY_MALLOC_ENV" PORT="$GATEWAY_PORT" INFERENCE_URL="$sim_url" CPU_PASSES="$CPU_PASSES"
    MODEL_DELAY_MS="$MODEL_DELAY_MS" FLUSH_INTERVAL_MS="$FLUSH_INTERVAL_MS"
    FLUSH_PHASE_JITTER_MS="$FLUSH_PHASE_JITTER_MS" INFERENCE_TIMEOUT_MS="$INFERENCE_TIMEOUT_MS")
  [[ -z ${GATEWAY_WORKER_THREADS:-} ]] || gateway_env+=(WORKER_THREADS="$GATEWAY_WORKER_THREADS")
  [[ -z ${GATEWAY_MAX_SESSIONS:-} ]] || gateway_env+=(MAX_SESSIONS="$GATEWAY_MAX_SESSIONS")
  [[ -z ${GATEWAY_SESSION_BUFFER_FRAMES:-} ]] || gateway_env+=(SESSION_BUFFER_FRAMES="$GATEWAY_SESSION_BUFFER_FRAMES")
  [[ -z ${GATEWAY_IDLE_TIMEOUT_MS:-} ]] || gateway_env+=(IDLE_TIMEOUT_MS="$GATEWAY_IDLE_TIMEOUT_MS")
  [[ -z ${GATEWAY_INFERENCE_MAX_STREAMS:-} ]] || gateway_env+=(INFERENCE_MAX_STREAMS="$GATEWAY_INFERENCE_MAX_STREAMS")
  [[ -z ${GATEWAY_INFERENCE_MAX_CONNECTIONS:-} ]] ||
    gateway_env+=(INFERENCE_MAX_CONNECTIONS="$GATEWAY_INFERENCE_MAX_CONNECTIONS")
  [[ -z ${GATEWAY_INFERENCE_QUEUE_MAX:-} ]] || gateway_env+=(INFERENCE_QUEUE_MAX="$GATEWAY_INFERENCE_QUEUE_MAX")
  [[ -z ${GATEWAY_AUDIO_MEMORY_MB:-} ]] || gateway_env+=(AUDIO_MEMORY_MB="$GATEWAY_AUDIO_MEMORY_MB")
  [[ -z ${POD_GATEWAY_IP:-} ]] || gateway_env+=(BIND_ADDRESS="$POD_GATEWAY_IP")
  if [[ -n $GATEWAY_CPU_LIMIT ]]; then
    if [[ -n ${POD_GATEWAY_IP:-} ]]; then
      # The pod's own cpu cgroup holds the quota (pod_up); gateway_pin joins it.
      CGROUP_DIR=$("$SCRIPTS_DIR/pod.sh" cgroup "$POD_BRIDGE" gateway cpu)
    else
      CGROUP_DIR=$("$SCRIPTS_DIR/cgroup.sh" create "sttbench-gateway-$$" "$GATEWAY_CPU_LIMIT") \
        || die "cannot apply GATEWAY_CPU_LIMIT=$GATEWAY_CPU_LIMIT (run as root, or set GATEWAY_CPU_LIMIT= for no limit)"
      cgroup_exec=("$SCRIPTS_DIR/cgroup.sh" exec "$CGROUP_DIR")
    fi
    if [[ -f $CGROUP_DIR/cpu.max ]]; then
      record cgroup "v2 $CGROUP_DIR cpu.max=$(<"$CGROUP_DIR/cpu.max")"
    else
      record cgroup "v1 $CGROUP_DIR cpu.cfs_quota_us=$(<"$CGROUP_DIR/cpu.cfs_quota_us") cpu.cfs_period_us=$(<"$CGROUP_DIR/cpu.cfs_period_us")"
    fi
  fi
  log "starting $GATEWAY_NAME on port $GATEWAY_PORT (cpus ${GATEWAY_CPUS:-any}, limit ${GATEWAY_CPU_LIMIT:-none})"
  env "${gateway_env[@]}" "${cgroup_exec[@]}" "${nice_prefix[@]}" "${gateway_pin[@]}" java "${gateway_opts[@]}" -jar "$GATEWAY_JAR" \
    >"$OUT_DIR/gateway.log" 2>&1 &
  gateway_pid=$!
  track_pid "$gateway_pid"
  if ! GATEWAY_PORT=$(wait_for_listening "$OUT_DIR/gateway.log" "$gateway_pid"); then
    if grep -q 'invalid configuration' "$OUT_DIR/gateway.log" 2>/dev/null; then
      log "the gateway's variables are set here as GATEWAY_WORKER_THREADS, GATEWAY_MAX_SESSIONS, GATEWAY_SESSION_BUFFER_FRAMES"
    fi
    [[ -z ${POD_GATEWAY_IP:-} ]] || pod_explain_exit gateway
    die "$GATEWAY_NAME did not start (log: $OUT_DIR/gateway.log)"
  fi
  wait_for_health "http://${POD_GATEWAY_IP:-127.0.0.1}:$GATEWAY_PORT/health" "$gateway_pid" "$OUT_DIR/gateway.log"
  ws_url="ws://${POD_GATEWAY_IP:-127.0.0.1}:$GATEWAY_PORT/ws/stt"
  record gateway "$GATEWAY_NAME"
  record gateway_cpus "$GATEWAY_CPUS"
  record gateway_java_opts "$GATEWAY_JAVA_OPTS"
  record gateway_env "${gateway_env[*]}"
}

# The SCHED_FIFO priority for the loadgen's loops when LOADGEN_RT_PRIORITY is unset: 1 when it has CPUs of
# its own and this shell may use SCHED_FIFO, else 0 (normal scheduling). Sets and validates LOADGEN_RT_PRIORITY.
# Under SCHED_FIFO no kernel thread or sampler on the loadgen's cores can hold a due frame back
# (loadgen/README.md, "Measured efficiency"). Only when it has cores of its own: sharing one with the
# gateway or inference-sim, it would preempt what it measures (a starved simulator answers past the
# inference deadline). Without the privilege the loops run at normal priority.
default_loadgen_rt_priority() {
  if [[ -z ${LOADGEN_RT_PRIORITY:-} ]]; then
    LOADGEN_RT_PRIORITY=0
    if [[ -n $LOADGEN_CPUS ]] && ! cpus_overlap "$LOADGEN_CPUS" "$GATEWAY_CPUS" \
      && ! cpus_overlap "$LOADGEN_CPUS" "$INFERENCE_CPUS" && command -v chrt >/dev/null && chrt -f 1 true 2>/dev/null; then
      LOADGEN_RT_PRIORITY=1
    fi
  fi
  [[ $LOADGEN_RT_PRIORITY =~ ^[0-9]+$ ]] || die "LOADGEN_RT_PRIORITY must be 0..99, got '$LOADGEN_RT_PRIORITY'"
}

# Sets loadgen_args to `loadgen run` with the §4 timing contract: $1 sessions against $2, summary.json and
# samples.csv into directory $3, service name $4. Reads WARMUP MEASURE RAMP SPREAD, LOADGEN_THREADS,
# LOADGEN_SEND_PATH and LOADGEN_RT_PRIORITY (default_loadgen_rt_priority first).
loadgen_run_args() {
  loadgen_args=(run --url "$2" --sessions "$1" --warmup-secs "$WARMUP" --measure-secs "$MEASURE"
    --ramp-up-secs "$RAMP" --session-start-spread-ms "$SPREAD" --connect-timeout-ms 5000 --send-timeout-ms 5000
    --close-grace-ms 5000 --session-grace-secs 15 --service-name "$4" --slo
    --samples-out "$3/samples.csv" --json-out "$3/summary.json")
  [[ -z ${LOADGEN_THREADS:-} ]] || loadgen_args+=(--threads "$LOADGEN_THREADS")
  [[ -z ${LOADGEN_SEND_PATH:-} ]] || loadgen_args+=(--send-path "$LOADGEN_SEND_PATH")
  loadgen_args+=(--rt-priority "$LOADGEN_RT_PRIORITY")
}

# ---- POD=1 (bench.sh): every process as a Kubernetes pod would run it, scripts/pod.sh ----
# Bridge POD_BRIDGE (default sttb0) with POD_SUBNET.1/24 (default 10.77.0) in the root namespace, like the CNI
# bridge plugin; the gateway pod at .2, inference-sim at .3, each in its own network namespace on a veth pair
# (POD_MTU, default 1500 as the bridge plugin's) and its own v1 cgroups: cpuset (GATEWAY_CPUS, INFERENCE_CPUS,
# in place of taskset), the gateway's CFS quota (GATEWAY_CPU_LIMIT) and a memory limit with no swap
# (GATEWAY_MEMORY_LIMIT_MB default 256, SIM_MEMORY_LIMIT_MB default 1024; empty = none). The loadgen runs in a
# network namespace of its own at .4 (POD_LOADGEN=pod, the default: an in-cluster client, so both hops cross
# two veths and the bridge) or in the root namespace (POD_LOADGEN=host, a client on the node); it keeps its
# taskset pinning and no cgroup, as the measuring instrument (and SCHED_FIFO needs the root cpu group here).
# POD_SIM_JAVA_OPTS (default -Xms384m -Xmx768m) are added to inference-sim's JVM flags: a JVM sizes its heap from
# its cgroup's limit, and under 1 GiB it would start the simulator at 16 MiB instead of the 378 MiB it gets from
# this 24 GiB host outside a pod; its young collections then took 45 % of the shared core instead of 29 %
# (results/README.md, "Pod-like runs"). Set it empty to see that.

# Defaults and validation; refuses with pod.sh's reason (not root, no netns, no v1 controllers) before anything starts.
pod_defaults() {
  POD_BRIDGE=${POD_BRIDGE:-sttb0}
  POD_SUBNET=${POD_SUBNET:-10.77.0}
  POD_MTU=${POD_MTU:-1500}
  POD_LOADGEN=${POD_LOADGEN:-pod}
  GATEWAY_MEMORY_LIMIT_MB=${GATEWAY_MEMORY_LIMIT_MB-256}
  SIM_MEMORY_LIMIT_MB=${SIM_MEMORY_LIMIT_MB-1024}
  POD_SIM_JAVA_OPTS=${POD_SIM_JAVA_OPTS--Xms384m -Xmx768m}
  [[ $POD_LOADGEN == pod || $POD_LOADGEN == host ]] || die "POD_LOADGEN must be pod or host, got '$POD_LOADGEN'"
  "$SCRIPTS_DIR/pod.sh" check || exit 3
}

# After prepare_launch: creates the bridge, the pods and their cgroups (POD_CREATED=1 once the bridge is ours),
# points sim_pin, gateway_pin and loadgen_pin into them, sets POD_GATEWAY_IP and POD_SIM_IP, records the layout.
pod_up() {
  local pod=$SCRIPTS_DIR/pod.sh loadgen_where
  "$pod" up "$POD_BRIDGE" "$POD_SUBNET" "$POD_MTU" || exit 3
  POD_CREATED=1
  POD_GATEWAY_IP=$POD_SUBNET.2
  POD_SIM_IP=$POD_SUBNET.3
  "$pod" add "$POD_BRIDGE" gateway "$POD_GATEWAY_IP"
  "$pod" add "$POD_BRIDGE" sim "$POD_SIM_IP"
  "$pod" limit "$POD_BRIDGE" gateway "$GATEWAY_CPUS" "$GATEWAY_CPU_LIMIT" "$GATEWAY_MEMORY_LIMIT_MB"
  "$pod" limit "$POD_BRIDGE" sim "$INFERENCE_CPUS" '' "$SIM_MEMORY_LIMIT_MB"
  gateway_pin=("$pod" exec "$POD_BRIDGE" gateway)
  sim_pin=("$pod" exec "$POD_BRIDGE" sim)
  local -a extra
  read -r -a extra <<<"$POD_SIM_JAVA_OPTS"
  sim_opts+=("${extra[@]}")
  SIM_JAVA_OPTS="${sim_opts[*]}"
  loadgen_where="root namespace (POD_LOADGEN=host)"
  if [[ $POD_LOADGEN == pod ]]; then
    "$pod" add "$POD_BRIDGE" loadgen "$POD_SUBNET.4"
    loadgen_pin=("$pod" exec "$POD_BRIDGE" loadgen "${loadgen_pin[@]}")
    loadgen_where="$POD_SUBNET.4, netns $POD_BRIDGE-loadgen"
  fi
  record pod_network "bridge $POD_BRIDGE $POD_SUBNET.1/24, MTU $POD_MTU, one veth pair per pod; \
bridge-nf-call-iptables=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo n/a)"
  record pod_gateway_address "$POD_GATEWAY_IP, netns $POD_BRIDGE-gateway"
  record pod_gateway_cpuset "$GATEWAY_CPUS"
  record pod_gateway_memory_limit_mb "$GATEWAY_MEMORY_LIMIT_MB"
  record pod_sim_address "$POD_SIM_IP, netns $POD_BRIDGE-sim"
  record pod_sim_cpuset "$INFERENCE_CPUS"
  record pod_sim_memory_limit_mb "$SIM_MEMORY_LIMIT_MB"
  record pod_loadgen_address "$loadgen_where"
  log "pods on bridge $POD_BRIDGE: gateway $POD_GATEWAY_IP (memory limit ${GATEWAY_MEMORY_LIMIT_MB:-none} MiB), \
inference-sim $POD_SIM_IP (${SIM_MEMORY_LIMIT_MB:-none} MiB), loadgen ${loadgen_where%%,*}"
}

# Logs why pod $1 (gateway or sim) died when its memory cgroup saw an OOM kill.
pod_explain_exit() {
  local stats kills
  stats=$("$SCRIPTS_DIR/pod.sh" memory "$POD_BRIDGE" "$1" 2>/dev/null) || return 0
  kills=$(sed -n 's/^oom_kill=//p' <<<"$stats")
  if ((${kills:-0} > 0)); then
    log "OOM: the kernel killed the $1 pod's process under its $(($(sed -n 's/^limit_bytes=//p' <<<"$stats") / 1048576)) MiB \
memory limit (memory.oom_control oom_kill $kills, memory.max_usage_in_bytes $(sed -n 's/^peak_bytes=//p' <<<"$stats"))"
  fi
}

# When the load ends, before the servers stop: each pod's memory cgroup (pod.sh memory, as pod_ROLE_memory_KEY,
# and memory.stat into OUT_DIR/pod-ROLE-memory.stat) and the exit status of a server already dead (137 = SIGKILL).
pod_collect() {
  local role pid key value rc
  for role in gateway sim; do
    "$SCRIPTS_DIR/pod.sh" memory "$POD_BRIDGE" "$role" >"$OUT_DIR/pod-$role-memory.env" 2>/dev/null || continue
    while IFS='=' read -r key value; do record "pod_${role}_memory_$key" "$value"; done <"$OUT_DIR/pod-$role-memory.env"
    rm -f "$OUT_DIR/pod-$role-memory.env"
    cp "$("$SCRIPTS_DIR/pod.sh" cgroup "$POD_BRIDGE" "$role" memory)/memory.stat" "$OUT_DIR/pod-$role-memory.stat" || true
    if [[ $role == gateway ]]; then pid=$gateway_pid; else pid=$sim_pid; fi
    if kill -0 "$pid" 2>/dev/null; then
      record "pod_${role}_exit" running
    else
      rc=0
      wait "$pid" || rc=$?
      record "pod_${role}_exit" "$rc"
    fi
  done
}

# One line for the terminal: the gateway pod's memory peak against its limit, and any OOM kill.
pod_verdict() {
  awk -F= '{ v[$1] = substr($0, length($1) + 2) }
    END {
      peak = v["pod_gateway_memory_peak_bytes"] / 1048576; limit = v["pod_gateway_memory_limit_mb"]
      kills = v["pod_gateway_memory_oom_kill"] + 0
      if (v["pod_gateway_memory_limit_bytes"] == "")
        print "pod: no memory limit on the gateway (GATEWAY_MEMORY_LIMIT_MB empty)"
      else if (kills > 0)
        printf "OOM: the kernel killed the gateway under its %s MiB memory limit (OOM kills in its pod: %d, peak %.1f MiB, exit status %s)\n", limit, kills, peak, v["pod_gateway_exit"]
      else
        printf "pod: gateway memory peak %.1f MiB of a %s MiB limit, no OOM kill\n", peak, (limit == "" ? "unlimited" : limit)
    }' "$RUN_ENV"
}

# On exit: the pods' namespaces, veths, cgroups and the bridge, when this run created the bridge.
pod_down() {
  [[ -n ${POD_CREATED:-} ]] || return 0
  POD_CREATED=''
  "$SCRIPTS_DIR/pod.sh" down "$POD_BRIDGE"
}
