#!/usr/bin/env bash
# The local Lambda workflow, end to end: `cargo lambda watch` serving the Lambda Invoke
# and Runtime APIs, the eight function binaries as separate processes polling it (each
# built from its own main.rs, exactly what Lambda runs), the local gateway in front of
# them playing API Gateway (CHAT_LAMBDA_ENDPOINT), state in a moto server, and the
# unchanged acceptance smoke (../shared/acceptance/smoke.py) driving it from outside.
#
#   client ─HTTP/WS─► chat-local ─Invoke API─► cargo lambda watch ◄─Runtime API─ fn-* processes
#                        ▲  (sockets)                                               │
#                        └────── /@connections (CHAT_WS_MANAGEMENT_ENDPOINT) ◄──────┘ pushes
#
# The functions are started here from prebuilt binaries (`--only-lambda-apis`, as an IDE
# would) rather than by `cargo lambda watch` itself, which would `cargo run` each one
# with the workspace's non-test features and so recompile the AWS SDK after a test build.
#
# Needs cargo-lambda (pip install cargo-lambda) and moto (pip install 'moto[server]').
# BIN_DIR names the folder with chat-local and the fn-* binaries (default target/debug;
# missing ones are built).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/services.sh

[ -f ../shared/acceptance/smoke.py ] || { echo "../shared/acceptance is not beside this checkout"; exit 1; }
command -v cargo-lambda >/dev/null || { echo "cargo-lambda is missing: pip install cargo-lambda"; exit 1; }

functions=(fn-auth fn-supervisor-api fn-admin-api fn-files fn-ws-connect fn-ws-message fn-ws-disconnect fn-robot-worker)
bin_dir=${BIN_DIR:-$PWD/target/debug}
for b in chat-local "${functions[@]}"; do
  if [ ! -x "$bin_dir/$b" ]; then
    echo "==> building the gateway and the functions (debug)"
    cargo build --locked --quiet "${functions[@]/#/--package=}" --package=chat-local
    bin_dir=$PWD/target/debug
    break
  fi
done

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
# One Ed25519 key pair: the gateway and fn-auth sign with it, every function verifies.
eval "$(grep "^CHAT_JWT_" <("$bin_dir/chat-local" token-key))"
CHAT_MANAGEMENT_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export CHAT_JWT_SIGNING_KEY CHAT_JWT_PUBLIC_KEYS CHAT_MANAGEMENT_KEY
export CHAT_BACKEND=aws CHAT_AWS_ENDPOINT="$MOTO_URL"

logs=$(mktemp -d -t lambda-local-XXXX)
echo "==> cargo lambda watch (Invoke and Runtime APIs) on 127.0.0.1:$invoke_port"
cargo lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$invoke_port" \
  >"$logs/watch.log" 2>&1 &
pids+=("$!")
wait_for_port "$invoke_port" "$logs/watch.log"

echo "==> the eight functions, polling its Runtime API"
for f in "${functions[@]}"; do
  AWS_LAMBDA_FUNCTION_NAME="$f" AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
  AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$invoke_port/.rt/$f" \
  CHAT_WS_MANAGEMENT_ENDPOINT="http://$management_addr" RUST_LOG=${RUST_LOG:-info} \
    "$bin_dir/$f" >"$logs/$f.log" 2>&1 &
  pids+=("$!")
done

echo "==> acceptance smoke through chat-local --lambda-endpoint"
if CHAT_LAMBDA_ENDPOINT="http://127.0.0.1:$invoke_port" CHAT_MANAGEMENT_ADDR="$management_addr" \
   CHAT_LOCAL_BIN="$bin_dir/chat-local" python3 ../shared/acceptance/smoke.py; then
  # In this mode the gateway has no in-process handlers to fall back on: every answer
  # the smoke checked came from the function processes above.
  echo "lambda-local smoke ok: the functions answered in their own processes"
else
  for f in watch "${functions[@]}"; do
    echo "--- $f (last 20 lines) ---"
    tail -n 20 "$logs/$f.log"
  done
  exit 1
fi
