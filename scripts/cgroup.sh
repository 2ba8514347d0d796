#!/usr/bin/env bash
# A CPU limit exactly as a Kubernetes CPU limit imposes it: a cgroup whose CFS quota is LIMIT x period.
# Uses cgroup v2 (cpu.max) where the cpu controller is on the unified hierarchy, else v1 (cpu.cfs_quota_us).
#
#   cgroup.sh create NAME LIMIT     creates the group, prints its directory
#   cgroup.sh exec DIR CMD...       moves this process into DIR, then execs CMD (same PID, all threads inside)
#   cgroup.sh stat DIR              prints DIR's cpu.stat (nr_periods, nr_throttled, ...)
#   cgroup.sh remove DIR            removes DIR once its processes are gone
set -euo pipefail

CFS_PERIOD_US=100000

die() { printf 'cgroup.sh: %s\n' "$*" >&2; exit 3; }

# The v2 mount when its root offers the cpu controller, else nothing.
v2_root() {
  local dev mnt fstype rest
  while read -r dev mnt fstype rest; do
    if [[ $fstype == cgroup2 ]] && [[ -r $mnt/cgroup.controllers ]] && grep -qw cpu "$mnt/cgroup.controllers"; then
      printf '%s' "$mnt"
      return 0
    fi
  done </proc/mounts
  : "$dev" "$rest"
}

# The v1 hierarchy that carries the cpu controller (its mount options list "cpu"), else nothing.
v1_cpu_root() {
  local dev mnt fstype opts rest
  while read -r dev mnt fstype opts rest; do
    if [[ $fstype == cgroup ]] && [[ ,$opts, == *,cpu,* ]]; then
      printf '%s' "$mnt"
      return 0
    fi
  done </proc/mounts
  : "$dev" "$rest"
}

quota_us() {
  local limit=$1
  [[ $limit =~ ^[0-9]*\.?[0-9]+$ ]] || die "CPU limit '$limit' is not a positive number of vCPUs"
  awk -v l="$limit" -v p="$CFS_PERIOD_US" 'BEGIN { q = int(l * p + 0.5); if (q < 1000) exit 1; print q }' \
    || die "CPU limit '$limit' is below the kernel's 1 ms minimum quota"
}

create() {
  local name=$1 limit=$2 quota root dir
  quota=$(quota_us "$limit")
  root=$(v2_root)
  if [[ -n $root ]]; then
    if ! grep -qw cpu "$root/cgroup.subtree_control"; then
      echo +cpu >"$root/cgroup.subtree_control" 2>/dev/null \
        || die "cannot enable the cpu controller in $root/cgroup.subtree_control (need root)"
    fi
    dir="$root/$name"
    mkdir "$dir" 2>/dev/null || die "cannot create $dir (need root and a writable cgroup v2 hierarchy)"
    echo "$quota $CFS_PERIOD_US" >"$dir/cpu.max" || { rmdir "$dir"; die "cannot write $dir/cpu.max"; }
  else
    root=$(v1_cpu_root)
    [[ -n $root ]] || die "no cgroup hierarchy with the cpu controller is mounted"
    dir="$root/$name"
    mkdir "$dir" 2>/dev/null || die "cannot create $dir (need root and a writable cgroup v1 cpu hierarchy)"
    if ! { echo "$CFS_PERIOD_US" >"$dir/cpu.cfs_period_us" && echo "$quota" >"$dir/cpu.cfs_quota_us"; }; then
      rmdir "$dir"
      die "cannot write the CFS quota in $dir"
    fi
  fi
  printf '%s\n' "$dir"
}

join_and_exec() {
  local dir=$1
  shift
  echo "$$" >"$dir/cgroup.procs" || die "cannot move pid $$ into $dir"
  exec "$@"
}

remove() {
  local dir=$1 tries=50
  [[ -d $dir ]] || return 0
  until rmdir "$dir" 2>/dev/null; do
    ((--tries > 0)) || die "cannot remove $dir (processes still inside: $(tr '\n' ' ' <"$dir/cgroup.procs"))"
    sleep 0.1
  done
}

case ${1:-} in
  create) (($# == 3)) || die "usage: cgroup.sh create NAME LIMIT"; create "$2" "$3" ;;
  exec) (($# >= 3)) || die "usage: cgroup.sh exec DIR CMD..."; shift; join_and_exec "$@" ;;
  stat) (($# == 2)) || die "usage: cgroup.sh stat DIR"; cat "$2/cpu.stat" ;;
  remove) (($# == 2)) || die "usage: cgroup.sh remove DIR"; remove "$2" ;;
  *) die "usage: cgroup.sh create|exec|stat|remove ..." ;;
esac
