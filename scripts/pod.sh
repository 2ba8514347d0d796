#!/usr/bin/env bash
# Pod-like plumbing for `make bench POD=1`: each server runs as a Kubernetes pod would, with the same kernel
# mechanisms. Networking as the CNI bridge plugin sets it up: a bridge in the root namespace holding the
# gateway address (.1 of SUBNET), and per pod a network namespace BRIDGE-ROLE joined to the bridge by a veth
# pair (host end BRIDGE-ROLE, eth0 inside with the pod address, lo up, default route via the bridge). Limits
# as the kubelet sets them on cgroup v1: a cgroup sttbench-BRIDGE-ROLE in the cpu (CFS quota), cpuset (the
# pinned CPUs) and memory (memory.limit_in_bytes, memory.memsw.limit_in_bytes equal to it: no swap)
# hierarchies. Names derive from BRIDGE and ROLE only, so `down BRIDGE` finds everything a killed run left.
#
#   pod.sh check                              exit 0 when this host can run pods (root, ip netns, veth, bridge,
#                                             v1 cpu/cpuset/memory), else prints why and exits 3
#   pod.sh up BRIDGE SUBNET MTU               the bridge with SUBNET.1/24 (SUBNET = three octets, 10.77.0)
#   pod.sh add BRIDGE ROLE IP                 netns BRIDGE-ROLE with IP/24 on a veth to the bridge
#   pod.sh limit BRIDGE ROLE CPUS CPU_LIMIT MEMORY_MB
#                                             the role's cgroups: cpuset CPUS, CFS quota CPU_LIMIT vCPUs,
#                                             MEMORY_MB MiB of memory (+ memsw); an empty value sets no such limit
#   pod.sh exec BRIDGE ROLE CMD...            joins the role's cgroups and netns, then execs CMD (same PID)
#   pod.sh cgroup BRIDGE ROLE CONTROLLER      prints the role's cgroup directory in CONTROLLER's hierarchy
#   pod.sh memory BRIDGE ROLE                 the role's memory cgroup as key=value lines: limit, usage, peak,
#                                             failcnt, oom_kill, under_oom, rss/cache/kernel at this moment
#   pod.sh down BRIDGE                        removes the netns, veths, cgroups and bridge of BRIDGE (idempotent)
set -euo pipefail

NETNS_DIR=/run/netns
CFS_PERIOD_US=100000

die() { printf 'pod.sh: %s\n' "$*" >&2; exit 3; }

# The v1 hierarchy that carries controller $1 (its mount options list it), else nothing.
v1_root() {
  local dev mnt fstype opts rest
  while read -r dev mnt fstype opts rest; do
    if [[ $fstype == cgroup ]] && [[ ,$opts, == *,$1,* ]]; then
      printf '%s' "$mnt"
      return 0
    fi
  done </proc/mounts
  : "$dev" "$rest"
}

cgroup_dir() {
  local root
  root=$(v1_root "$3")
  [[ -n $root ]] || die "no cgroup v1 hierarchy with the $3 controller is mounted"
  printf '%s/sttbench-%s-%s' "$root" "$1" "$2"
}

netns_name() { printf '%s-%s' "$1" "$2"; }

check_names() {
  [[ $1 =~ ^[a-z][a-z0-9]{0,6}$ ]] || die "bridge name '$1' must be 1-7 lowercase letters or digits (veth names are BRIDGE-ROLE, 15 bytes at most)"
  [[ -z ${2:-} || $2 =~ ^[a-z]{1,7}$ ]] || die "role '$2' must be 1-7 lowercase letters"
}

check() {
  local probe="sttbprobe$$" controller
  [[ $(id -u) -eq 0 ]] || die "POD=1 needs root (network namespaces, veth pairs, a bridge, cgroups); run as root or without POD"
  command -v ip >/dev/null 2>&1 || die "POD=1 needs the ip command (Debian package iproute2)"
  command -v nsenter >/dev/null 2>&1 || die "POD=1 needs nsenter (Debian package util-linux)"
  for controller in cpu cpuset memory; do
    [[ -n $(v1_root "$controller") ]] || die "POD=1 needs the cgroup v1 $controller controller mounted (cgroup v2 is not supported yet)"
  done
  ip netns add "$probe" 2>/dev/null || die "cannot create a network namespace here (ip netns add failed)"
  if ! ip link add "$probe" type bridge 2>/dev/null; then
    ip netns del "$probe"
    die "cannot create a bridge here (ip link add type bridge failed)"
  fi
  ip link del "$probe"
  if ! ip link add "${probe}a" type veth peer name "${probe}b" netns "$probe" 2>/dev/null; then
    ip netns del "$probe"
    die "cannot create a veth pair into a network namespace here"
  fi
  ip link del "${probe}a" 2>/dev/null || true
  ip netns del "$probe"
}

