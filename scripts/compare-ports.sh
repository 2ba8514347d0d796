#!/usr/bin/env bash
# gateway-nio and its Netty port (gateway-netty) on the same capacity ladder, side by side: ladder.sh runs for
# gateway-nio, then for gateway-netty once per VARIANTS entry, each with the same POINTS, STEP, placement, CPU quota,
# JVM sizing, loadgen and §4 timing; then one report: each one's confirmed ceiling and sessions per vCPU, and its CPU
# per frame, RSS and latency at the counts every ladder ran and at its own ceiling, with the ratios to gateway-nio.
#
# Writes OUT_DIR (default results/ports-<UTC date>): <label>-ladder/ (ladder.sh's directory: every point, report.md,
# plots) and <label>-ladder.log for nio and each variant, report.md; appends one row to PORTS_INDEX
# (results/ports.md). Prints report.md.
# Exit status: 0 when every ladder ran to its end, 1 when one stopped on a harness failure (its log says why).
#
# Variables (environment or make command line):
#   POINTS="500 1000 1500"  STEP=125   the ladder's first points and bisection step (ladder.sh), the same for all
#   VARIANTS="netty"     gateway-netty ladders: label[:VAR=value[,VAR=value...]] each, e.g.
#                        VARIANTS="netty netty-read500:READ_INTERVAL_MS=500" (the environment goes to that ladder only)
#   GATEWAY_CPUS INFERENCE_CPUS LOADGEN_CPUS GATEWAY_CPU_LIMIT   placement (lib.sh's), the same for all; on 2 CPUs
#                        the quota defaults to 0.25 vCPU here, not 0.5: one loadgen core drives ~2000 sessions, so
#                        under 0.5 gateway-nio's ceiling is out of its reach and only a lower bound
#   GATEWAY_JAVA_OPTS    every gateway's JVM flags (default GATEWAY_JVM_OPTS of lib.sh)
#   NETTY_EXTRA_JAVA_OPTS="-XX:MaxDirectMemorySize=256m"   appended for gateway-netty: Netty's pooled buffers are
#                        direct memory, which the JVM otherwise caps at -Xmx (48 MiB)
#   OUT_DIR=results/ports-<date>   PORTS_INDEX=results/ports.md   COMMIT (the report's; default: git's HEAD)
#   REPORT_ONLY=1        rebuild report.md from the ladders already in OUT_DIR (no run, no index row)
#   WARMUP MEASURE RAMP SPREAD SIM_PORT GATEWAY_PORT LOADGEN_* SIM_JAVA_OPTS LOADGEN_JAVA_OPTS   passed to bench.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

POINTS=${POINTS:-500 1000 1500}
STEP=${STEP:-125}
VARIANTS=${VARIANTS:-netty}
OUT_DIR=${OUT_DIR:-results/ports-$(date -u +%Y-%m-%d)}
INDEX=${PORTS_INDEX:-$REPO_ROOT/results/ports.md}
NETTY_JAR=${NETTY_JAR:-$REPO_ROOT/gateway-netty/target/gateway-netty.jar}
REPORT_ONLY=${REPORT_ONLY:-0}
NIO_JAR=$GATEWAY_JAR
NETTY_EXTRA_JAVA_OPTS=${NETTY_EXTRA_JAVA_OPTS--XX:MaxDirectMemorySize=256m}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:-$GATEWAY_JVM_OPTS}
(($(nproc) != 2)) || : "${GATEWAY_CPU_LIMIT=0.25}"
default_placement

