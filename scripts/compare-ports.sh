#!/usr/bin/env bash
# gateway-nio and its Netty port (gateway-netty) at the same bench points, side by side: for each session count of
# POINTS, bench.sh runs gateway-nio, then gateway-netty (GATEWAY_JAR/GATEWAY_NAME) once per VARIANTS entry, with
# the same placement, CPU quota, JVM sizing, loadgen and §4 timing; then one report with the ratios to gateway-nio.
#
# Writes OUT_DIR (default results/ports-<UTC date>): nio-<N>/ and <variant>-<N>/ (bench.sh's files, bench.log),
# compare-<variant>-<N>.md (compare.sh's table, A = gateway-nio, B = the variant), report.md (the summary first,
# then each table); appends one row to PORTS_INDEX (results/ports.md). Prints report.md.
# Exit status: 0 when every run produced a result (pass or fail), 1 when one did not, 3 harness failure.
#
# Variables (environment or make command line):
#   POINTS="1000 2000"   WARMUP MEASURE RAMP SPREAD (bench.sh's: §4 timing by default)
#   VARIANTS="netty"     gateway-netty runs per point: label[:VAR=value[,VAR=value...]] each, e.g.
#                        VARIANTS="netty netty-read500:READ_INTERVAL_MS=500" (the environment goes to that run only)
#   GATEWAY_CPUS INFERENCE_CPUS LOADGEN_CPUS GATEWAY_CPU_LIMIT   placement (lib.sh's defaults), the same for all
#   GATEWAY_JAVA_OPTS   every gateway's JVM flags (default GATEWAY_JVM_OPTS of lib.sh)
#   NETTY_EXTRA_JAVA_OPTS="-XX:MaxDirectMemorySize=256m"   appended for gateway-netty: Netty's pooled buffers are
#                        direct memory, which the JVM otherwise caps at -Xmx (48 MiB)
#   OUT_DIR=results/ports-<date>   PORTS_INDEX=results/ports.md   COMMIT (the report's; default: git's HEAD)
#   REPORT_ONLY=1        rebuild report.md from the runs already in OUT_DIR (no bench run, no index row)
#   SIM_PORT GATEWAY_PORT LOADGEN_* SIM_JAVA_OPTS LOADGEN_JAVA_OPTS   passed to bench.sh
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

POINTS=${POINTS:-1000 2000}
VARIANTS=${VARIANTS:-netty}
OUT_DIR=${OUT_DIR:-results/ports-$(date -u +%Y-%m-%d)}
INDEX=${PORTS_INDEX:-$REPO_ROOT/results/ports.md}
NETTY_JAR=${NETTY_JAR:-$REPO_ROOT/gateway-netty/target/gateway-netty.jar}
REPORT_ONLY=${REPORT_ONLY:-0}
NIO_JAR=$GATEWAY_JAR
NETTY_EXTRA_JAVA_OPTS=${NETTY_EXTRA_JAVA_OPTS--XX:MaxDirectMemorySize=256m}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:-$GATEWAY_JVM_OPTS}
default_placement

