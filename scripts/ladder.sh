#!/usr/bin/env bash
# Capacity ladder (PROTOCOL.md §4): runs bench.sh at each of POINTS (ascending) until one fails, bisects
# the pass → fail bracket down to STEP sessions, then re-runs the top passing count to confirm it (a
# single pass is only "borderline"; when the re-run fails, the next lower passing count is confirmed
# instead). Writes LADDER_DIR (default RESULTS_DIR/LABEL-ladder): points.csv (one row per run),
# points/<sessions>-<attempt>/ (each run's bench results), report.md, latency.png and gateway.png.
#
# Variables: POINTS="250 500 1000 1500 2000"  STEP=100  LABEL=nio  RESULTS_DIR=results  LADDER_DIR
# and everything bench.sh reads (pinning, CPU limit, JVM flags, timing), applied to every point.
# POINT_SCRIPT runs each point instead of bench.sh (same variables and exit codes): scripts/k8s-point.sh for a
# ladder on a Kubernetes cluster (make k8s-ladder).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

POINTS=${POINTS:-250 500 1000 1500 2000}
STEP=${STEP:-100}
if [[ -n ${GATEWAY_URL:-} ]]; then LABEL=${LABEL:-external}; else LABEL=${LABEL:-nio}; fi
RESULTS_DIR=${RESULTS_DIR:-results}
LADDER_DIR=${LADDER_DIR:-$RESULTS_DIR/$LABEL-ladder}
export LABEL

read -r -a points <<<"$POINTS"
((${#points[@]} > 0)) || die "POINTS is empty"
previous=0
for n in "${points[@]}"; do
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n <= previous)); then
    die "POINTS must be ascending positive session counts, got '$POINTS'"
  fi
  previous=$n
done
if ! [[ $STEP =~ ^[0-9]+$ ]] || ((STEP == 0)); then
  die "STEP must be a positive whole number, got '$STEP'"
fi
require_jar "$LOADGEN_JAR"

mkdir -p "$LADDER_DIR"
LADDER_DIR=$(cd "$LADDER_DIR" && pwd)
rm -rf "$LADDER_DIR/points" "$LADDER_DIR"/{points.csv,report.md,latency.png,gateway.png}
echo 'sessions,attempt,exit_code,dir' >"$LADDER_DIR/points.csv"
# A point runs in the background so that a signal is handled at once (bash defers traps until a foreground
# child ends) and forwarded to bench.sh, which stops exactly the processes it started.
bench_pid=''
# shellcheck disable=SC2317  # reached through the traps
stop() {
  [[ -z $bench_pid ]] || { kill -TERM "$bench_pid" 2>/dev/null; wait "$bench_pid" 2>/dev/null; } || true
  exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM

declare -A attempts=() passed=()
harness_rc=0 invalid_at=0

# Runs one point; true when it passed. A client-bound run (exit 2: the load generator missed its own
# schedule) is repeated once; if it is client-bound again, the search stops there (invalid_at) but the
# top passing count is still confirmed. A harness failure ends everything (harness_rc).
run_point() {
  local n=$1 attempt rel rc tries=0
  while :; do
    attempt=$((${attempts[$n]:-0} + 1))
    attempts[$n]=$attempt
    rel="points/$n-$attempt"
    log "ladder: $n sessions, run $attempt"
    rc=0
    SESSIONS=$n OUT_DIR="$LADDER_DIR/$rel" "${POINT_SCRIPT:-$SCRIPTS_DIR/bench.sh}" &
    bench_pid=$!
    wait "$bench_pid" || rc=$?
    bench_pid=''
    echo "$n,$attempt,$rc,$rel" >>"$LADDER_DIR/points.csv"
    case $rc in
      0) passed[$n]=1; return 0 ;;
      1) return 1 ;;
      2)
        if ((++tries < 2)) && grep -Eq '"client_bound" *: *true' "$LADDER_DIR/$rel/summary.json" 2>/dev/null; then
          log "ladder: $n sessions was client-bound: repeating it once"
          continue
        fi
        log "ladder: $n sessions is invalid (client-bound): the search stops here"
        invalid_at=$n
        return 1
        ;;
      *) log "ladder: bench.sh failed at $n sessions (exit $rc): stopping"; harness_rc=$rc; return 1 ;;
    esac
  done
}

lo=0 hi=0
for n in "${points[@]}"; do
  if run_point "$n"; then lo=$n; else hi=$n; break; fi
done
((harness_rc == 0 && invalid_at == 0)) || hi=0

if ((hi > 0)); then
  while ((hi - lo > STEP)); do
    mid=$((lo + (hi - lo) / 2 / STEP * STEP))
    ((mid > lo)) || mid=$((lo + STEP))
    if run_point "$mid"; then lo=$mid; else hi=$mid; fi
    ((harness_rc == 0 && invalid_at == 0)) || break
  done
elif ((harness_rc == 0 && invalid_at == 0)); then
  log "ladder: every point passed: the ceiling is above ${points[-1]} (extend POINTS to find it)"
fi

# Confirm the top passing count; when its re-run fails it is borderline and the next one down is tried.
if ((harness_rc == 0 && ${#passed[@]} > 0)); then
  mapfile -t candidates < <(printf '%s\n' "${!passed[@]}" | sort -rn)
  for n in "${candidates[@]}"; do
    run_point "$n" && break
    ((harness_rc == 0)) || break
  done
fi

java -cp "$LOADGEN_JAR" "$REPORT_MAIN" plot --ladder "$LADDER_DIR" >/dev/null || die "plotting $LADDER_DIR failed"
java -cp "$LOADGEN_JAR" "$REPORT_MAIN" ladder-report "$LADDER_DIR" "$LABEL" || die "reporting $LADDER_DIR failed"
echo "report: $LADDER_DIR/report.md"
exit "$harness_rc"