read -r -a variant_specs <<<"$VARIANTS"
((${#variant_specs[@]} > 0)) || die "VARIANTS is empty"
variants=()
declare -A variant_env=()
for spec in "${variant_specs[@]}"; do
  label=${spec%%:*}
  [[ $label =~ ^[A-Za-z0-9._-]+$ && $label != nio && -z ${variant_env[$label]+set} ]] \
    || die "VARIANTS labels must be distinct plain names other than nio, got '$label'"
  settings=''
  [[ $spec != *:* ]] || settings=${spec#*:}
  for kv in ${settings//,/ }; do
    [[ $kv =~ ^[A-Z_][A-Z0-9_]*=[^[:space:]]*$ ]] || die "VARIANTS settings must be VAR=value, got '$kv' in '$spec'"
  done
  variants+=("$label")
  variant_env[$label]=${settings//,/ }
done
require_jar "$LOADGEN_JAR"
[[ $REPORT_ONLY =~ ^[01]$ ]] || die "REPORT_ONLY must be 0 or 1, got '$REPORT_ONLY'"
if ((!REPORT_ONLY)); then
  require_jar "$SIM_JAR"
  require_jar "$NIO_JAR"
  require_jar "$NETTY_JAR"
fi

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
REPORT="$OUT_DIR/report.md"

# A ladder runs in the background so that a signal is handled at once and forwarded: ladder.sh stops its point.
ladder_pid=''
# shellcheck disable=SC2317  # reached through the traps
stop() {
  log "interrupted: stopping the ladder in progress"
  [[ -z $ladder_pid ]] || { kill -TERM "$ladder_pid" 2>/dev/null; wait "$ladder_pid" 2>/dev/null; } || true
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

# ladder.sh for gateway $1 (nio or a variant); false when it stopped on a harness failure.
run_ladder() {
  local gateway=$1 log_file="$OUT_DIR/$1-ladder.log" rc=0
  local -a env_args=(POINTS="$POINTS" STEP="$STEP" LABEL="$gateway" LADDER_DIR="$OUT_DIR/$gateway-ladder"
    GATEWAY_CPUS="$GATEWAY_CPUS" INFERENCE_CPUS="$INFERENCE_CPUS" LOADGEN_CPUS="$LOADGEN_CPUS"
    GATEWAY_CPU_LIMIT="$GATEWAY_CPU_LIMIT")
  if [[ $gateway == nio ]]; then
    env_args+=(GATEWAY_JAR="$NIO_JAR" GATEWAY_NAME=gateway-nio GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS")
  else
    local -a extra=()
    read -r -a extra <<<"${variant_env[$gateway]}"
    env_args+=(GATEWAY_JAR="$NETTY_JAR" GATEWAY_NAME=gateway-netty
      GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS${NETTY_EXTRA_JAVA_OPTS:+ $NETTY_EXTRA_JAVA_OPTS}" "${extra[@]}")
  fi
  log "$gateway: ladder over POINTS=\"$POINTS\" STEP=$STEP (log $log_file)"
  env "${env_args[@]}" "$SCRIPTS_DIR/ladder.sh" >"$log_file" 2>&1 &
  ladder_pid=$!
  wait "$ladder_pid" || rc=$?
  ladder_pid=''
  log "$gateway: ladder exit $rc: $(grep -i 'confirmed ceiling' "$log_file" | tail -n 1 || true)"
  ((rc == 0))
}

any_failed=0
if ((!REPORT_ONLY)); then
  for gateway in nio "${variants[@]}"; do
    run_ladder "$gateway" || any_failed=1
  done
fi

commit=${COMMIT:-$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
# When the ladders ran: the first and last summary.json's times.
run_span() {
  local -a files=()
  mapfile -t files < <(ls -tr "$OUT_DIR"/*-ladder/points/*/summary.json 2>/dev/null)
  if ((${#files[@]} == 0)); then date -u '+%Y-%m-%d %H:%M UTC'; return; fi
  printf '%s–%s UTC' "$(date -u -r "${files[0]}" '+%Y-%m-%d %H:%M')" "$(date -u -r "${files[${#files[@]} - 1]}" '+%H:%M')"
}
index_args=()
((REPORT_ONLY)) || index_args=(--index "$INDEX" --run "$(date -u '+%Y-%m-%d %H:%M') $commit")
tables=$(java -cp "$LOADGEN_JAR" "$REPORT_MAIN" ports-report "$OUT_DIR" nio "${variants[@]}" "${index_args[@]}") \
  || die "ports-report failed for $OUT_DIR"
quota="with no CPU quota"
[[ -z $GATEWAY_CPU_LIMIT ]] || quota="under a $GATEWAY_CPU_LIMIT vCPU CFS quota"
{
  echo "# gateway-nio vs gateway-netty: the same capacity ladder, side by side"
  echo
  echo "$(run_span), commit $commit, $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), \`make compare-ports POINTS=\"$POINTS\" STEP=$STEP VARIANTS=\"$VARIANTS\" GATEWAY_CPU_LIMIT=$GATEWAY_CPU_LIMIT\`."
  echo "Each gateway: one \`scripts/ladder.sh\` (PROTOCOL.md §4: up the points until one fails, bisect to STEP, re-run the"
  echo "top pass), gateway-nio first; the gateway on CPU ${GATEWAY_CPUS:-any} $quota, inference-sim on CPU ${INFERENCE_CPUS:-any},"
  echo "the loadgen on CPU ${LOADGEN_CPUS:-any}; ramp ${RAMP:-30} s, spread ${SPREAD:-1000} ms, warm-up ${WARMUP:-10} s, measured ${MEASURE:-45} s."
  echo "JVM of both: \`$GATEWAY_JAVA_OPTS\` with \`$GATEWAY_MALLOC_ENV\`; gateway-netty also \`${NETTY_EXTRA_JAVA_OPTS:-}\`."
  for variant in "${variants[@]}"; do
    echo "Variant \`$variant\`: gateway-netty with ${variant_env[$variant]:-its defaults}."
  done
  echo "Each ladder's own report, with every run and its plots: $(for g in nio "${variants[@]}"; do printf '[%s](%s-ladder/report.md) ' "$g" "$g"; done)"
  echo
  echo "$tables"
} >"$REPORT"
cat "$REPORT"
exit "$any_failed"