read -r -a points <<<"$POINTS"
((${#points[@]} > 0)) || die "POINTS is empty"
for n in "${points[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "POINTS must hold positive whole numbers, got '$n'"
done
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
require_jar "$SIM_JAR"
require_jar "$LOADGEN_JAR"
[[ $REPORT_ONLY =~ ^[01]$ ]] || die "REPORT_ONLY must be 0 or 1, got '$REPORT_ONLY'"
if ((!REPORT_ONLY)); then
  require_jar "$NIO_JAR"
  require_jar "$NETTY_JAR"
fi

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
REPORT="$OUT_DIR/report.md"

# shellcheck disable=SC2317  # reached through the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  ((rc < 128)) || log "interrupted: stopping the bench.sh run in progress"
  stop_started
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One bench.sh point: gateway $1 (nio or a variant) at $2 sessions; its exit status in bench_rc.
run_point() {
  local gateway=$1 sessions=$2 dir="$OUT_DIR/$1-$2" pid
  local -a env_args=(SESSIONS="$sessions" LABEL="$gateway" OUT_DIR="$dir" GATEWAY_CPUS="$GATEWAY_CPUS"
    INFERENCE_CPUS="$INFERENCE_CPUS" LOADGEN_CPUS="$LOADGEN_CPUS" GATEWAY_CPU_LIMIT="$GATEWAY_CPU_LIMIT")
  if [[ $gateway == nio ]]; then
    env_args+=(GATEWAY_JAR="$NIO_JAR" GATEWAY_NAME=gateway-nio GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS")
  else
    local -a extra=()
    read -r -a extra <<<"${variant_env[$gateway]}"
    env_args+=(GATEWAY_JAR="$NETTY_JAR" GATEWAY_NAME=gateway-netty
      GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS${NETTY_EXTRA_JAVA_OPTS:+ $NETTY_EXTRA_JAVA_OPTS}" "${extra[@]}")
  fi
  mkdir -p "$dir"
  log "$gateway, $sessions sessions: bench.sh (log $dir/bench.log)"
  env "${env_args[@]}" "$SCRIPTS_DIR/bench.sh" >"$dir/bench.log" 2>&1 &
  pid=$!
  track_pid "$pid"
  bench_rc=0
  wait "$pid" || bench_rc=$?
  STARTED_PIDS=()
  log "$gateway, $sessions sessions: exit $bench_rc, $(grep -v '^report:' "$dir/bench.log" | tail -n 1)"
}

# The value of row $2 of compare table $1, column $3 (1 = A, 2 = B, 3 = B / A); "–" when absent.
cell() {
  awk -F'|' -v row="$2" -v col="$3" '
    { name = $2; gsub(/^[ \t]+|[ \t]+$/, "", name) }
    name == row { v = $(col + 2); gsub(/^[ \t]+|[ \t]+$/, "", v); print (v == "" ? "–" : v); found = 1; exit }
    END { if (!found) print "–" }' "$1"
}

any_missing=0
for n in "${points[@]}"; do
  for gateway in nio "${variants[@]}"; do
    ((REPORT_ONLY)) || run_point "$gateway" "$n"
    [[ -s $OUT_DIR/$gateway-$n/summary.json ]] || any_missing=1
  done
done

# Sessions that connected in run directory $1 (summary.json's sessions_connected), "–" when absent.
connected() {
  local value
  value=$(sed -n 's/^[[:space:]]*"sessions_connected"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p' "$1/summary.json" 2>/dev/null | head -n 1)
  echo "${value:-–}"
}

# One summary row from compare table $1 for side $2 (1 = gateway-nio, 2 = the variant) of run directory $5,
# labelled $3, at $4 sessions.
summary_row() {
  local t=$1 side=$2 ratio=''
  ((side == 1)) || ratio=yes
  printf '| %s | %s | %s | %s | %s / %s | %s / %s | %s%s | %s | %s%s | %s%s | %s | %s |\n' "$4" "$3" "$(cell "$t" verdict "$side")" \
    "$(connected "$5")" "$(cell "$t" 'newest p50 ms' "$side")" "$(cell "$t" 'newest p95 ms' "$side")" \
    "$(cell "$t" 'oldest p50 ms' "$side")" "$(cell "$t" 'oldest p95 ms' "$side")" \
    "$(cell "$t" 'gateway CPU µs / frame' "$side")" "${ratio:+ (**$(cell "$t" 'gateway CPU µs / frame' 3)×**)}" \
    "$(cell "$t" 'gateway CPU mean %' "$side")" \
    "$(cell "$t" 'projected sessions / vCPU' "$side")" "${ratio:+ ($(cell "$t" 'projected sessions / vCPU' 3)×)}" \
    "$(cell "$t" 'gateway peak RSS MiB' "$side")" "${ratio:+ ($(cell "$t" 'gateway peak RSS MiB' 3)×)}" \
    "$(cell "$t" errors "$side")" "$(cell "$t" 'client bound' "$side")"
}

rows=()
declare -A best=([nio]=0)
for n in "${points[@]}"; do
  nio_done=0
  for variant in "${variants[@]}"; do
    a="$OUT_DIR/nio-$n" b="$OUT_DIR/$variant-$n" table="$OUT_DIR/compare-$variant-$n.md"
    if [[ ! -s $a/summary.json || ! -s $b/summary.json ]]; then
      rows+=("| $n | $variant | no result: see $(basename "$a")/bench.log and $(basename "$b")/bench.log | | | | | | | | | |")
      continue
    fi
    (cd "$OUT_DIR" && "$SCRIPTS_DIR/compare.sh" "nio-$n" "$variant-$n") >"$table" || die "compare.sh failed for $a and $b"
    if ((!nio_done)); then
      rows+=("$(summary_row "$table" 1 gateway-nio "$n" "$a")")
      nio_done=1
      [[ $(cell "$table" verdict 1) != PASS ]] || ((n <= best[nio])) || best[nio]=$n
    fi
    rows+=("$(summary_row "$table" 2 "gateway-netty ($variant)" "$n" "$b")")
    [[ $(cell "$table" verdict 2) != PASS ]] || ((n <= ${best[$variant]:-0})) || best[$variant]=$n
  done
done

per_vcpu() {
  if ((${1:-0} == 0)); then echo "none passed"; elif [[ -z $GATEWAY_CPU_LIMIT ]]; then echo "$1 (no CPU limit)"; else
    awk -v s="$1" -v l="$GATEWAY_CPU_LIMIT" 'BEGIN { printf "%d sessions = %.0f per vCPU", s, s / l }'; fi
}

# When the runs of OUT_DIR were made: the first and last summary.json's times.
run_span() {
  local -a files=()
  mapfile -t files < <(ls -tr "$OUT_DIR"/*/summary.json 2>/dev/null)
  if ((${#files[@]} == 0)); then date -u '+%Y-%m-%d %H:%M UTC'; return; fi
  printf '%s–%s UTC' "$(date -u -r "${files[0]}" '+%Y-%m-%d %H:%M')" "$(date -u -r "${files[${#files[@]} - 1]}" '+%H:%M')"
}

commit=${COMMIT:-$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
{
  echo "# gateway-nio vs gateway-netty: the same bench points, side by side"
  echo
  echo "$(run_span), commit $commit, $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), \`make compare-ports POINTS=\"$POINTS\" VARIANTS=\"$VARIANTS\"\`."
  echo "Each point: one \`scripts/bench.sh\` run per gateway, gateway-nio first; the gateway on CPU ${GATEWAY_CPUS:-any}"
  quota="with no CPU quota"
  [[ -z $GATEWAY_CPU_LIMIT ]] || quota="under a $GATEWAY_CPU_LIMIT vCPU CFS quota"
  echo "$quota, inference-sim on CPU ${INFERENCE_CPUS:-any}, the loadgen on CPU ${LOADGEN_CPUS:-any};"
  echo "ramp ${RAMP:-30} s, spread ${SPREAD:-1000} ms, warm-up ${WARMUP:-10} s, measured ${MEASURE:-45} s."
  echo "JVM of both: \`$GATEWAY_JAVA_OPTS\` with \`$GATEWAY_MALLOC_ENV\`; gateway-netty also \`${NETTY_EXTRA_JAVA_OPTS:-}\`."
  for variant in "${variants[@]}"; do
    echo "Variant \`$variant\`: gateway-netty with ${variant_env[$variant]:-its defaults}."
  done
  echo
  echo "| sessions | gateway | verdict | connected | newest p50 / p95 ms | oldest p50 / p95 ms | CPU µs per frame (**÷ nio**) | gateway CPU mean % | projected sessions per vCPU (÷ nio) | peak RSS MiB (÷ nio) | errors | client bound |"
  echo "|---:|---|---|---:|---|---|---|---:|---|---|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Highest passing point of this sweep (each point run once: not a confirmed ceiling):"
  echo "gateway-nio $(per_vcpu "${best[nio]}")$(for v in "${variants[@]}"; do printf '; %s %s' "$v" "$(per_vcpu "${best[$v]:-0}")"; done)."
  echo "Projected sessions per vCPU: sessions ÷ the gateway's mean CPU over the measured window (bench.sh's report),"
  echo "what one vCPU would hold at this cost per frame, not a measured ceiling."
  for n in "${points[@]}"; do
    for variant in "${variants[@]}"; do
      [[ -s $OUT_DIR/compare-$variant-$n.md ]] || continue
      echo
      echo "## $n sessions: A = gateway-nio, B = gateway-netty ($variant)"
      echo
      cat "$OUT_DIR/compare-$variant-$n.md"
    done
  done
} >"$REPORT"

if ((REPORT_ONLY)); then
  cat "$REPORT"
  exit "$any_missing"
fi
if [[ ! -s $INDEX ]]; then
  {
    echo "# make compare-ports: one row per run (scripts/compare-ports.sh appends)"
    echo
    echo "| run | variant | CPU µs per frame nio / netty (netty ÷ nio), by sessions | peak RSS MiB nio / netty | verdicts nio / netty | report |"
    echo "|---|---|---|---|---|---|"
  } >"$INDEX"
fi
for variant in "${variants[@]}"; do
  cpu='' rss='' verdicts=''
  for n in "${points[@]}"; do
    table="$OUT_DIR/compare-$variant-$n.md"
    [[ -s $table ]] || continue
    cpu+="${cpu:+; }$n: $(cell "$table" 'gateway CPU µs / frame' 1) / $(cell "$table" 'gateway CPU µs / frame' 2) ($(cell "$table" 'gateway CPU µs / frame' 3)×)"
    rss+="${rss:+; }$n: $(cell "$table" 'gateway peak RSS MiB' 1) / $(cell "$table" 'gateway peak RSS MiB' 2)"
    verdicts+="${verdicts:+; }$n: $(cell "$table" verdict 1) / $(cell "$table" verdict 2)"
  done
  echo "| $(date -u '+%Y-%m-%d %H:%M') $commit | $variant${variant_env[$variant]:+ (${variant_env[$variant]})} | $cpu | $rss | $verdicts | [$(basename "$OUT_DIR")]($(realpath --relative-to="$(dirname "$INDEX")" "$OUT_DIR")/report.md) |" >>"$INDEX"
done

cat "$REPORT"
exit "$any_missing"
