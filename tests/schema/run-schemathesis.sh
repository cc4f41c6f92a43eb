#!/usr/bin/env bash
# Fuzzes the HTTP API from its own OpenAPI description (`GET /openapi.json`) with
# schemathesis, against a fresh local gateway, three times: as an employee (alice), a
# supervisor (sam) and a guest (of a room alice opens). Checks: no 5xx, every answer's
# status documented and its body matching the documented schema. Bounded and
# reproducible: a fixed seed, a fixed number of examples per operation, no example
# database. Path ids (and `POST /files`'s `roomId`) are those of a room, issue and file
# made beforehand (tokens.py), so the requests reach the handlers' logic. Prints one
# summary line per role; exits non-zero if any role failed.
#   tests/schema/run-schemathesis.sh
# Installs schemathesis and websockets (pip) if missing; uses $CHAT_LOCAL_BIN or the
# debug build of chat-local (built if missing). SCHEMA_MAX_EXAMPLES overrides the
# examples per operation (default 25).
# One worker: with two, Python 3.11's `ast` module races inside hypothesis
# ("AST constructor recursion depth mismatch"), a tool error rather than a finding.
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/schema/gateway.sh

missing=()
command -v schemathesis >/dev/null 2>&1 || missing+=("schemathesis==4.32.5")
python3 -c "import websockets" 2>/dev/null || missing+=(websockets)
if [ ${#missing[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check "${missing[@]}"
fi

start_gateway
# Every token before any fuzzing: the fuzzed logins fail by the hundred, and the login
# throttle would then refuse these too.
# The config names a room, its issue and a file, so ids reach real data.
python3 tests/schema/tokens.py "$GATEWAY_URL" "$GATEWAY_DIR/schemathesis.toml" >"$GATEWAY_DIR/tokens"

summary=()
failed=0
while read -r role token; do
  log="$GATEWAY_DIR/schemathesis-$role.log"
  echo "==> schemathesis as $role"
  set +e
  schemathesis --config-file "$GATEWAY_DIR/schemathesis.toml" run "$GATEWAY_URL/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples "${SCHEMA_MAX_EXAMPLES:-25}" \
    --seed 20261204 \
    --generation-database none \
    --phases examples,coverage,fuzzing \
    --workers 1 \
    --no-color \
    --report junit --report-junit-path "$GATEWAY_DIR/junit-$role.xml" \
    >"$log" 2>&1
  status=$?
  set -e
  cat "$log"
  [ $status -eq 0 ] || failed=1
  summary+=("$(python3 tests/schema/summary.py "$role" "$status" "$GATEWAY_DIR/junit-$role.xml" "$log")")
done <"$GATEWAY_DIR/tokens"

echo
echo "==> schemathesis summary"
printf '%s\n' "${summary[@]}"
exit $failed
