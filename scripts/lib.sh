# Helpers shared by the bench scripts; sourced, never run.
# The Makefile exports JAVA_HOME and PATH for a JDK 25+, so `java` here is that JDK.
# shellcheck shell=bash disable=SC2034  # the paths below are used by the scripts that source this file

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS_DIR="$REPO_ROOT/scripts"
SIM_JAR="$REPO_ROOT/inference-sim/target/inference-sim.jar"
GATEWAY_JAR="$REPO_ROOT/gateway-nio/target/gateway-nio.jar"
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
