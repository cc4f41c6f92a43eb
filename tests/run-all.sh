#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. every Rust test in the workspace (unit, port contracts, handlers, end-to-end over
#      real HTTP/WebSocket against the local gateway, forms golden + property tests);
#   2. the black-box acceptance smoke check (../shared/acceptance) against a release
#      build of the local gateway, when that folder is beside the checkout.
# Installs the small Python dependency it needs. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! python3 -c "import websockets" 2>/dev/null; then
  step "installing the Python websockets client (acceptance checks)"
  python3 -m pip install --quiet --disable-pip-version-check websockets
fi

step "cargo test --workspace"
cargo test --workspace --locked

if [ -f ../shared/acceptance/smoke.py ]; then
  step "acceptance smoke (release build of chat-local)"
  cargo build --release --locked -p chat-local
  CHAT_LOCAL_BIN="$PWD/target/release/chat-local" python3 ../shared/acceptance/smoke.py
else
  step "acceptance smoke skipped: ../shared/acceptance is not beside this checkout"
fi

step "all tests passed"
