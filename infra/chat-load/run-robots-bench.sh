#!/usr/bin/env bash
# run-robots-bench.sh — robot answers under load: `chat-load --scenario robots` against a
# throwaway release gateway, on the embedded backend and on the AWS backend (moto on
# loopback), with the offline joke writer (no LLM configured).
#
# Per backend, two runs, each on a fresh gateway (the streaming pace is a gateway env):
#   latency     CHAT_OFFLINE_PACE_MS=25 (the default: ~1 s per joke), on aws first 1 ask/s
#               for 20 s (what moto sustains), then on both 10 asks/s for
#               20 s to the streaming robot, checked against first-delta p99 ≤ 100 ms
#               and ≤ 20 pushes per answer per connection; then 5 asks/s for 10 s to the
#               batch robot (no deltas) on the same gateway;
#   throughput  CHAT_OFFLINE_PACE_MS=0, asks as fast as --max-in-flight allows: the
#               worker's jobs/s (first-delta target not checked: the run saturates).
# Exit status is non-zero if any run FAILs. Everything is bounded (--duration,
# --drain-timeout; gateways and moto are killed on exit).
#
# Usage: infra/chat-load/run-robots-bench.sh [embedded|aws|both]   (default both;
#        KEEP_DATA=1 keeps the temp folder; SKIP_BUILD=1 uses the release binaries as
#        they are; TMPDIR=/dev/shm puts the SQLite data folder on tmpfs, which takes
#        the disk's fsync out of the embedded numbers; moto needs
#        `pip install 'moto[server]'`)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../../tests/lib/services.sh
source tests/lib/services.sh
WHICH=${1:-both}

[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release -p chat-local -p chat-load
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
GATEWAY="${CHAT_LOCAL_BIN:-$BIN/chat-local}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chat-robots-bench.XXXXXX")
RESULTS="$WORK/results.txt"
GW_PID="" MOTO_PID="" URL="" DATA=""

stop_pid() {
  local pid=$1
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
}
stop_all() {
  stop_pid "$GW_PID"; GW_PID=""
  stop_pid "$MOTO_PID"; MOTO_PID=""
}
cleanup() {
  stop_all
  if [[ "${KEEP_DATA:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_gateway BACKEND PACE_MS NAME: a fresh data folder (and a fresh moto for aws).
start_gateway() {
  local backend=$1 pace=$2 name=$3
  DATA="$WORK/$name/data"
  mkdir -p "$DATA"
  local log="$WORK/$name/gateway.log" env=()
  if [[ "$backend" == aws ]]; then
    start_moto
    env=(CHAT_BACKEND=aws "CHAT_AWS_ENDPOINT=$MOTO_URL" AWS_ACCESS_KEY_ID=testing
         AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1)
  fi
  env -u CHAT_BACKEND -u CHAT_AWS_ENDPOINT -u CHAT_RATE_LIMIT -u AWS_PROFILE -u AWS_SESSION_TOKEN \
    "${env[@]}" CHAT_OFFLINE_PACE_MS="$pace" RUST_LOG="${RUST_LOG:-warn}" \
    "$GATEWAY" --addr 127.0.0.1:0 --data-dir "$DATA" --demo --rate-limit 0 >"$log" 2>&1 &
  GW_PID=$!
  for _ in $(seq 1 600); do
    [[ -s "$DATA/gateway.addr" ]] && break
    if ! kill -0 "$GW_PID" 2>/dev/null; then echo "gateway exited:"; cat "$log"; exit 1; fi
    sleep 0.1
  done
  [[ -s "$DATA/gateway.addr" ]] || { echo "gateway did not start within 60 s"; cat "$log"; exit 1; }
  URL=$(tr -d '[:space:]' <"$DATA/gateway.addr")
  wait_for_http "$URL/healthz" "$log"
  echo "gateway ($backend, pace $pace ms) pid $GW_PID at $URL"
}

status=0
scenario() {
  echo
  echo "### $* — load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  local out="$WORK/scenario.out"
  if "$BIN/chat-load" --scenario robots --url "$URL" --gateway-pid "$GW_PID" "$@" | tee "$out"; then :; else status=1; fi
  grep '^TABLE_ROW: ' "$out" | sed 's/^TABLE_ROW: //' >>"$RESULTS" || true
}

# 10 rooms, 2 employees each (the 5 demo employees, 4 rooms apiece), one socket per
# employee: every answer goes to 2 connections; a connection hears 4 rooms.
SHAPE=(--rooms 10 --members-per-room 2 --connections-per-user 1)

bench_backend() {
  local backend=$1 max_asks=$2
  start_gateway "$backend" 25 "$backend-paced"
  if [[ "$backend" == aws ]]; then
    # moto answers a few asks per second at most (see BENCHMARKS.md): first a rate it
    # sustains, so the first-delta target is checked on an unsaturated worker.
    scenario --label "aws: stream, 1 ask/s" "${SHAPE[@]}" \
      --robot iStackBuddy.stream.jokes --messages 20 --rate 1 --duration 30 --drain-timeout 60
  fi
  scenario --label "$backend: stream, 10 asks/s" "${SHAPE[@]}" \
    --robot iStackBuddy.stream.jokes --messages 200 --rate 10 --duration 30 --drain-timeout 60
  scenario --label "$backend: batch, 5 asks/s" "${SHAPE[@]}" \
    --robot iStackBuddy.docs.jokes --messages 50 --rate 5 --duration 30 --drain-timeout 60
  stop_all
  start_gateway "$backend" 0 "$backend-max"
  scenario --label "$backend: stream, pace 0, max" "${SHAPE[@]}" \
    --robot iStackBuddy.stream.jokes --messages "$max_asks" --rate 0 --max-in-flight 64 \
    --first-delta-p99-ms 0 --duration 120 --drain-timeout 120
  stop_all
}

case "$WHICH" in
  embedded) bench_backend embedded 3000 ;;
  aws) bench_backend aws 600 ;;
  both) bench_backend embedded 3000; bench_backend aws 600 ;;
  *) echo "usage: $0 [embedded|aws|both]"; exit 2 ;;
esac

echo
echo "## Robot results ($(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| run | robot | rooms×members×conns | connections | asked | target rate | offered asks/s | answers/s | ask → first delta ms p50/p90/p99/max | ask → complete ms p50/p90/p99/max | pushes/answer/conn mean/max | failed + not ended | gateway CPU | chat-load CPU | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$RESULTS"
for log in "$WORK"/*/gateway.log; do
  if grep -qiE 'panic|error' "$log"; then
    echo; echo "$log: lines with errors:"; grep -iE 'panic|error' "$log" | head -10
  fi
done
exit "$status"
