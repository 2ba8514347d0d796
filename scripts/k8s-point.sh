#!/usr/bin/env bash
# One benchmark point on a Kubernetes cluster, the counterpart of bench.sh (deploy/README.md): applies
# deploy/overlays/OVERLAY with fresh server pods for this point, waits for their rollout, runs the loadgen Job
# with PROTOCOL.md §4's timing, samples the gateway's /metrics and the kubelet's cAdvisor counters of the three
# pods meanwhile, collects the loadgen's summary JSON from the Job's log, and writes the report bench.sh writes
# (ReportMain report). OUT_DIR (default RESULTS_DIR/LABEL-SESSIONS) gets summary.json, report.md, run.env,
# proc.csv (per pod from cAdvisor: RSS, threads, fds, CPU; pid 0), gateway-metrics.csv (frames received),
# gateway-metrics-{start,end}.prom, cgroup-cpu.stat (the gateway container's CFS counters, when it has a CPU
# limit), manifests.yaml (exactly what was applied), jvm-system.txt (the gateway JVM's view of its cgroup) and
# the three pods' logs.
#
# Exit status: loadgen's (0 SLO pass, 1 SLO fail, 2 invalid run, e.g. client-bound); 3 when the harness failed.
#
# Variables (environment or make command line):
#   OVERLAY=pinned-1cpu   deploy/overlays/NAME; or KUSTOMIZE_DIR=any kustomization with the same objects
#   SESSIONS=1000  WARMUP=10  MEASURE=45  RAMP=30  SPREAD=1000 (ms)  LABEL=k8s-OVERLAY
#   RESULTS_DIR=results  OUT_DIR=$RESULTS_DIR/$LABEL-$SESSIONS  NAMESPACE=sttbench (the base's namespace)
#   KUBECTL=kubectl       e.g. "kubectl --context bench"
#   SAMPLE_INTERVAL_SECS=2  how often /metrics and cAdvisor are read (each read is a call to the API server)
#   ROLLOUT_TIMEOUT_SECS=300  for the servers' rollout and the Job's pod to start (image pulls included)
#   DELETE_AFTER=0        1: delete everything the point applied once it is collected (default: the servers stay;
#                         the next point replaces their pods anyway)
# Needs: kubectl with the right to apply in NAMESPACE, read pod logs, exec into the gateway pod, and get nodes/proxy
# (cAdvisor; without it proc.csv stays empty and the report has no CPU figures); loadgen.jar here (make build).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

OVERLAY=${OVERLAY:-pinned-1cpu}
KUSTOMIZE_DIR=${KUSTOMIZE_DIR:-deploy/overlays/$OVERLAY}
SESSIONS=${SESSIONS:-1000}
WARMUP=${WARMUP:-10}
MEASURE=${MEASURE:-45}
RAMP=${RAMP:-30}
SPREAD=${SPREAD:-1000}
LABEL=${LABEL:-k8s-$OVERLAY}
RESULTS_DIR=${RESULTS_DIR:-results}
OUT_DIR=${OUT_DIR:-$RESULTS_DIR/$LABEL-$SESSIONS}
NAMESPACE=${NAMESPACE:-sttbench}
SAMPLE_INTERVAL_SECS=${SAMPLE_INTERVAL_SECS:-2}
ROLLOUT_TIMEOUT_SECS=${ROLLOUT_TIMEOUT_SECS:-300}
DELETE_AFTER=${DELETE_AFTER:-0}
GATEWAY_FRAMES_METRIC=${GATEWAY_FRAMES_METRIC:-gateway_frames_in_total}
read -r -a kubectl <<<"${KUBECTL:-kubectl}"