up() {
  local bridge=$1 subnet=$2 mtu=$3
  check_names "$bridge"
  [[ $subnet =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "subnet '$subnet' must be three octets, e.g. 10.77.0"
  [[ $mtu =~ ^[0-9]+$ ]] || die "MTU '$mtu' must be a whole number"
  if ip link show "$bridge" >/dev/null 2>&1; then
    die "bridge $bridge already exists: another POD=1 run is using it (choose POD_BRIDGE and POD_SUBNET), or a killed run left it (scripts/pod.sh down $bridge)"
  fi
  if ip -4 -o addr show | grep -q "inet $subnet\."; then
    die "addresses of $subnet.0/24 are already on an interface here: choose another POD_SUBNET"
  fi
  ip link add "$bridge" type bridge
  ip link set "$bridge" mtu "$mtu"
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
}

add() {
  local bridge=$1 role=$2 ip=$3 ns gateway mtu
  check_names "$bridge" "$role"
  ns=$(netns_name "$bridge" "$role")
  gateway="${ip%.*}.1"
  mtu=$(<"/sys/class/net/$bridge/mtu")
  ip netns add "$ns"
  ip link add "$ns" mtu "$mtu" type veth peer name eth0 mtu "$mtu" netns "$ns"
  ip link set "$ns" master "$bridge"
  ip link set "$ns" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$gateway"
}

limit() {
  local bridge=$1 role=$2 cpus=$3 cpu_limit=$4 memory_mb=$5 dir parent quota bytes
  check_names "$bridge" "$role"
  if [[ -n $cpus ]]; then
    dir=$(cgroup_dir "$bridge" "$role" cpuset)
    parent=$(dirname "$dir")
    mkdir "$dir"
    # A new cpuset has no CPUs or memory nodes: both must be set before a task may join.
    cat "$parent/cpuset.mems" >"$dir/cpuset.mems"
    echo "$cpus" >"$dir/cpuset.cpus" || die "cannot set cpuset.cpus=$cpus in $dir"
  fi
  if [[ -n $cpu_limit ]]; then
    [[ $cpu_limit =~ ^[0-9]*\.?[0-9]+$ ]] || die "CPU limit '$cpu_limit' is not a positive number of vCPUs"
    quota=$(awk -v l="$cpu_limit" -v p="$CFS_PERIOD_US" 'BEGIN { q = int(l * p + 0.5); if (q < 1000) exit 1; print q }') \
      || die "CPU limit '$cpu_limit' is below the kernel's 1 ms minimum quota"
    dir=$(cgroup_dir "$bridge" "$role" cpu)
    mkdir "$dir"
    echo "$CFS_PERIOD_US" >"$dir/cpu.cfs_period_us"
    echo "$quota" >"$dir/cpu.cfs_quota_us"
  fi
  if [[ -n $memory_mb ]]; then
    [[ $memory_mb =~ ^[1-9][0-9]*$ ]] || die "memory limit '$memory_mb' must be a whole number of MiB"
    dir=$(cgroup_dir "$bridge" "$role" memory)
    bytes=$((memory_mb * 1048576))
    mkdir "$dir"
    echo "$bytes" >"$dir/memory.limit_in_bytes"
    # memsw caps memory + swap: equal to the limit, the pod cannot swap (the kubelet's no-swap node).
    [[ ! -f $dir/memory.memsw.limit_in_bytes ]] || echo "$bytes" >"$dir/memory.memsw.limit_in_bytes"
  fi
}

join_and_exec() {
  local bridge=$1 role=$2 controller dir ns
  shift 2
  check_names "$bridge" "$role"
  for controller in memory cpuset cpu; do
    dir=$(cgroup_dir "$bridge" "$role" "$controller")
    [[ ! -d $dir ]] || echo "$$" >"$dir/cgroup.procs" || die "cannot move pid $$ into $dir"
  done
  ns=$(netns_name "$bridge" "$role")
  [[ -e $NETNS_DIR/$ns ]] || die "no network namespace $ns (pod.sh add first)"
  # nsenter, not `ip netns exec`: that one remounts /sys, which hides /sys/fs/cgroup from the JVM, and a
  # container sees its own limits.
  exec nsenter --net="$NETNS_DIR/$ns" -- "$@"
}

memory() {
  local dir key value
  dir=$(cgroup_dir "$1" "$2" memory)
  [[ -d $dir ]] || die "no memory cgroup $dir"
  printf 'limit_bytes=%s\n' "$(<"$dir/memory.limit_in_bytes")"
  [[ ! -f $dir/memory.memsw.limit_in_bytes ]] || printf 'memsw_limit_bytes=%s\n' "$(<"$dir/memory.memsw.limit_in_bytes")"
  printf 'usage_bytes=%s\npeak_bytes=%s\nfailcnt=%s\n' "$(<"$dir/memory.usage_in_bytes")" \
    "$(<"$dir/memory.max_usage_in_bytes")" "$(<"$dir/memory.failcnt")"
  [[ ! -f $dir/memory.memsw.max_usage_in_bytes ]] || printf 'memsw_peak_bytes=%s\n' "$(<"$dir/memory.memsw.max_usage_in_bytes")"
  # Kernel memory (slab, stacks, page tables) is charged to usage on v1; socket buffers are not, unless a
  # memory.kmem.tcp limit is set (the kubelet sets none).
  [[ ! -f $dir/memory.kmem.usage_in_bytes ]] || printf 'kernel_bytes=%s\nkernel_peak_bytes=%s\n' \
    "$(<"$dir/memory.kmem.usage_in_bytes")" "$(<"$dir/memory.kmem.max_usage_in_bytes")"
  while read -r key value; do
    case $key in
      under_oom | oom_kill) printf '%s=%s\n' "$key" "$value" ;;
    esac
  done <"$dir/memory.oom_control"
  while read -r key value; do
    case $key in
      total_rss | total_cache | total_mapped_file | total_shmem | total_swap) printf '%s_bytes=%s\n' "${key#total_}" "$value" ;;
    esac
  done <"$dir/memory.stat"
}

