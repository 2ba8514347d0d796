#!/usr/bin/env bash
# Tests of the container images and the Kubernetes manifests, run by `make test` after `mvn -Pimages verify`
# built the images (README "Container images", "Kubernetes"):
#  1. each image tarball (MODULE/target/image/MODULE.oci.tar) unpacked, its layers in the manifest's order, into a
#     root filesystem, and its config checked: a non-root user, an entrypoint on the image's own java, the
#     gateway's JVM sizing equal to scripts/lib.sh's;
#  2. the images run as a container runtime would run them, but without one: their entrypoint, environment, user
#     and working directory in new PID and mount namespaces chrooted into that root filesystem (only /proc and
#     four /dev nodes mounted from outside, as a runtime adds them). inference-sim must answer /health, the
#     gateway (INFERENCE_URL at it) /health and /metrics, and the loadgen image must pass `conformance` and a
#     short `run --slo` against it; then the gateway must stop on SIGTERM. So a JDK module that jdeps missed, a
#     broken entrypoint, a missing Add-Exports or a library the runtime lacks fails here.
#  3. deploy/: every overlay rendered with `kubectl kustomize` and checked by scripts/check-manifests.py.
# Needs root (unshare, chroot) for 2 and kubectl for 3; without them those parts are reported as skipped.
# Builds the images first (mvn -Pimages -DskipTests package) when a tarball is missing or older than its jar.
#
#   test-images.sh            all of it (about a minute when the images are built)
#   test-images.sh images     1 and 2
#   test-images.sh deploy     3 only
# KEEP_TMP=1 keeps its directory (the unpacked images, logs, the k8s-point.sh output) for a look afterwards.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

