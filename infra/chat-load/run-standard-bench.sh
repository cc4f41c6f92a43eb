#!/usr/bin/env bash
# run-standard-bench.sh — the standard load curve of the local gateway (issue 17).
#
# Shape (`chat-load --preset standard`): 20 group rooms each holding the 5 demo
# employees; 20 receive-only sockets per employee plus 20 sender sockets (4 per
# employee), so each message is 120 deliveries. The gateway runs with
# `--demo --rate-limit 0` on the durable SQLite store (data folder under $TMPDIR, on
# disk by default); the generator runs on the same machine. One fresh gateway per
# offered rate, so each point starts from an empty database. Each row reports the rate
# against send → receive latency (p50/p90/p99/max), the gateway's CPU, and the
# correctness checks (no loss, no duplicates, gapless history); a FAIL row fails the run.
#
# Usage: infra/chat-load/run-standard-bench.sh
#   RATES="500 1000 1500 2000 2500 0"   offered msg/s per point (0 = unpaced)
#   SECONDS_PER_POINT=10                 messages per point = rate × this (unpaced: 2500 ×)
#   CHAT_LOCAL_BIN=/path/to/chat-local   benchmark another gateway build
#   SKIP_BUILD=1                         use the binaries already in target/release
#   LOAD_ARGS="--worker-threads 1"       extra chat-load flags for every point
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release -p chat-local -p chat-load
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
GATEWAY="${CHAT_LOCAL_BIN:-$BIN/chat-local}"
LOAD="${CHAT_LOAD_BIN:-$BIN/chat-load}"
RATES="${RATES:-500 1000 1500 2000 2500 0}"
PER_POINT="${SECONDS_PER_POINT:-10}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chat-load-standard.XXXXXX")
RESULTS="$WORK/results.txt"
GW_PID=""

stop_gateway() {
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
  fi
  GW_PID=""
}
cleanup() {
  stop_gateway
  if [[ "${KEEP_DATA:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_gateway() {
  local data="$1"
  RUST_LOG="${RUST_LOG:-warn}" "$GATEWAY" --addr 127.0.0.1:0 --data-dir "$data" --demo \
    --rate-limit 0 >"$data.log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 1 300); do
    [[ -s "$data/gateway.addr" ]] && return 0
    kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$data.log"; exit 1; }
    sleep 0.1
  done
  echo "gateway did not start within 30 s"; cat "$data.log"; exit 1
}

status=0
point=0
for rate in $RATES; do
  point=$((point + 1))
  data="$WORK/data$point"
  start_gateway "$data"
  url=$(tr -d '[:space:]' <"$data/gateway.addr")
  if [[ "$rate" == 0 ]]; then
    messages=$((2500 * PER_POINT)); label="unpaced"; extra=(--max-in-flight 200)
  else
    messages=$(awk -v r="$rate" -v s="$PER_POINT" 'BEGIN { printf "%d", r * s }')
    label="$rate msg/s"; extra=()
  fi
  # shellcheck disable=SC2206 # word splitting of the extra flags is the point
  extra+=(${LOAD_ARGS:-})
  echo
  echo "### $label — load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  out="$WORK/point$point.out"
  if "$LOAD" --url "$url" --gateway-pid "$GW_PID" --preset standard --label "$label" \
      --rate "$rate" --messages "$messages" --duration $((PER_POINT * 3)) \
      --drain-timeout 60 --progress-every 5 "${extra[@]}" | tee "$out"; then :; else status=1; fi
  grep '^TABLE_ROW: ' "$out" | sed 's/^TABLE_ROW: //' >>"$RESULTS" || true
  stop_gateway
done

echo
echo "## Standard scenario ($(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| scenario | rooms×members×conns | connections | sent | target rate | replies msg/s | frames/s | reply ms p50/p90/p99/max | fan-out ms p50/p90/p99/max | fan-out complete ms p50/p90/p99/max | echo→reply gap ms p50/max | gateway CPU (cores) | chat-load CPU (cores) | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$RESULTS"
exit "$status"
