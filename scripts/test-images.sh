#!/usr/bin/env bash
# Tests of the container images and the Kubernetes manifests, run by `make test` after `mvn -Pimages verify`
# built the images (README "Container images", "Kubernetes"):
#  1. each image tarball (MODULE/target/image/MODULE.oci.tar) unpacked, its layers in the manifest's order, into a
#     root filesystem, and its config checked: a non-root user, an entrypoint on the image's own java, the
#     gateways' JVM sizing equal to scripts/lib.sh's (gateway-netty's plus compare-ports.sh's NETTY_EXTRA_JAVA_OPTS);
#  2. the images run as a container runtime would run them, but without one: their entrypoint, environment, user
#     and working directory in new PID and mount namespaces chrooted into that root filesystem (only /proc and
#     four /dev nodes mounted from outside, as a runtime adds them). inference-sim must answer /health; each
#     gateway image in turn (gateway-nio, gateway-netty; INFERENCE_URL at the sim) /health and /metrics, the
#     loadgen image must pass `conformance` and a short `run --slo` against it, and the gateway must drain and
#     exit 0 on SIGTERM; gateway-netty must run on Netty's native epoll with the pool the jar gets from this
#     machine's JDK. So a JDK module that jdeps missed, a broken entrypoint, a missing Add-Exports or
#     Enable-Native-Access, or a library the runtime lacks fails here.
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

MODULES=(inference-sim gateway-nio loadgen gateway-netty)
GATEWAYS=(gateway-nio gateway-netty)
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
  for module in "${GATEWAYS[@]}"; do
    [[ -f $TMP/$module/config/env ]] || continue
    if image_env "$module" | grep -qxF "JDK_JAVA_OPTIONS=$(gateway_jvm_opts "$module")" \
      && image_env "$module" | grep -qxF "$GATEWAY_MALLOC_ENV"; then
      pass "$module image JVM defaults equal the scripts' ($(gateway_jvm_opts_source "$module"), GATEWAY_MALLOC_ENV)"
    else
      fail "$module image JDK_JAVA_OPTIONS/MALLOC_ARENA_MAX differ from $(gateway_jvm_opts_source "$module"): $(image_env "$module" | tr '\n' ' ')"
    fi
  done
  run_tests
}

# The environment of unpacked image $1, one KEY=VALUE a line.
image_env() { tr '\0' '\n' <"$TMP/$1/config/env"; }

# The JVM flags scripts start gateway $1 with: lib.sh's GATEWAY_JVM_OPTS, for gateway-netty followed by the
# default NETTY_EXTRA_JAVA_OPTS of compare-ports.sh (its direct-memory cap).
gateway_jvm_opts() {
  local extra
  if [[ $1 == gateway-netty ]]; then
    # shellcheck disable=SC2016  # the literal ${ of the assignment in compare-ports.sh
    extra=$(sed -n 's/^NETTY_EXTRA_JAVA_OPTS=\${NETTY_EXTRA_JAVA_OPTS-\(.*\)}$/\1/p' scripts/compare-ports.sh)
    printf '%s' "$GATEWAY_JVM_OPTS${extra:+ $extra}"
  else
    printf '%s' "$GATEWAY_JVM_OPTS"
  fi
}
gateway_jvm_opts_source() {
  if [[ $1 == gateway-netty ]]; then echo "lib.sh GATEWAY_JVM_OPTS + compare-ports.sh NETTY_EXTRA_JAVA_OPTS"
  else echo "lib.sh GATEWAY_JVM_OPTS"; fi
}

# True when a `loadgen run --slo` that exited $1 (summary JSON in file $2) was only client-bound: the load generator
# missed its own send schedule on a busy machine (exit 2, INVALID), yet partials came back. That says the images
# work; it says nothing about capacity, which these tests do not measure.
client_bound_run() {
  (($1 == 2)) && grep -Eq '"client_bound" *: *true' "$2" && grep -Eq '"partials" *: *[1-9]' "$2"
}

