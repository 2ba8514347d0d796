#!/usr/bin/env bash
# A stand-in for kubectl, for scripts/test-images.sh: answers exactly the calls scripts/k8s-point.sh makes, from
# a "cluster" of the three images running under scripts/image-run.sh on this machine. Not a general kubectl.
#
# FAKE_K8S      state directory: gateway.port, gateway.pid and sim.pid (the running server containers' image-run.sh
#               processes, started by the test), gateway.log and sim.log; this script adds manifests.yaml (what
#               was applied), and loadgen.pid, loadgen.rc, loadgen.log for the Job it starts
# FAKE_IMAGES   directory of the unpacked images (MODULE/rootfs, MODULE/config)
# REAL_KUBECTL  the real kubectl, for `kustomize` only
# Pods: gateway-pod and sim-pod on node-a, loadgen-pod on node-b.
set -euo pipefail

state=${FAKE_K8S:?} images=${FAKE_IMAGES:?}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=()
while (($# > 0)); do
  case $1 in
    -n) shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- "${args[@]}"
cmd="$*"

# The PID 1 of a container, from its image-run.sh process id in file $1.
container_init() { local pid; pid=$(<"$1"); awk '{ print $1 }' "/proc/$pid/task/$pid/children" 2>/dev/null || true; }

# A value from the applied manifests: python3 expression over `docs` (the rendered objects by "Kind/name").
manifest() {
  python3 -c '
import sys, yaml
docs = {d["kind"] + "/" + d["metadata"]["name"]: d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
print(eval(sys.argv[2]))' "$state/manifests.yaml" "$1"
}

# cAdvisor-like lines for the container of role $1 (container name $2, pod $3), from /proc of its PID 1.
cadvisor() {
  local role=$1 container=$2 pod=$3 init stat utime stime rss threads fds labels
  [[ -f $state/$role.pid ]] || return 0
  init=$(container_init "$state/$role.pid")
  [[ -n $init && -r /proc/$init/stat ]] || return 0
  read -r -a stat <<<"$(sed 's/^.*) //' "/proc/$init/stat")"
  utime=${stat[11]} stime=${stat[12]}
  rss=$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$init/status")
  threads=$(awk '/^Threads:/ { print $2 }' "/proc/$init/status")
  fds=$(find "/proc/$init/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  labels="container=\"$container\",id=\"/kubepods/pod1/$pod\",image=\"sttbench/$role\",name=\"c1\",namespace=\"sttbench\",pod=\"$pod\""
  printf 'container_cpu_usage_seconds_total{%s} %s 1700000000000\n' "$labels" "$(awk -v t=$((utime + stime)) 'BEGIN { print t / 100 }')"
  printf 'container_memory_rss{%s} %s 1700000000000\n' "$labels" "$rss"
  printf 'container_threads{%s} %s 1700000000000\n' "$labels" "$threads"
  printf 'container_file_descriptors{%s} %s 1700000000000\n' "$labels" "$fds"
  # the pod's sandbox, which must not be taken for the container
  printf 'container_cpu_usage_seconds_total{container="",id="/kubepods/pod1",image="pause",name="p",namespace="sttbench",pod="%s"} 999 1700000000000\n' "$pod"
  if [[ $role == gateway ]]; then
    printf 'container_cpu_cfs_periods_total{%s} 400\ncontainer_cpu_cfs_throttled_periods_total{%s} 7\ncontainer_cpu_cfs_throttled_seconds_total{%s} 0.25\n' \
      "$labels" "$labels" "$labels"
  fi
}

loadgen_phase() {
  if [[ -s $state/loadgen.rc ]]; then
    if [[ $(<"$state/loadgen.rc") == 0 ]]; then echo Succeeded; else echo Failed; fi
  elif [[ -f $state/loadgen.pid ]]; then
    echo Running
  else
    echo Pending
  fi
}

case $cmd in
  kustomize\ *) exec "${REAL_KUBECTL:?}" "$@" ;;
  'config current-context') echo fake ;;
  'delete job loadgen'*) rm -f "$state"/loadgen.{pid,rc,log} ;;
  'apply -f '*' -l sttbench.dev/part=servers')
    cp "$3" "$state/manifests.yaml"
    echo "applied servers" ;;
  'apply -f '*' -l sttbench.dev/part=loadgen')
    cp "$3" "$state/manifests.yaml"
    mapfile -t job_args < <(manifest '"\n".join(__import__("re").sub(r"\$\((\w+)\)", lambda m: {e["name"]: e.get("value", "") for e in docs["Job/loadgen"]["spec"]["template"]["spec"]["containers"][0]["env"]}[m.group(1)], a) for a in docs["Job/loadgen"]["spec"]["template"]["spec"]["containers"][0]["args"])')
    for i in "${!job_args[@]}"; do
      [[ ${job_args[i]} != ws://gateway:8080/ws/stt ]] || job_args[i]="ws://127.0.0.1:$(<"$state/gateway.port")/ws/stt"
    done
    (
      rc=0
      "$here/image-run.sh" "$images/loadgen/rootfs" "$images/loadgen/config" -- "${job_args[@]}" >"$state/loadgen.log" 2>&1 || rc=$?
      echo "$rc" >"$state/loadgen.rc"
    ) </dev/null >/dev/null 2>&1 &
    echo $! >"$state/loadgen.pid"
    echo "applied job" ;;
  'rollout status '*) echo "deployment \"${3#deployment/}\" successfully rolled out" ;;
  'get pods -l app.kubernetes.io/name=gateway '*)
    echo "gateway-pod node-a Running $(manifest 'docs["Deployment/gateway"]["spec"]["template"]["metadata"]["annotations"]["sttbench.dev/point"]')" ;;
  'get pods -l app.kubernetes.io/name=inference-sim '*)
    echo "sim-pod node-a Running $(manifest 'docs["Deployment/inference-sim"]["spec"]["template"]["metadata"]["annotations"]["sttbench.dev/point"]')" ;;
  'get pods -l job-name=loadgen '*)
    [[ ! -f $state/loadgen.pid ]] || echo "loadgen-pod node-b $(loadgen_phase)" ;;
  'get node node-a -o jsonpath='*)
    case $5 in
      *capacity.cpu*) echo 2 ;;
      *instance-type*) echo fake-node ;;
      *capacity.memory*) echo 24684084Ki ;;
      *kernelVersion*) uname -r ;;
      *osImage*) echo 'Fake OS' ;;
      *containerRuntimeVersion*) echo 'image-run.sh://1' ;;
      *kubeletVersion*) echo v0.0.0-fake ;;
    esac ;;
  'exec gateway-pod -c gateway -- java -XshowSettings:system -version')
    printf 'Operating System Metrics:\n    Provider: cgroupv2\n    Effective CPU Count: 1\n    List of Effective Processors, 1 total: \n    3\nopenjdk version "25" (fake)\n' >&2 ;;
  'get pod gateway-pod -o jsonpath='*limits.cpu*)
    manifest '[c for c in docs["Deployment/gateway"]["spec"]["template"]["spec"]["containers"] if c["name"] == "gateway"][0]["resources"]["limits"]["cpu"]' ;;
  'get pod gateway-pod -o jsonpath='*env*)
    manifest '" ".join(e["name"] + "=" + str(e.get("value", e.get("valueFrom", {}).get("resourceFieldRef", {}).get("resource", ""))) for e in docs["Deployment/gateway"]["spec"]["template"]["spec"]["containers"][0]["env"])' ;;
  'get pod loadgen-pod -o jsonpath='*exitCode*) cat "$state/loadgen.rc" ;;
  'get job loadgen -o jsonpath='*)
    case $(loadgen_phase) in Succeeded) echo '1 ' ;; Failed) echo ' 1' ;; *) echo ' ' ;; esac ;;
  'get --raw /api/v1/nodes/node-a/proxy/metrics/cadvisor')
    cadvisor gateway gateway gateway-pod
    cadvisor sim inference-sim sim-pod ;;
  'get --raw /api/v1/nodes/node-b/proxy/metrics/cadvisor')
    cadvisor loadgen loadgen loadgen-pod ;;
  'get --raw /api/v1/namespaces/sttbench/pods/gateway-pod:8080/proxy/metrics')
    curl -sf --max-time 2 "http://127.0.0.1:$(<"$state/gateway.port")/metrics" ;;
  'logs loadgen-pod') cat "$state/loadgen.log" ;;
  'logs gateway-pod -c gateway') cat "$state/gateway.log" ;;
  'logs sim-pod -c inference-sim') cat "$state/sim.log" ;;
  *) echo "fake-kubectl: unexpected call: kubectl $cmd" >&2; exit 1 ;;
esac
