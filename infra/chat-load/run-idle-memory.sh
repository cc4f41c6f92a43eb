#!/usr/bin/env bash
# run-idle-memory.sh — gateway memory per idle WebSocket (issue 17; target ≤ 20 KB).
#
# Starts a throwaway gateway (--demo, --rate-limit 0, no per-user socket cap), then
# `chat-load --scenario idle`: the 5 demo employees log in, 20 warm-up sockets open,
# the gateway's RSS is read, SOCKETS more authenticated sockets open and stay idle, and
# the RSS difference divided by SOCKETS is the cost of one idle socket.
#
# Usage: infra/chat-load/run-idle-memory.sh
#   SOCKETS=5000 (a multiple of 5)   CHAT_LOCAL_BIN=…   CHAT_LOAD_BIN=…   SKIP_BUILD=1
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

[[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release -p chat-local -p chat-load
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
GATEWAY="${CHAT_LOCAL_BIN:-$BIN/chat-local}"
LOAD="${CHAT_LOAD_BIN:-$BIN/chat-load}"
SOCKETS="${SOCKETS:-5000}"
# Every socket is a file descriptor on both sides.
ulimit -n "$(( SOCKETS * 2 + 1000 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chat-idle-memory.XXXXXX")
DATA="$WORK/data"
GW_PID=""
cleanup() {
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GW_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

CHAT_MAX_SOCKETS_PER_USER=0 RUST_LOG="${RUST_LOG:-warn}" "$GATEWAY" --addr 127.0.0.1:0 \
  --data-dir "$DATA" --demo --rate-limit 0 >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 300); do
  [[ -s "$DATA/gateway.addr" ]] && break
  kill -0 "$GW_PID" 2>/dev/null || { echo "gateway exited:"; cat "$WORK/gateway.log"; exit 1; }
  sleep 0.1
done
URL=$(tr -d '[:space:]' <"$DATA/gateway.addr")
# 5 users in one (never created) planned room; SOCKETS/5 + the warm-up sockets each.
per_user=$(( (SOCKETS + 20) / 5 ))
"$LOAD" --scenario idle --url "$URL" --gateway-pid "$GW_PID" --label "idle ×$SOCKETS" \
  --rooms 1 --members-per-room 5 --connections-per-user "$per_user" --request-timeout 60