for var in SESSIONS WARMUP MEASURE RAMP SPREAD SAMPLE_INTERVAL_SECS ROLLOUT_TIMEOUT_SECS; do
  [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, got '${!var}'"
done
((SESSIONS > 0 && MEASURE > 0 && SAMPLE_INTERVAL_SECS > 0)) || die "SESSIONS, MEASURE and SAMPLE_INTERVAL_SECS must be positive"
[[ -f $KUSTOMIZE_DIR/kustomization.yaml ]] || die "$KUSTOMIZE_DIR/kustomization.yaml is missing (OVERLAY: $(cd deploy/overlays && echo *))"
command -v "${kubectl[0]}" >/dev/null || die "${kubectl[0]} is missing"
require_jar "$LOADGEN_JAR"

k() { "${kubectl[@]}" "$@"; }
kn() { "${kubectl[@]}" -n "$NAMESPACE" "$@"; }

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
rm -rf "$OUT_DIR/kustomize" "$OUT_DIR"/{summary.json,report.md,run.env,proc.csv,gateway-metrics.csv,gateway-metrics-start.prom,gateway-metrics-end.prom,cgroup-cpu.stat,manifests.yaml,jvm-system.txt,loadgen.log,gateway.log,inference-sim.log,sampler.log}
RUN_ENV="$OUT_DIR/run.env"
record() { printf '%s=%s\n' "$1" "$2" >>"$RUN_ENV"; }

# This point's kustomization: the overlay, the Job's session count and timing, and an annotation on the
# servers' pod templates that differs per point, so that every point starts on fresh JVMs as bench.sh's do.
RUN_ID="$(date -u +%Y%m%dT%H%M%SZ)-$$"
mkdir -p "$OUT_DIR/kustomize"
cat >"$OUT_DIR/kustomize/kustomization.yaml" <<EOF
# Written by scripts/k8s-point.sh for one point; applied as manifests.yaml beside this directory.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$OUT_DIR/kustomize" "$KUSTOMIZE_DIR")
patches:
  - target:
      kind: Deployment
    patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: any
      spec:
        template:
          metadata:
            annotations:
              sttbench.dev/point: "$RUN_ID"
  - patch: |-
      apiVersion: batch/v1
      kind: Job
      metadata:
        name: loadgen
      spec:
        template:
          spec:
            containers:
              - name: loadgen
                env:
                  - {name: SESSIONS, value: "$SESSIONS"}
                  - {name: RAMP, value: "$RAMP"}
                  - {name: SPREAD, value: "$SPREAD"}
                  - {name: WARMUP, value: "$WARMUP"}
                  - {name: MEASURE, value: "$MEASURE"}
                  - {name: LABEL, value: "$LABEL"}
EOF
k kustomize "$OUT_DIR/kustomize" >"$OUT_DIR/manifests.yaml" || die "kubectl kustomize $OUT_DIR/kustomize failed"

job_started=0
# shellcheck disable=SC2317  # reached through the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((rc < 128)) || log "interrupted: stopping the sampler and deleting the loadgen Job"
  stop_started
  if ((rc >= 128 && job_started)); then kn delete job loadgen --ignore-not-found --wait=false >/dev/null 2>&1 || true; fi
  if [[ $DELETE_AFTER == 1 ]]; then
    k delete -f "$OUT_DIR/manifests.yaml" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
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
record overlay "$KUSTOMIZE_DIR"
record run_id "$RUN_ID"
record kube_context "$(k config current-context 2>/dev/null || true)"
record clk_tck 100 # proc.csv's cpu_ticks are cAdvisor's CPU seconds × 100

# 1. the servers, fresh pods for this point
log "applying $KUSTOMIZE_DIR (servers) in namespace $NAMESPACE"
kn delete job loadgen --ignore-not-found --wait=true >/dev/null # a previous point's
k apply -f "$OUT_DIR/manifests.yaml" -l sttbench.dev/part=servers >/dev/null || die "kubectl apply failed"
for deployment in inference-sim gateway; do
  kn rollout status "deployment/$deployment" --timeout="${ROLLOUT_TIMEOUT_SECS}s" >&2 \
    || die "deployment/$deployment did not roll out within $ROLLOUT_TIMEOUT_SECS s"
done

# The running pod of app $1 (NAME NODE) that carries this point's annotation (no pod of an earlier point).
point_pod() {
  kn get pods -l "app.kubernetes.io/name=$1" -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase} {.metadata.annotations.sttbench\.dev/point}{"\n"}{end}' \
    | awk -v id="$RUN_ID" '$3 == "Running" && $4 == id { print $1, $2; exit }'
}
read -r gateway_pod gateway_node < <(point_pod gateway) || die "no running gateway pod of this point"
read -r sim_pod sim_node < <(point_pod inference-sim) || die "no running inference-sim pod of this point"
log "gateway $gateway_pod on $gateway_node, inference-sim $sim_pod on $sim_node"

