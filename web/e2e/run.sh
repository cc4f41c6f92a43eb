#!/usr/bin/env bash
# Browser test of the web client against a real chat-local, from a clean build:
# npm ci, vite build, then chat-local on a free port with a throwaway data dir, serving
# that build itself (a debug chat-local reads web/dist from disk; a release one has it
# built in), then e2e/journey.mjs. Everything started here is stopped on exit.
# Screenshots land in docs/ui/.
#
# Env: CHAT_LOCAL_BIN (default target/debug/chat-local), CHROMIUM (default
# /usr/bin/chromium; Debian: apt-get install -y chromium), SHOTS_DIR (default docs/ui).
set -euo pipefail

WEB_DIR=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$WEB_DIR/.." && pwd)
BIN=${CHAT_LOCAL_BIN:-$ROOT/target/debug/chat-local}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export SHOTS_DIR=${SHOTS_DIR:-$ROOT/docs/ui}

[[ -x "$BIN" ]] || { echo "e2e: no chat-local at $BIN (cargo build -p chat-local)" >&2; exit 1; }
[[ -x "$CHROMIUM" ]] || { echo "e2e: no browser at $CHROMIUM (apt-get install -y chromium)" >&2; exit 1; }

cd "$WEB_DIR"
npm ci --no-audit --no-fund --loglevel=error
npm run build

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_http() { # url, what
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "e2e: $2 did not come up at $1" >&2
  return 1
}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(free_port)
WEB_URL="http://127.0.0.1:$PORT"

# The page, its API and its socket share the gateway's origin, as a user gets them
# from the README's first command.
# A guest away for 3 s (not 10 minutes) has their room concluded: JOURNEYS 3 in seconds.
CHAT_GUEST_AWAY_SECONDS=3 "$BIN" --addr "127.0.0.1:$PORT" --data-dir "$WORK/data" --demo --rate-limit 0 \
  >"$WORK/chat-local.log" 2>&1 &
PIDS+=($!)
wait_http "$WEB_URL/healthz" chat-local || { cat "$WORK/chat-local.log" >&2; exit 1; }

status=0
WEB_URL="$WEB_URL" node e2e/journey.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "--- chat-local log (tail) ---" >&2
  tail -n 40 "$WORK/chat-local.log" >&2
fi
exit $status
