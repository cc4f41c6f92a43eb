#!/usr/bin/env bash
# run-floor-bench.sh — the floor under the standard curve (issue 17): the gateway's
# socket layer alone (axum WebSocket, ConnectionHub, the gathering socket writer,
# mimalloc), with no login, store or fsync behind it, driven at the standard scenario's
# shape (120 sockets, 20 of them sending, every socket receiving every message) by a
# client on the same machine. See infra/chat-local/examples/ws_floor/main.rs.
#
# Usage: infra/chat-load/run-floor-bench.sh
#   RATES="1000 2000 2500 3000"   offered msg/s per point
#   SECONDS_PER_POINT=8            offered load per point
#   SKIP_BUILD=1                   use target/release/examples/ws_floor as it is
#   SERVER_ARGS="--flush-ms 2"     extra flags for the server
#   PIN=1                          server on CPU 0, client on CPU 1 (taskset)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release -p chat-local --example ws_floor
FLOOR="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/ws_floor"
RATES="${RATES:-1000 2000 2500 3000}"
PER_POINT="${SECONDS_PER_POINT:-8}"
server_cpu=(); client_cpu=()
if [[ "${PIN:-0}" == 1 ]]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ws-floor.XXXXXX")
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

status=0
for rate in $RATES; do
  "${server_cpu[@]}" "$FLOOR" server --addr 127.0.0.1:0 ${SERVER_ARGS:-} >"$WORK/addr" 2>"$WORK/server.log" &
  SERVER_PID=$!
  for _ in $(seq 1 100); do [[ -s "$WORK/addr" ]] && break; sleep 0.05; done
  addr=$(head -n1 "$WORK/addr")
  [[ -n "$addr" ]] || { echo "the floor server did not start"; cat "$WORK/server.log"; exit 1; }
  echo "### $rate msg/s — load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  "${client_cpu[@]}" "$FLOOR" client --url "ws://$addr/ws" --rate "$rate" \
    --seconds "$PER_POINT" --server-pid "$SERVER_PID" || status=1
  stop_server
  : >"$WORK/addr"
done
exit "$status"
