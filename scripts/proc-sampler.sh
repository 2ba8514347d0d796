#!/usr/bin/env bash
# Samples processes from /proc once per SAMPLE_INTERVAL_SECS (default 1) until killed or all are gone.
#
#   proc-sampler.sh OUT.csv [--metrics URL NAME METRICS.csv] ROLE=PID...
#
# OUT.csv rows: epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct
#   rss_kb, threads  from /proc/PID/status (VmRSS, Threads)
#   fds              entries of /proc/PID/fd
#   cpu_ticks        utime+stime from /proc/PID/stat, cumulative, in CLK_TCK units
#   cpu_pct          utime+stime delta over wall time since the previous sample (100 = one core)
# With --metrics, each round also reads counter NAME from URL (Prometheus text or JSON) into
# METRICS.csv rows epoch_ms,value, stamped like the same round's /proc rows.
set -euo pipefail
shopt -s nullglob

usage() { echo "usage: proc-sampler.sh OUT.csv [--metrics URL NAME METRICS.csv] ROLE=PID..." >&2; exit 2; }

(($# >= 2)) || usage
out=$1
shift
metrics_url='' metrics_name='' metrics_out=''
if [[ $1 == --metrics ]]; then
  (($# >= 5)) || usage
  metrics_url=$2 metrics_name=$3 metrics_out=$4
  shift 4
fi

roles=() pids=()
for arg in "$@"; do
  [[ $arg =~ ^([A-Za-z0-9_-]+)=([0-9]+)$ ]] || usage
  roles+=("${BASH_REMATCH[1]}")
  pids+=("${BASH_REMATCH[2]}")
done

clk_tck=$(getconf CLK_TCK)
interval=${SAMPLE_INTERVAL_SECS:-1}
declare -A last_ticks=() last_ms=()

now_ms() { local t=${EPOCHREALTIME/./}; printf '%s' "${t:0:13}"; }

# Sets rss_kb, threads, fds, ticks for pid $1; fails when the process is gone.
read_proc() {
  local pid=$1 line key value unit
  local -a stat fd_entries
  rss_kb=0 threads=0
  { read -r line <"/proc/$pid/stat"; } 2>/dev/null || return 1
  # Fields after the parenthesised command name (which may contain spaces) start at field 3.
  read -r -a stat <<<"${line##*) }"
  ticks=$((stat[11] + stat[12]))
  while read -r key value unit; do
    case $key in
      VmRSS:) rss_kb=$value ;;
      Threads:) threads=$value ;;
    esac
  done <"/proc/$pid/status" 2>/dev/null || return 1
  : "$unit"
  fd_entries=("/proc/$pid/fd/"*)
  fds=${#fd_entries[@]}
}

# The value of counter $2 in the body at URL $1: Prometheus `name value` / `name{...} value`, or JSON `"name": value`.
# A scrape that fails or takes over 1 s (a saturated gateway) yields nothing for this second; it must never
# stop the sampler (under pipefail a failed curl would fail the assignment and end the script).
read_counter() {
  { curl -s --max-time 1 "$1" 2>/dev/null || true; } \
    | awk -v name="$2" '
        $1 == name || index($1, name "{") == 1 { print $2; exit }
        match($0, "\"" name "\"[[:space:]]*:[[:space:]]*[0-9.eE+-]+") {
          s = substr($0, RSTART, RLENGTH); sub(/.*:[[:space:]]*/, "", s); print s; exit }'
}

trap 'exit 0' TERM INT
exec {idle_fd}<> <(:)

echo 'epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct' >"$out"
[[ -z $metrics_out ]] || echo 'epoch_ms,value' >"$metrics_out"

next_ms=$(now_ms)
while :; do
  ts=$(now_ms)
  alive=0
  for i in "${!pids[@]}"; do
    pid=${pids[i]}
    read_proc "$pid" || continue
    alive=1
    pct=''
    if [[ -n ${last_ms[$pid]:-} ]] && ((ts > last_ms[$pid])); then
      span=$((clk_tck * (ts - last_ms[$pid])))
      tenths=$((((ticks - last_ticks[$pid]) * 1000000 + span / 2) / span))
      pct="$((tenths / 10)).$((tenths % 10))"
    fi
    last_ticks[$pid]=$ticks last_ms[$pid]=$ts
    echo "$ts,${roles[i]},$pid,$rss_kb,$threads,$fds,$ticks,$pct" >>"$out"
  done
  ((alive)) || exit 0
  if [[ -n $metrics_url ]]; then
    value=$(read_counter "$metrics_url" "$metrics_name")
    [[ -z $value ]] || echo "$ts,$value" >>"$metrics_out"
  fi
  next_ms=$((next_ms + interval * 1000))
  wait_ms=$((next_ms - $(now_ms)))
  if ((wait_ms > 0)); then
    # read -t on a pipe nobody writes: a sleep without a child process, cut short by SIGTERM.
    printf -v wait_secs '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000))
    read -r -t "$wait_secs" -u "$idle_fd" || true
  else
    next_ms=$(now_ms)
  fi
done
