#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. every Rust test in the workspace (unit, port contracts on every adapter — the AWS
#      ones against a moto server on loopback —, handlers, end-to-end over real
#      HTTP/WebSocket against the local gateway, forms golden + property tests);
#   2. the end-to-end tests again with the gateway on the AWS backend (moto);
#   3. the black-box acceptance smoke check (../shared/acceptance) against a release
#      build of the local gateway, on the embedded backend and on the AWS backend, when
#      that folder is beside the checkout.
# Installs the Python packages it needs (websockets client, moto server). Exits
# non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

missing=()
python3 -c "import websockets" 2>/dev/null || missing+=(websockets)
command -v moto_server >/dev/null 2>&1 || missing+=("moto[server]")
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Python packages: ${missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi

# Fake credentials: nothing here may reach real AWS. Each test binary that needs the
# AWS API emulator starts its own moto on a free loopback port (chat-aws's testkit) and
# it dies with the binary, so tables do not pile up in one long-lived emulator.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN CHAT_TEST_AWS_ENDPOINT

step "cargo test --workspace"
cargo test --workspace --locked

step "end-to-end tests on the AWS backend (moto)"
CHAT_E2E_BACKEND=aws cargo test --locked -p chat-e2e

if [ -f ../shared/acceptance/smoke.py ]; then
  step "acceptance smoke (release build of chat-local, embedded backend)"
  cargo build --release --locked -p chat-local
  CHAT_LOCAL_BIN="$PWD/target/release/chat-local" python3 ../shared/acceptance/smoke.py

  step "acceptance smoke (release build of chat-local, AWS backend on moto)"
  # tests/moto/serve.py: moto with DynamoDB requests serialized (the script says why).
  moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  moto_log=$(mktemp -t moto-XXXX.log)
  python3 tests/moto/serve.py "$moto_port" >"$moto_log" 2>&1 &
  moto_pid=$!
  trap 'kill $moto_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 150); do
    curl -fsS "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$moto_port/moto-api/" >/dev/null || { cat "$moto_log"; echo "moto did not start"; exit 1; }
  CHAT_BACKEND=aws CHAT_AWS_ENDPOINT="http://127.0.0.1:$moto_port" \
    CHAT_LOCAL_BIN="$PWD/target/release/chat-local" python3 ../shared/acceptance/smoke.py
else
  step "acceptance smoke skipped: ../shared/acceptance is not beside this checkout"
fi

step "all tests passed"