only=${1:-}
[[ -z $only || $only == images || $only == deploy ]] || { echo "usage: test-images.sh [images|deploy]" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/sttbench-images.XXXXXX")
failures=0 passes=0 skips=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
pass() { printf 'ok: %s\n' "$*"; passes=$((passes + 1)); }
skip() { printf 'skipped: %s\n' "$*"; skips=$((skips + 1)); }

MODULES=(inference-sim gateway-nio loadgen)
image_tar() { printf '%s/target/image/%s.oci.tar' "$1" "$1"; }

# Containers this script started: the unshare process of each, stopped on exit.
CONTAINERS=()
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
  local pid
  for pid in "${CONTAINERS[@]}"; do stop_container "$pid" KILL 2>/dev/null || true; done
  if [[ ${KEEP_TMP:-0} == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# The container's own first process (PID 1 inside): the child of unshare process $1.
container_init() { awk '{ print $1 }' "/proc/$1/task/$1/children" 2>/dev/null || true; }

# Stops container $1 (its unshare process) with signal $2 (default TERM) to its PID 1, then KILL after
# STOP_GRACE_SECS; sets container_status to its exit status (128+N when killed by signal N).
stop_container() {
  local pid=$1 signal=${2:-TERM} init deadline=$((SECONDS + ${STOP_GRACE_SECS:-10}))
  init=$(container_init "$pid")
  [[ -z $init ]] || kill "-$signal" "$init" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    init=$(container_init "$pid")
    [[ -z $init ]] || kill -KILL "$init" 2>/dev/null || true
  fi
  container_status=0
  wait "$pid" 2>/dev/null || container_status=$?
}

# Runs image $1 (unpacked under $TMP/$1) in the background with scripts/image-run.sh, output to log $2; the
# arguments after $2 are image-run.sh's (KEY=VALUE overrides, then `--` and the pod's args). Sets container_pid.
start_container() {
  local name=$1 logfile=$2
  shift 2
  scripts/image-run.sh "$TMP/$name/rootfs" "$TMP/$name/config" "$@" >"$logfile" 2>&1 &
  container_pid=$!
  CONTAINERS+=("$container_pid")
}

# 1. unpack and inspect each image
images_tests() {
  local module tar line jar stale=0 config
  for module in "${MODULES[@]}"; do
    tar=$(image_tar "$module")
    jar="$module/target/$module.jar"
    [[ -f $tar && ! $jar -nt $tar ]] || stale=1
  done
  if ((stale)); then
    log "building the images: mvn -Pimages -DskipTests package"
    mvn -B -q -Pimages -DskipTests package >"$TMP/images-build.log" 2>&1 || {
      tail -n 40 "$TMP/images-build.log" >&2
      fail "mvn -Pimages package failed"
      return
    }
  fi
  for module in "${MODULES[@]}"; do
    tar=$(image_tar "$module")
    if ! line=$(python3 scripts/oci-unpack.py "$tar" "$TMP/$module/rootfs" "$TMP/$module/config"); then
      fail "$module: $tar does not unpack"
      continue
    fi
    pass "$module image unpacks: $line"
    config="$TMP/$module/config"
    if [[ $(tr '\0' ' ' <"$config/entrypoint") == "/opt/java/bin/java -jar /app/$module.jar " ]]; then
      pass "$module entrypoint is the image's java -jar /app/$module.jar"
    else
      fail "$module entrypoint: $(tr '\0' ' ' <"$config/entrypoint")"
    fi
    if [[ $(tr -d '\0' <"$config/user") =~ ^[1-9][0-9]*(:[1-9][0-9]*)?$ ]]; then pass "$module runs as non-root $(tr -d '\0' <"$config/user")"
    else fail "$module user is '$(tr -d '\0' <"$config/user")', not a non-root uid:gid"; fi
    if [[ -e $TMP/$module/rootfs/jib || -e $TMP/$module/rootfs/bin/sh ]]; then
      fail "$module image holds more than its runtime and jar: $(cd "$TMP/$module/rootfs" && echo *)"
    else
      pass "$module image holds only its runtime, system libraries and jar: $(cd "$TMP/$module/rootfs" && echo *)"
    fi
  done
  if tr '\0' '\n' <"$TMP/gateway-nio/config/env" | grep -qxF "JDK_JAVA_OPTIONS=$GATEWAY_JVM_OPTS" \
    && tr '\0' '\n' <"$TMP/gateway-nio/config/env" | grep -qxF "$GATEWAY_MALLOC_ENV"; then
    pass "gateway image JVM defaults equal scripts/lib.sh GATEWAY_JVM_OPTS and GATEWAY_MALLOC_ENV"
  else
    fail "gateway image JDK_JAVA_OPTIONS/MALLOC_ARENA_MAX differ from scripts/lib.sh: $(tr '\0' ' ' <"$TMP/gateway-nio/config/env")"
  fi
  run_tests
}

# True when a `loadgen run --slo` that exited $1 (summary JSON in file $2) was only client-bound: the load generator
# missed its own send schedule on a busy machine (exit 2, INVALID), yet partials came back. That says the images
# work; it says nothing about capacity, which these tests do not measure.
client_bound_run() {
  (($1 == 2)) && grep -Eq '"client_bound" *: *true' "$2" && grep -Eq '"partials" *: *[1-9]' "$2"
}

# 2. run them
run_tests() {
  local sim_port gateway_port rc out
  if (($(id -u) != 0)) || ! unshare --fork --pid --mount true 2>/dev/null; then
    skip "running the images needs root and unshare (new PID and mount namespaces)"
    return
  fi
  start_container inference-sim "$TMP/sim.log" PORT=0
  local sim=$container_pid
  if ! sim_port=$(wait_for_listening "$TMP/sim.log" "$sim"); then fail "inference-sim image did not start"; return; fi
  if [[ $(http_status "http://127.0.0.1:$sim_port/health") == 200 ]]; then pass "inference-sim image answers /health"
  else fail "inference-sim image: /health is $(http_status "http://127.0.0.1:$sim_port/health")"; fi

  start_container gateway-nio "$TMP/gateway.log" PORT=0 INFERENCE_URL="http://127.0.0.1:$sim_port"
  local gateway=$container_pid
  if ! gateway_port=$(wait_for_listening "$TMP/gateway.log" "$gateway"); then fail "gateway image did not start"; return; fi
  if [[ $(http_status "http://127.0.0.1:$gateway_port/health") == 200 ]]; then pass "gateway image answers /health"
  else fail "gateway image: /health is $(http_status "http://127.0.0.1:$gateway_port/health")"; fi

  start_container loadgen "$TMP/conformance.log" -- conformance --url "ws://127.0.0.1:$gateway_port/ws/stt"
  rc=0
  wait "$container_pid" || rc=$?
  if ((rc == 0)) && grep -q '^conformance: all checks passed' "$TMP/conformance.log"; then
    pass "loadgen image: conformance against the gateway image ($(grep -c '^PASS ' "$TMP/conformance.log") checks)"
  else
    fail "loadgen image conformance exited $rc"
    grep -v '^PASS ' "$TMP/conformance.log" | tail -n 20 >&2 || true
  fi

  start_container loadgen "$TMP/run.log" -- run --url "ws://127.0.0.1:$gateway_port/ws/stt" --sessions 10 \
    --ramp-up-secs 0 --session-start-spread-ms 500 --warmup-secs 2 --measure-secs 3 --slo
  rc=0
  wait "$container_pid" || rc=$?
  if ((rc == 0)) && grep -Eq '"verdict" *: *"PASS"' "$TMP/run.log"; then
    pass "loadgen image: run --slo, 10 sessions through the gateway image to the sim image: PASS"
  elif client_bound_run "$rc" "$TMP/run.log"; then
    pass "loadgen image: run --slo, 10 sessions through the gateway image to the sim image (client-bound on a busy machine: INVALID, partials received)"
  else
    fail "loadgen image run exited $rc"
    tail -n 20 "$TMP/run.log" >&2 || true
  fi
  out=$(curl -s --max-time 2 "http://127.0.0.1:$gateway_port/metrics" || true)
  if grep -Eq '^gateway_partials_total(\{[^}]*\})? [1-9]' <<<"$out"; then pass "gateway image /metrics counted the partials"
  else fail "gateway image /metrics has no partials: $(head -c 300 <<<"$out")"; fi

  k8s_point_test "$gateway" "$gateway_port" "$sim"

  stop_container "$gateway"
  if ((container_status == 0 || container_status == 143)) && grep -qx 'stopped' "$TMP/gateway.log"; then
    pass "gateway image drains and stops on SIGTERM (exit $container_status)"
  else
    fail "gateway image exit status $container_status after SIGTERM"
    tail -n 20 "$TMP/gateway.log" >&2
  fi
  if grep -q 'Picked up JDK_JAVA_OPTIONS: -XX:+UseSerialGC -Xms48m' "$TMP/gateway.log"; then
    pass "gateway image ran with the JVM sizing of its JDK_JAVA_OPTIONS"
  else
    fail "gateway image log does not show its JDK_JAVA_OPTIONS"
  fi
  stop_container "$sim"
  CONTAINERS=()
}

# 2b. scripts/k8s-point.sh end to end against scripts/fake-kubectl.sh: a "cluster" of the running gateway and sim
# images, the Job's loadgen started from the applied manifests in its image, cAdvisor counters read from /proc.
k8s_point_test() {
  local gateway=$1 gateway_port=$2 sim=$3 state="$TMP/fake-k8s" point="$TMP/k8s/k8s-test-10" rc=0 rows
  if ! command -v kubectl >/dev/null || ! python3 -c 'import yaml' 2>/dev/null; then
    skip "k8s-point.sh: needs kubectl (kustomize) and python3's yaml"
    return
  fi
  mkdir -p "$state"
  echo "$gateway_port" >"$state/gateway.port"
  echo "$gateway" >"$state/gateway.pid"
  echo "$sim" >"$state/sim.pid"
  ln -s "$TMP/gateway.log" "$state/gateway.log"
  ln -s "$TMP/sim.log" "$state/sim.log"
  env FAKE_K8S="$state" FAKE_IMAGES="$TMP" REAL_KUBECTL="$(command -v kubectl)" KUBECTL="$REPO_ROOT/scripts/fake-kubectl.sh" \
    OVERLAY=fractional-500m SESSIONS=10 RAMP=0 SPREAD=500 WARMUP=2 MEASURE=4 SAMPLE_INTERVAL_SECS=1 \
    RESULTS_DIR="$TMP/k8s" LABEL=k8s-test scripts/k8s-point.sh >"$TMP/k8s-point.out" 2>"$TMP/k8s-point.err" || rc=$?
  # The Job's loadgen ran in the background of the fake kubectl: it has exited once its exit status is written.
  for _ in {1..100}; do [[ -s $state/loadgen.rc ]] && break; sleep 0.1; done
  if { { ((rc == 0)) && grep -Eq '"verdict" *: *"PASS"' "$point/summary.json"; } || client_bound_run "$rc" "$point/summary.json"; } \
    2>/dev/null && head -n 1 "$point/report.md" | grep -Eq '^# k8s-test, 10 sessions: (PASS|INVALID)$'; then
    pass "k8s-point.sh: Job's summary collected from its log, report PASS ($(grep -v '^report:' "$TMP/k8s-point.out" | tail -n 1))"
  else
    fail "k8s-point.sh exited $rc"
    tail -n 20 "$TMP/k8s-point.err" "$state/loadgen.log" >&2 || true
    return
  fi
  rows=$(awk -F, '$2 == "gateway" && $7 > 0' "$point/proc.csv" | wc -l)
  if ((rows >= 3)) && grep -q ',inference-sim,' "$point/proc.csv" && grep -q ',loadgen,' "$point/proc.csv"; then
    pass "k8s-point.sh: proc.csv from cAdvisor, $rows gateway rows (the pod sandbox's line ignored)"
  else
    fail "k8s-point.sh: proc.csv has $rows gateway rows with CPU: $(head -n 5 "$point/proc.csv")"
  fi
  if (($(wc -l <"$point/gateway-metrics.csv") >= 3)) && [[ -s $point/gateway-metrics-start.prom && -s $point/gateway-metrics-end.prom ]]; then
    pass "k8s-point.sh: the gateway's frame counter sampled and /metrics taken at the window's start and end"
  else
    fail "k8s-point.sh: gateway-metrics.csv or the .prom snapshots are missing"
  fi
  if grep -qx 'gateway_cpu_limit=0.5' "$point/run.env" && grep -qx 'gateway_cpus=3' "$point/run.env" \
    && grep -q 'CPU per audio frame' "$point/report.md" && grep -q '0.50 vCPU.*throttled in 7 of 400 periods' "$point/report.md"; then
    pass "k8s-point.sh: report states the 500m limit, the JVM's CPU set, CPU per frame and CFS throttling"
  else
    fail "k8s-point.sh: report.md/run.env lack the limit, CPU set, CPU per frame or throttling"
    grep -E 'gateway_cpu|cgroup' "$point/run.env" >&2 || true
  fi
  if grep -A 1 'name: SESSIONS' "$point/manifests.yaml" | grep -q 'value: "10"'; then
    pass "k8s-point.sh: manifests.yaml holds the point's SESSIONS"
  else
    fail "k8s-point.sh: manifests.yaml lacks the point's SESSIONS"
  fi
}

# 3. the rendered manifests
deploy_tests() {
  local overlay
  if ! command -v kubectl >/dev/null; then
    skip "kubectl is missing: the manifests are not rendered (kubectl kustomize)"
    return
  fi
  if ! python3 -c 'import yaml' 2>/dev/null; then
    skip "python3 has no yaml module (Debian: python3-yaml): the rendered manifests are not checked"
    return
  fi
  for overlay in deploy/overlays/*/; do
    overlay=${overlay%/}
    if ! kubectl kustomize "$overlay" >"$TMP/${overlay##*/}.yaml" 2>"$TMP/kustomize.err"; then
      fail "kubectl kustomize $overlay: $(cat "$TMP/kustomize.err")"
      continue
    fi
    if python3 scripts/check-manifests.py "${overlay##*/}" "$TMP/${overlay##*/}.yaml" >"$TMP/check.out" 2>&1; then
      pass "$overlay renders and checks: $(tail -n 1 "$TMP/check.out")"
    else
      fail "$overlay: $(cat "$TMP/check.out")"
    fi
  done
}

[[ $only == deploy ]] || images_tests
[[ $only == images ]] || deploy_tests
echo "test-images: $passes passed, $failures failed, $skips skipped"
((failures == 0))