# 2. run them
run_tests() {
  local sim_port
  if (($(id -u) != 0)) || ! unshare --fork --pid --mount true 2>/dev/null; then
    skip "running the images needs root and unshare (new PID and mount namespaces)"
    return
  fi
  start_container inference-sim "$TMP/sim.log" PORT=0
  SIM_CONTAINER=$container_pid
  if ! sim_port=$(wait_for_listening "$TMP/sim.log" "$SIM_CONTAINER"); then fail "inference-sim image did not start"; return; fi
  if [[ $(http_status "http://127.0.0.1:$sim_port/health") == 200 ]]; then pass "inference-sim image answers /health"
  else fail "inference-sim image: /health is $(http_status "http://127.0.0.1:$sim_port/health")"; fi

  gateway_image_test gateway-nio "$sim_port" k8s_point_test
  gateway_image_test gateway-netty "$sim_port" netty_transport_test
  stop_container "$SIM_CONTAINER"
  CONTAINERS=()
}

# The checks both gateway images pass: gateway image $1 started against the sim image at port $2 must answer
# /health, pass the loadgen image's `conformance` and a 10-session `run --slo`, count the partials in /metrics,
# pass each extra check $3... (a function given the image, its container and its port) while it runs, then drain
# and exit 0 on SIGTERM, having run with its image's JDK_JAVA_OPTIONS and without a JVM warning. Its log:
# $TMP/$1.log.
gateway_image_test() {
  local module=$1 sim_port=$2 port rc out check opts
  shift 2
  local logfile="$TMP/$module.log"
  start_container "$module" "$logfile" PORT=0 INFERENCE_URL="http://127.0.0.1:$sim_port"
  local gateway=$container_pid
  if ! port=$(wait_for_listening "$logfile" "$gateway"); then fail "$module image did not start"; return; fi
  if [[ $(http_status "http://127.0.0.1:$port/health") == 200 ]]; then pass "$module image answers /health"
  else fail "$module image: /health is $(http_status "http://127.0.0.1:$port/health")"; fi

  start_container loadgen "$TMP/$module-conformance.log" -- conformance --url "ws://127.0.0.1:$port/ws/stt"
  rc=0
  wait "$container_pid" || rc=$?
  if ((rc == 0)) && grep -q '^conformance: all checks passed' "$TMP/$module-conformance.log"; then
    pass "loadgen image: conformance against the $module image ($(grep -c '^PASS ' "$TMP/$module-conformance.log") checks)"
  else
    fail "loadgen image conformance against the $module image exited $rc"
    grep -v '^PASS ' "$TMP/$module-conformance.log" | tail -n 20 >&2 || true
  fi

  start_container loadgen "$TMP/$module-run.log" -- run --url "ws://127.0.0.1:$port/ws/stt" --sessions 10 \
    --ramp-up-secs 0 --session-start-spread-ms 500 --warmup-secs 2 --measure-secs 3 --slo
  rc=0
  wait "$container_pid" || rc=$?
  if ((rc == 0)) && grep -Eq '"verdict" *: *"PASS"' "$TMP/$module-run.log"; then
    pass "loadgen image: run --slo, 10 sessions through the $module image to the sim image: PASS"
  elif client_bound_run "$rc" "$TMP/$module-run.log"; then
    pass "loadgen image: run --slo, 10 sessions through the $module image to the sim image (client-bound on a busy machine: INVALID, partials received)"
  else
    fail "loadgen image run through the $module image exited $rc"
    tail -n 20 "$TMP/$module-run.log" >&2 || true
  fi
  out=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics" || true)
  if grep -Eq '^gateway_partials_total(\{[^}]*\})? [1-9]' <<<"$out"; then pass "$module image /metrics counted the partials"
  else fail "$module image /metrics has no partials: $(head -c 300 <<<"$out")"; fi

  for check in "$@"; do "$check" "$module" "$gateway" "$port"; done

  stop_container "$gateway"
  if ((container_status == 0)) && grep -qx 'stopped' "$logfile"; then
    pass "$module image drains and exits 0 on SIGTERM"
  else
    fail "$module image exit status $container_status after SIGTERM"
    tail -n 20 "$logfile" >&2
  fi
  opts=$(image_env "$module" | sed -n 's/^JDK_JAVA_OPTIONS=//p')
  if [[ -n $opts ]] && grep -qxF "NOTE: Picked up JDK_JAVA_OPTIONS: $opts" "$logfile"; then
    pass "$module image ran with the JVM flags of its JDK_JAVA_OPTIONS"
  else
    fail "$module image log does not show its JDK_JAVA_OPTIONS"
  fi
  # The JVM's warnings: a restricted method called without Enable-Native-Access, sun.misc.Unsafe, reflection.
  if grep -q '^WARNING' "$logfile"; then fail "$module image: the JVM warned: $(grep -m 3 '^WARNING' "$logfile")"
  else pass "$module image ran without JVM warnings (native access, Unsafe, reflective access)"; fi
}

