#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   1. every Rust test in the workspace with cargo-nextest (unit, port contracts on every
#      adapter — the AWS ones against a moto server on loopback —, handlers, end-to-end
#      over real HTTP/WebSocket against the local gateway, forms golden + property
#      tests, the lean-Lambda dependency check, each criterion benchmark run once);
#   2. the end-to-end tests again with the gateway on the AWS backend (moto), from the
#      same build (no second compile: same command, a filter and one variable);
#   3. the black-box acceptance smoke (../shared/acceptance) against the gateway binary
#      the tests built, on the embedded and on the AWS backend;
#   4. the local Lambda workflow: the functions under `cargo lambda watch`, the gateway
#      in front of them (tests/lambda-local/smoke.sh), the same smoke through it.
# Steps 3 and 4 need ../shared beside the checkout; they are skipped (and say so)
# without it. Installs the Python packages it needs. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/services.sh

started=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }

missing=()
python3 -c "import websockets" 2>/dev/null || missing+=(websockets)
python3 -c "import yaml" 2>/dev/null || missing+=(pyyaml)
command -v moto_server >/dev/null 2>&1 || missing+=("moto[server]")
command -v cargo-lambda >/dev/null 2>&1 || missing+=(cargo-lambda)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Python packages: ${missing[*]}"
  python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi
if ! command -v cargo-nextest >/dev/null 2>&1; then
  step "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

# Fake credentials: nothing here may reach real AWS.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN CHAT_TEST_AWS_ENDPOINT CHAT_BACKEND CHAT_AWS_ENDPOINT \
  CHAT_LAMBDA_ENDPOINT CHAT_RATE_LIMIT

# The AWS API emulator: one moto server per test thread, on loopback. A test process
# uses the server at its nextest slot (chat-aws's testkit), so no two tests running at
# once share one Python interpreter, and no test pays moto's start-up (about a second
# of CPU, for each of some 150 AWS tests). Every test names its own table, queue and
# bucket, so tests that follow each other on a server never meet.
test_threads=${NEXTEST_TEST_THREADS:-}
# nextest also takes "num-cpus" or a negative offset there: one server per CPU then.
[[ "$test_threads" =~ ^[1-9][0-9]*$ ]] || test_threads=$(nproc)
start_moto_pool "$test_threads"
trap 'kill $MOTO_POOL_PIDS 2>/dev/null || true' EXIT
export CHAT_TEST_AWS_ENDPOINT="$MOTO_POOL_URLS"

# --all-targets: the criterion benchmarks and the examples build too, and each
# benchmark runs once as a test (criterion's test mode), so they cannot rot.
step "cargo nextest run --workspace --all-targets (embedded backend for the end-to-end tests)"
cargo nextest run --workspace --all-targets --locked

# The API descriptions, checked with the tools their readers use (the Rust tests above
# already hold them equal to the code): AsyncAPI parser and the TypeScript compiler
# (npm), openapi-spec-validator and schemathesis (PyPI) against the gateway the tests
# built.
step "API descriptions: AsyncAPI parser, TypeScript compile, OpenAPI validator, schemathesis"
tests/schema/check-asyncapi.sh
CHAT_LOCAL_BIN="$PWD/target/debug/chat-local" tests/schema/validate-openapi.sh
CHAT_LOCAL_BIN="$PWD/target/debug/chat-local" tests/schema/run-schemathesis.sh

step "web client: unit tests (vitest), type check, and the committed build matches the sources"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npx --no-install vitest run && npm run build --silent)
# chat-local builds web/dist into its binary, so the committed files are what users get:
# a rebuild from the sources must reproduce them exactly (Vite's output is deterministic).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  if [ -n "$(git status --porcelain -- web/dist)" ]; then
    git status --short -- web/dist >&2
    echo "web/dist does not match web/src: run 'cd web && npm run build' and commit web/dist" >&2
    exit 1
  fi
fi

# cfn-lint (.ci/run) says the template is valid; this says the UI's hosting in it is
# still private, HTTPS-only, under its CSP and in every Origin allowlist.
step "template.yaml: web client hosting (S3 + CloudFront) checks"
python3 tests/template/check_ui_hosting.py

# JOURNEYS 1-5 in Debian's chromium (playwright-core), against the gateway the tests
# built; screenshots go to a scratch folder (docs/ui/ holds the committed ones).
if command -v chromium >/dev/null 2>&1; then
  step "web client: browser journeys (playwright-core + chromium)"
  shots=$(mktemp -d)
  CHAT_LOCAL_BIN="$PWD/target/debug/chat-local" SHOTS_DIR="$shots" bash web/e2e/run.sh
  rm -rf "$shots"
else
  echo "chromium is not installed: apt-get install chromium (.ci/run does), then rerun" >&2
  exit 1
fi

step "end-to-end tests on the AWS backend (moto), same build"
CHAT_E2E_BACKEND=aws cargo nextest run --workspace --all-targets --locked -E 'package(chat-e2e)'
kill $MOTO_POOL_PIDS 2>/dev/null || true
unset CHAT_TEST_AWS_ENDPOINT

if [ -f ../shared/acceptance/smoke.py ]; then
  # The debug binaries the test build made (chat-local and every function have
  # integration tests, so cargo built them): the smokes check behaviour, not speed, and
  # a `cargo build` here would recompile much of the tree without the tests' features.
  gateway="$PWD/target/debug/chat-local"

  step "acceptance smoke (chat-local, embedded backend)"
  CHAT_LOCAL_BIN="$gateway" python3 ../shared/acceptance/smoke.py

  step "acceptance smoke (chat-local, AWS backend on moto)"
  start_moto
  trap 'kill $MOTO_PID $MOTO_POOL_PIDS 2>/dev/null || true' EXIT
  CHAT_BACKEND=aws CHAT_AWS_ENDPOINT="$MOTO_URL" CHAT_LOCAL_BIN="$gateway" \
    python3 ../shared/acceptance/smoke.py
  kill "$MOTO_PID" 2>/dev/null || true

  step "acceptance smoke through the local Lambda mode (cargo lambda watch)"
  BIN_DIR="$PWD/target/debug" tests/lambda-local/smoke.sh
else
  step "acceptance smokes skipped: ../shared/acceptance is not beside this checkout"
fi

step "all tests passed"
