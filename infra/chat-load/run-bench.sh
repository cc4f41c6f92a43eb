#!/usr/bin/env bash
# run-bench.sh — load benchmark of the local gateway with chat-load.
#
# Builds chat-local and chat-load in release, starts a throwaway gateway on loopback
# (fresh data folder, --demo accounts, --rate-limit 0), runs the scenarios below one
# after another, stops the gateway and prints a results table. Exit status is non-zero
# if any scenario FAILs. Everything is bounded: each scenario has --duration and
# --drain-timeout, and the gateway is killed on exit.
#
# Usage: infra/chat-load/run-bench.sh            (KEEP_DATA=1 keeps the temp folder;
#        CHAT_LOCAL_BIN=/path/to/chat-local benchmarks another gateway build)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

cargo build --release -p chat-local -p chat-load
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
GATEWAY="${CHAT_LOCAL_BIN:-$BIN/chat-local}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chat-load-bench.XXXXXX")
DATA="$WORK/data"
GW_LOG="$WORK/gateway.log"
RESULTS="$WORK/results.txt"
GW_PID=""

stop_gateway() {
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    # Graceful shutdown drains sockets; give it 10 s, then insist.
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

# Port 0 = a free port chosen by the kernel (no race with a port probe); the gateway
# writes the address it got to <data-dir>/gateway.addr. Logs at warn so the benchmark
# measures the gateway, not its per-socket info lines.
RUST_LOG="${RUST_LOG:-warn}" "$GATEWAY" --addr 127.0.0.1:0 --data-dir "$DATA" --demo --rate-limit 0 \
  >"$GW_LOG" 2>&1 &
GW_PID=$!
for _ in $(seq 1 300); do
  [[ -s "$DATA/gateway.addr" ]] && break
  if ! kill -0 "$GW_PID" 2>/dev/null; then echo "gateway exited:"; cat "$GW_LOG"; exit 1; fi
  sleep 0.1
done
[[ -s "$DATA/gateway.addr" ]] || { echo "gateway did not start within 30 s"; cat "$GW_LOG"; exit 1; }
URL=$(tr -d '[:space:]' <"$DATA/gateway.addr")
echo "gateway pid $GW_PID at $URL (data $DATA)"

status=0
scenario() {
  echo
  echo "### $* — load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  local out="$WORK/scenario.out"
  if "$BIN/chat-load" --url "$URL" --gateway-pid "$GW_PID" "$@" | tee "$out"; then :; else status=1; fi
  grep '^TABLE_ROW: ' "$out" | sed 's/^TABLE_ROW: //' >>"$RESULTS" || true
}

# 1. One pair chatting at a steady 200 msg/s: the baseline per-message cost.
scenario --label "1 room × 2" --rooms 1 --members-per-room 2 --connections-per-user 1 \
  --messages 3000 --rate 200
# 2. The same pair with 4 tabs each, unpaced (64 in flight over 8 sending sockets): the
#    gateway's ceiling. The gateway runs one connection's frames in order, so several
#    sending sockets are needed to give it concurrent work.
scenario --label "1 room × 2 × 4 conns, max" --rooms 1 --members-per-room 2 --connections-per-user 4 \
  --messages 8000 --rate 0 --max-in-flight 64
# 3. Ten busy rooms, each user in every room with two tabs open: 10 deliveries a message.
scenario --label "10 rooms × 5 × 2 conns" --rooms 10 --members-per-room 5 --connections-per-user 2 \
  --messages 3000 --rate 150
# 4. One big room: 50 employees (added through the chat-local CLI), 50 deliveries a message.
scenario --label "1 room × 50" --rooms 1 --members-per-room 50 --connections-per-user 1 \
  --create-users 50 --data-dir "$DATA" --chat-local-bin "$GATEWAY" \
  --messages 1000 --rate 40

stop_gateway
echo
echo "## Results ($(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| scenario | rooms×members×conns | connections | sent | target rate | replies msg/s | frames/s | reply ms p50/p90/p99/max | fan-out ms p50/p90/p99/max | fan-out complete ms p50/p90/p99/max | echo→reply gap ms p50/max | gateway CPU (cores) | chat-load CPU (cores) | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$RESULTS"
if grep -qiE 'panic|error' "$GW_LOG"; then
  echo
  echo "gateway log lines with errors:"
  grep -iE 'panic|error' "$GW_LOG" | head -20
fi
exit "$status"