# The machine, as bench.sh records it: the gateway's node.
node_field() { k get node "$gateway_node" -o jsonpath="$1" 2>/dev/null || true; }
record cores "$(node_field '{.status.capacity.cpu}')"
record cpu_model "node $gateway_node $(node_field '{.metadata.labels.node\.kubernetes\.io/instance-type}')"
memory=$(node_field '{.status.capacity.memory}')
[[ $memory =~ ^([0-9]+)Ki$ ]] && record mem_total_kb "${BASH_REMATCH[1]}"
record kernel "$(node_field '{.status.nodeInfo.kernelVersion}')"
record os "$(node_field '{.status.nodeInfo.osImage}'), $(node_field '{.status.nodeInfo.containerRuntimeVersion}'), kubelet $(node_field '{.status.nodeInfo.kubeletVersion}')"
# The gateway JVM's view of its container: JDK, CPU set and CFS quota (a second, short JVM in its container).
kn exec "$gateway_pod" -c gateway -- java -XshowSettings:system -version >"$OUT_DIR/jvm-system.txt" 2>&1 || true
record jdk "$(grep -m 1 -E '^(openjdk|java) version' "$OUT_DIR/jvm-system.txt" || echo 'unknown (kubectl exec failed)')"
gateway_cpus=$(awk '/List of Effective Processors/ { getline; gsub(/^ +| +$/, ""); gsub(/ +/, ","); print; exit }' "$OUT_DIR/jvm-system.txt")
[[ $gateway_cpus =~ ^[0-9,]+$ ]] || gateway_cpus=''
record gateway_cpus "$gateway_cpus"
record inference_cpus ''
limit=$(kn get pod "$gateway_pod" -o jsonpath='{.spec.containers[?(@.name=="gateway")].resources.limits.cpu}')
case $limit in
  '') cpu_limit='' ;;
  *m) cpu_limit=$(awk -v m="${limit%m}" 'BEGIN { printf "%g", m / 1000 }') ;;
  *) cpu_limit=$limit ;;
esac
record gateway_cpu_limit "$cpu_limit"
[[ -z $cpu_limit ]] || record cgroup "Kubernetes limits.cpu $limit on node $gateway_node (cAdvisor container_cpu_cfs_*)"
record gateway gateway-nio
record gateway_url "ws://gateway:8080/ws/stt (Service in $NAMESPACE)"
record gateway_env "$(kn get pod "$gateway_pod" -o jsonpath='{range .spec.containers[?(@.name=="gateway")].env[*]}{.name}={.value}{.valueFrom.resourceFieldRef.resource}{" "}{end}')"
record gateway_frames_metric "$GATEWAY_FRAMES_METRIC"
record gateway_pod "$gateway_pod"
record sim_pod "$sim_pod"
record loadavg_start "n/a (Kubernetes)"

metrics_path="/api/v1/namespaces/$NAMESPACE/pods/$gateway_pod:8080/proxy/metrics"

# 2. the Job
log "loadgen Job: $SESSIONS sessions, about $((RAMP + (SPREAD + 999) / 1000 + WARMUP + MEASURE)) s"
k apply -f "$OUT_DIR/manifests.yaml" -l sttbench.dev/part=loadgen >/dev/null || die "kubectl apply of the loadgen Job failed"
job_started=1
deadline=$((SECONDS + ROLLOUT_TIMEOUT_SECS))
loadgen_pod='' phase=''
while :; do
  read -r loadgen_pod loadgen_node phase < <(kn get pods -l job-name=loadgen \
    -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase}{"\n"}{end}' | head -n 1) || true
  [[ $phase == Running || $phase == Succeeded || $phase == Failed ]] && break
  ((SECONDS < deadline)) || die "the loadgen pod did not start within $ROLLOUT_TIMEOUT_SECS s (phase '${phase:-none}')"
  sleep 0.5
done
start_ms=$(now_ms)
[[ $loadgen_node != "$gateway_node" ]] || log "warning: the loadgen runs on the gateway's node $gateway_node"
window_start_ms=$((start_ms + (RAMP + WARMUP) * 1000 + SPREAD))
record loadgen_pod "$loadgen_pod"
record loadgen_node "$loadgen_node"
record loadgen_cpus ''
record loadgen_start_ms "$start_ms"
record window_start_ms "$window_start_ms"
record window_end_ms $((window_start_ms + MEASURE * 1000))