# gateway-netty's transport line (`transport epoll (native), N event loops, allocator … (N direct arenas, …)`) in
# the image (log $TMP/$1.log) must be the one the same jar prints on this machine's JDK under the image's
# environment: the native epoll library loads (the jar's Enable-Native-Access, the runtime's libraries: Netty
# would fall back to NIO quietly), and Netty sizes its pool from the same -XX:MaxDirectMemorySize (read through
# java.management, which jdeps does not see).
netty_transport_test() {
  local module=$1 host_log="$TMP/$1-host.log" image_line host_line java_cmd pid
  local -a env_lines
  image_line=$(grep -m 1 '^transport ' "$TMP/$module.log" || true)
  mapfile -t env_lines < <(image_env "$module")
  java_cmd=$(command -v java)
  env -i "${env_lines[@]}" PORT=0 BIND_ADDRESS=127.0.0.1 "$java_cmd" -jar "$module/target/$module.jar" >"$host_log" 2>&1 &
  pid=$!
  # (in a subshell: wait_for_listening exits through die when the process does)
  if (wait_for_listening "$host_log" "$pid" >/dev/null); then host_line=$(grep -m 1 '^transport ' "$host_log" || true); fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ -z ${host_line:-} ]]; then
    fail "$module jar on this machine's JDK did not start (log $host_log)"
  elif [[ $image_line != "$host_line" ]]; then
    fail "$module image: '$image_line', its jar on this machine's JDK: '$host_line'"
  elif [[ $image_line != 'transport epoll (native)'* ]]; then
    skip "$module image runs Netty's NIO transport as its jar does here: this machine's JDK cannot load epoll either ($image_line)"
  else
    pass "$module image on Netty's native epoll, pool as its jar's on this machine's JDK: ${image_line#transport }"
  fi
}

# 2b. scripts/k8s-point.sh end to end against scripts/fake-kubectl.sh: a "cluster" of the running gateway image $1
# (container $2, port $3) and sim image, the Job's loadgen started from the applied manifests in its image, cAdvisor
# counters read from /proc.
k8s_point_test() {
  local module=$1 gateway=$2 gateway_port=$3 sim=$SIM_CONTAINER state="$TMP/fake-k8s" point="$TMP/k8s/k8s-test-10" rc=0 rows
  if ! command -v kubectl >/dev/null || ! python3 -c 'import yaml' 2>/dev/null; then
    skip "k8s-point.sh: needs kubectl (kustomize) and python3's yaml"
    return
  fi
  mkdir -p "$state"
  echo "$gateway_port" >"$state/gateway.port"
  echo "$gateway" >"$state/gateway.pid"
  echo "$sim" >"$state/sim.pid"
  ln -s "$TMP/$module.log" "$state/gateway.log"
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