# rmdir of a cgroup whose last task is still exiting fails for a moment: retry for up to 5 s.
remove_cgroup() {
  local dir=$1 tries=50
  [[ -d $dir ]] || return 0
  until rmdir "$dir" 2>/dev/null; do
    if ((--tries <= 0)); then
      printf 'pod.sh: cannot remove %s (tasks still inside: %s)\n' "$dir" "$(tr '\n' ' ' <"$dir/cgroup.procs")" >&2
      return 1
    fi
    sleep 0.1
  done
}

down() {
  local bridge=$1 ns controller root dir rc=0
  check_names "$bridge"
  while read -r ns _; do
    [[ $ns == "$bridge"-* ]] || continue
    ip link del "$ns" 2>/dev/null || true
    ip netns del "$ns" || rc=3
  done < <(ip netns list 2>/dev/null)
  if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge" || rc=3; fi
  for controller in memory cpuset cpu; do
    root=$(v1_root "$controller")
    [[ -n $root ]] || continue
    for dir in "$root/sttbench-$bridge"-*; do
      [[ ! -d $dir ]] || remove_cgroup "$dir" || rc=3
    done
  done
  return "$rc"
}

case ${1:-} in
  check) (($# == 1)) || die "usage: pod.sh check"; check ;;
  up) (($# == 4)) || die "usage: pod.sh up BRIDGE SUBNET MTU"; up "$2" "$3" "$4" ;;
  add) (($# == 4)) || die "usage: pod.sh add BRIDGE ROLE IP"; add "$2" "$3" "$4" ;;
  limit) (($# == 6)) || die "usage: pod.sh limit BRIDGE ROLE CPUS CPU_LIMIT MEMORY_MB"; limit "$2" "$3" "$4" "$5" "$6" ;;
  exec) (($# >= 4)) || die "usage: pod.sh exec BRIDGE ROLE CMD..."; shift; join_and_exec "$@" ;;
  cgroup) (($# == 4)) || die "usage: pod.sh cgroup BRIDGE ROLE CONTROLLER"; check_names "$2" "$3"; cgroup_dir "$2" "$3" "$4"; echo ;;
  memory) (($# == 3)) || die "usage: pod.sh memory BRIDGE ROLE"; check_names "$2" "$3"; memory "$2" "$3" ;;
  down) (($# == 2)) || die "usage: pod.sh down BRIDGE"; down "$2" ;;
  *) die "usage: pod.sh check|up|add|limit|exec|cgroup|memory|down ..." ;;
esac