# 3. sampling: cAdvisor per node (one read per node and round) and the gateway's frame counter
declare -A pod_role=([$gateway_pod]=gateway [$sim_pod]=inference-sim [$loadgen_pod]=loadgen)
declare -A pod_container=([$gateway_pod]=gateway [$sim_pod]=inference-sim [$loadgen_pod]=loadgen)
nodes=$(printf '%s\n' "$gateway_node" "$sim_node" "$loadgen_node" | sort -u)

# cAdvisor text on stdin -> "POD CPU_SECONDS RSS_BYTES THREADS FDS PERIODS THROTTLED THROTTLED_SECONDS" per pod.
cadvisor_rows() {
  awk -v want="$(for p in "${!pod_container[@]}"; do printf '%s=%s ' "$p" "${pod_container[$p]}"; done)" '
    BEGIN { n = split(want, pairs, " "); for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); container[kv[1]] = kv[2] } }
    /^container_(cpu_usage_seconds_total|memory_rss|threads|file_descriptors|cpu_cfs_periods_total|cpu_cfs_throttled_periods_total|cpu_cfs_throttled_seconds_total)\{/ {
      name = substr($0, 1, index($0, "{") - 1)
      labels = substr($0, index($0, "{"), index($0, "} ") - index($0, "{") + 1)
      if (!match(labels, /[{,]pod="[^"]*"/)) next
      pod = substr(labels, RSTART, RLENGTH); sub(/^[{,]pod="/, "", pod); sub(/"$/, "", pod)
      if (!(pod in container) || index(labels, "container=\"" container[pod] "\"") == 0) next
      if (name == "container_cpu_usage_seconds_total" && index(labels, "cpu=\"total\"") == 0 && labels ~ /cpu="/) next
      split(substr($0, index($0, "} ") + 2), value, " ")
      v[pod, name] = value[1]; seen[pod] = 1
    }
    END {
      for (pod in seen) {
        printf "%s %s %s %s %s %s %s %s\n", pod, v[pod, "container_cpu_usage_seconds_total"] + 0,
          v[pod, "container_memory_rss"] + 0, v[pod, "container_threads"] + 0, v[pod, "container_file_descriptors"] + 0,
          v[pod, "container_cpu_cfs_periods_total"] + 0, v[pod, "container_cpu_cfs_throttled_periods_total"] + 0,
          v[pod, "container_cpu_cfs_throttled_seconds_total"] + 0
      }
    }'
}

# Frames counter: the sum of its label sets in the gateway's /metrics text on stdin.
frames_counter() {
  awk -v name="$GATEWAY_FRAMES_METRIC" '$1 == name || index($1, name "{") == 1 { sum += $2; found = 1 }
    END { if (found) printf "%.0f\n", sum }'
}

sample_loop() {
  local now pod cpu rss threads fds periods throttled throttled_secs ticks pct node frames
  local -A last_ticks=() last_ms=()
  echo 'epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct' >"$OUT_DIR/proc.csv"
  echo 'epoch_ms,value' >"$OUT_DIR/gateway-metrics.csv"
  while :; do
    now=$(now_ms)
    for node in $nodes; do
      k get --raw "/api/v1/nodes/$node/proxy/metrics/cadvisor" 2>>"$OUT_DIR/sampler.log" | cadvisor_rows || true
    done >"$OUT_DIR/.cadvisor"
    while read -r pod cpu rss threads fds periods throttled throttled_secs; do
      ticks=$(awk -v c="$cpu" 'BEGIN { printf "%.0f", c * 100 }')
      pct=''
      if [[ -n ${last_ms[$pod]:-} ]] && ((now > last_ms[$pod])); then
        pct=$(awk -v t="$ticks" -v lt="${last_ticks[$pod]}" -v ms="$now" -v lms="${last_ms[$pod]}" \
          'BEGIN { printf "%.1f", (t - lt) * 1000 / (ms - lms) }')
      fi
      last_ticks[$pod]=$ticks last_ms[$pod]=$now
      echo "$now,${pod_role[$pod]},0,$((${rss%.*} / 1024)),${threads%.*},${fds%.*},$ticks,$pct" >>"$OUT_DIR/proc.csv"
      if [[ $pod == "$gateway_pod" ]]; then
        printf 'nr_periods %s\nnr_throttled %s\nthrottled_usec %.0f\n' "${periods%.*}" "${throttled%.*}" \
          "$(awk -v s="$throttled_secs" 'BEGIN { printf "%.0f", s * 1e6 }')" >"$OUT_DIR/.cgroup-cpu.stat"
      fi
    done <"$OUT_DIR/.cadvisor"
    frames=$(k get --raw "$metrics_path" 2>>"$OUT_DIR/sampler.log" | frames_counter || true)
    [[ -z $frames ]] || echo "$now,$frames" >>"$OUT_DIR/gateway-metrics.csv"
    sleep "$SAMPLE_INTERVAL_SECS"
  done
}
sample_loop &
track_pid $!
(
  delay_ms=$((window_start_ms - $(now_ms)))
  ((delay_ms <= 0)) || sleep "$((delay_ms / 1000)).$(printf '%03d' $((delay_ms % 1000)))"
  k get --raw "$metrics_path" >"$OUT_DIR/gateway-metrics-start.prom" 2>/dev/null || true
) &
track_pid $!

# 4. wait for the Job, then collect
deadline=$((SECONDS + RAMP + (SPREAD + 999) / 1000 + WARMUP + MEASURE + 120 + ROLLOUT_TIMEOUT_SECS))
while :; do
  status=$(kn get job loadgen -o jsonpath='{.status.succeeded} {.status.failed}' 2>/dev/null || true)
  [[ $status =~ [1-9] ]] && break
  ((SECONDS < deadline)) || die "the loadgen Job did not finish in time (status '$status')"
  sleep 2
done
k get --raw "$metrics_path" >"$OUT_DIR/gateway-metrics-end.prom" 2>/dev/null || true
sleep "$SAMPLE_INTERVAL_SECS" # one more sample after the load
stop_started
record loadgen_end_ms "$(now_ms)"
[[ -z $cpu_limit || ! -s $OUT_DIR/.cgroup-cpu.stat ]] || mv "$OUT_DIR/.cgroup-cpu.stat" "$OUT_DIR/cgroup-cpu.stat"
rm -f "$OUT_DIR/.cadvisor" "$OUT_DIR/.cgroup-cpu.stat"

loadgen_rc=$(kn get pod "$loadgen_pod" -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}' 2>/dev/null || true)
[[ $loadgen_rc =~ ^[0-9]+$ ]] || loadgen_rc=3
record loadgen_exit "$loadgen_rc"
record loadavg_end "n/a (Kubernetes)"
kn logs "$loadgen_pod" >"$OUT_DIR/loadgen.log" 2>&1 || true
kn logs "$gateway_pod" -c gateway >"$OUT_DIR/gateway.log" 2>&1 || true
kn logs "$sim_pod" -c inference-sim >"$OUT_DIR/inference-sim.log" 2>&1 || true
# The JVM flags each image ran with, as its launcher printed them.
picked() { sed -n 's/^NOTE: Picked up JDK_JAVA_OPTIONS: //p' "$1" | head -n 1; }
record gateway_java_opts "$(picked "$OUT_DIR/gateway.log")"
record sim_java_opts "$(picked "$OUT_DIR/inference-sim.log")"
record loadgen_java_opts "$(picked "$OUT_DIR/loadgen.log")"

# The summary JSON is what the loadgen prints on stdout: the lines from "{" to "}" at the start of a line.
awk '/^\{$/ { on = 1 } on { print } on && /^\}$/ { exit }' "$OUT_DIR/loadgen.log" >"$OUT_DIR/summary.json"
if [[ ! -s $OUT_DIR/summary.json ]]; then
  rm -f "$OUT_DIR/summary.json"
  tail -n 20 "$OUT_DIR/loadgen.log" >&2 || true
  log "the loadgen exited $loadgen_rc without printing its summary"
  exit $((loadgen_rc == 0 ? 3 : loadgen_rc))
fi
awk '/^\{$/ { exit } NF { line = $0 } END { print line }' "$OUT_DIR/loadgen.log"
java -cp "$LOADGEN_JAR" "$REPORT_MAIN" report "$OUT_DIR" >/dev/null || die "report generation failed for $OUT_DIR"
echo "report: $OUT_DIR/report.md"
exit "$loadgen_rc"
