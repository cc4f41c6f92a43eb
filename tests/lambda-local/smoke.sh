#!/usr/bin/env bash
# The local Lambda workflow, end to end: the seven functions served as separate
# processes by `cargo lambda watch`, the local gateway in front of them playing API
# Gateway (CHAT_LAMBDA_ENDPOINT), state in a moto server, and the unchanged acceptance
# smoke (../shared/acceptance/smoke.py) driving it from outside.
#
#   client ─HTTP/WS─► chat-local ─Invoke API─► cargo lambda watch ─► fn-* binaries
#                        ▲  (sockets)                                  │
#                        └──── /@connections (CHAT_WS_MANAGEMENT_ENDPOINT) ◄┘ pushes
#
# Needs cargo-lambda (pip install cargo-lambda) and moto (pip install 'moto[server]').
# CHAT_LOCAL_BIN names a prebuilt gateway (default: builds target/debug/chat-local).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/services.sh

[ -f ../shared/acceptance/smoke.py ] || { echo "../shared/acceptance is not beside this checkout"; exit 1; }
command -v cargo-lambda >/dev/null || { echo "cargo-lambda is missing: pip install cargo-lambda"; exit 1; }

functions=(fn-auth fn-supervisor-api fn-admin-api fn-ws-connect fn-ws-message fn-ws-disconnect fn-robot-worker)

# What `cargo lambda watch` runs is `cargo run` of each function: built here first so
# the first event does not wait for a compile.
echo "==> building the functions and the gateway (debug)"
cargo build --locked --quiet --workspace --bins
bin=${CHAT_LOCAL_BIN:-$PWD/target/debug/chat-local}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
start_moto
pids+=("$MOTO_PID")

invoke_port=$(free_port)
management_addr="127.0.0.1:$(free_port)"
# Shared by the gateway and the functions; random per run, never written to the repo.
CHAT_JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
CHAT_MANAGEMENT_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export CHAT_JWT_SECRET CHAT_MANAGEMENT_KEY
export CHAT_BACKEND=aws CHAT_AWS_ENDPOINT="$MOTO_URL"

echo "==> cargo lambda watch on 127.0.0.1:$invoke_port"
watch_log=$(mktemp -t lambda-watch-XXXX.log)
CHAT_WS_MANAGEMENT_ENDPOINT="http://$management_addr" RUST_LOG=${RUST_LOG:-info} \
  cargo lambda watch --ignore-changes --locked --quiet \
    --invoke-address 127.0.0.1 --invoke-port "$invoke_port" --concurrency 4 \
    >"$watch_log" 2>&1 &
pids+=("$!")
ANY=1 wait_for_http "http://127.0.0.1:$invoke_port/" "$watch_log"

echo "==> acceptance smoke through chat-local --lambda-endpoint"
if CHAT_LAMBDA_ENDPOINT="http://127.0.0.1:$invoke_port" CHAT_MANAGEMENT_ADDR="$management_addr" \
   CHAT_LOCAL_BIN="$bin" python3 ../shared/acceptance/smoke.py; then
  # Proof that the functions, not the gateway, answered: each one that the smoke
  # exercises must have started under cargo lambda watch.
  for f in fn-auth fn-ws-connect fn-ws-message fn-ws-disconnect; do
    grep -q "$f" "$watch_log" || { echo "no sign of $f in the cargo lambda watch log"; tail -n 40 "$watch_log"; exit 1; }
  done
  echo "lambda-local smoke ok: the functions answered under cargo lambda watch"
else
  echo "--- cargo lambda watch log (last 80 lines) ---"
  tail -n 80 "$watch_log"
  exit 1
fi
