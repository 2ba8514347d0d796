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
# METRICS.csv rows epoch_ms,value, stamped like the same round's /proc rows. A Prometheus metric with
# several label sets (e.g. gateway_sessions{loop="0"}, {loop="1"}) is their sum when they are whole numbers.
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

# Every round runs without a child process: on a virtualized machine a fork costs milliseconds of CPU, and
# this loop shares the cores it measures. So no $(...), no curl, no awk; results come back in globals.

# Sets now to the epoch time in milliseconds.
now_ms() { local t=${EPOCHREALTIME/./}; now=${t:0:13}; }

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

# Sets counter to the value of counter $2 in the body at URL $1: Prometheus `name value` / `name{...} value`
# (the sum of its consecutive label sets when whole numbers, else the first), or JSON `"name": value`.
# HTTP/1.0 over bash's /dev/tcp (http://host:port/path only). A scrape that fails or takes over 1 s in all
# (a saturated gateway) leaves counter empty for this second; it never stops the sampler.
read_counter() {
  local url=$1 name=$2 host port path fd line left secs status deadline value
  counter=''
  [[ $url =~ ^http://([^/:]+):([0-9]+)(/.*)?$ ]] || return 0
  host=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]} path=${BASH_REMATCH[3]:-/}
  { exec {fd}<>"/dev/tcp/$host/$port"; } 2>/dev/null || return 0
  if { printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n' "$path" "$host" "$port" >&"$fd"; } 2>/dev/null; then
    now_ms
    deadline=$((now + 1000))
    while now_ms && left=$((deadline - now)) && ((left > 0)); do
      printf -v secs '%d.%03d' $((left / 1000)) $((left % 1000))
      status=0
      IFS= read -r -t "$secs" -u "$fd" line || status=$?
      # 1 = end of the body (its last line may lack a newline); above 128 = out of time.
      ((status <= 1)) || break
      line=${line%$'\r'}
      if [[ $line =~ ^$name(\{[^}]*\})?[[:space:]]+([0-9.eE+-]+) ]]; then
        value=${BASH_REMATCH[2]}
        if [[ -z $counter ]]; then counter=$value
        elif [[ $counter =~ ^[0-9]+$ && $value =~ ^[0-9]+$ ]]; then counter=$((counter + value)); fi
      elif [[ -n $counter ]]; then
        break # past the metric's lines
      elif [[ $line =~ \"$name\"[[:space:]]*:[[:space:]]*([0-9.eE+-]+) ]]; then
        counter=${BASH_REMATCH[1]}
        break
      fi
      ((status == 0)) || break
    done
  fi
  exec {fd}>&-
}

trap 'exit 0' TERM INT
exec {idle_fd}<> <(:)

echo 'epoch_ms,role,pid,rss_kb,threads,fds,cpu_ticks,cpu_pct' >"$out"
[[ -z $metrics_out ]] || echo 'epoch_ms,value' >"$metrics_out"

now_ms
next_ms=$now
while :; do
  now_ms
  ts=$now
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
    read_counter "$metrics_url" "$metrics_name"
    [[ -z $counter ]] || echo "$ts,$counter" >>"$metrics_out"
  fi
  next_ms=$((next_ms + interval * 1000))
  now_ms
  wait_ms=$((next_ms - now))
  if ((wait_ms > 0)); then
    # read -t on a pipe nobody writes: a sleep without a child process, cut short by SIGTERM.
    printf -v wait_secs '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000))
    read -r -t "$wait_secs" -u "$idle_fd" || true
  else
    next_ms=$now
  fi
done
