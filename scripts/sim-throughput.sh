#!/usr/bin/env bash
# Throughput of the running simulator, pinned to one core, driven by h2load (nghttp2-client) on another.
# Usage: scripts/sim-throughput.sh [requests] [x-cpu-passes]   (installs h2load from nghttp2-client if missing)
# Env: JAVA_HOME (a JDK 25), SIM_CORE (0), LOAD_CORE (1), SIM_JAVA_OPTS, WARMUP (60000 requests: JIT),
#      H2LOAD_ARGS (default "-c 4 -m 64": 4 connections x 64 concurrent streams, prior knowledge).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"
require_jar "$SIM_JAR"
require_tool h2load nghttp2-client
require_tool python3
REQUESTS=${1:-60000}
PASSES=${2:-4}
SIM_CORE=${SIM_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
read -r -a SIM_OPTS <<<"${SIM_JAVA_OPTS:-}"
read -r -a H2LOAD_OPTS <<<"${H2LOAD_ARGS:--c 4 -m 64}"
SIM_PID=
WORK=$(mktemp -d)
trap '[[ -z $SIM_PID ]] || { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; } || true; rm -rf "$WORK"' EXIT

# 32000 bytes: frames 1..50 of session 7 (PROTOCOL.md §3), golden vector 2.
python3 - "$WORK/body.bin" <<'PY'
import struct, sys
pcm = b"".join(struct.pack("<h", ((seq * 320 + 7 + k) * 17) % 20000 - 10000) for seq in range(1, 51) for k in range(320))
open(sys.argv[1], "wb").write(pcm)
PY

PORT=0 WORKER_THREADS=1 CPU_PASSES=4 MODEL_DELAY_MS=0 MODEL_BATCH_WAIT_MAX_MS=0 MODEL_JITTER_SIGMA=0 \
  taskset -c "$SIM_CORE" "$JAVA" "${SIM_OPTS[@]}" -jar "$SIM_JAR" >"$WORK/sim.out" 2>&1 &
SIM_PID=$!
for _ in $(seq 100); do grep -qs '^listening port=' "$WORK/sim.out" && break; sleep 0.1; done
PORT=$(sed -n 's/^listening port=//p' "$WORK/sim.out")
URL="http://127.0.0.1:$PORT/infer"

# Warm-up (JIT), then the measured run.
taskset -c "$LOAD_CORE" h2load -n "${WARMUP:-60000}" "${H2LOAD_OPTS[@]}" -d "$WORK/body.bin" -H "x-cpu-passes: $PASSES" "$URL" >/dev/null
# Other processes may share the core, so also report requests per CPU-second the simulator actually used.
cpu_ticks() { awk '{print $14, $15}' "/proc/$SIM_PID/stat"; }
read -r USER_BEFORE SYS_BEFORE < <(cpu_ticks)
taskset -c "$LOAD_CORE" h2load -n "$REQUESTS" "${H2LOAD_OPTS[@]}" -d "$WORK/body.bin" -H "x-cpu-passes: $PASSES" "$URL" \
  | grep -E '^(finished in|requests:|status codes:)'
read -r USER_AFTER SYS_AFTER < <(cpu_ticks)
awk -v r="$REQUESTS" -v u=$((USER_AFTER - USER_BEFORE)) -v k=$((SYS_AFTER - SYS_BEFORE)) -v hz="$(getconf CLK_TCK)" \
  'BEGIN { s = (u + k) / hz; printf "simulator cpu: %.2f s (user %.2f, sys %.2f), %.0f requests per cpu-second, %.1f us cpu per request\n", s, u / hz, k / hz, r / s, 1e6 * s / r }'
curl -s "http://127.0.0.1:$PORT/infer" -H "x-cpu-passes: $PASSES" --http2-prior-knowledge --data-binary @"$WORK/body.bin"; echo
