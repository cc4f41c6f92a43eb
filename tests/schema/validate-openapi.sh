#!/usr/bin/env bash
# Validates the HTTP API's OpenAPI 3.1 document as the gateway serves it
# (`GET /openapi.json`) with openapi-spec-validator. Runnable alone from anywhere:
#   tests/schema/validate-openapi.sh
# Installs openapi-spec-validator (pip) if missing; uses $CHAT_LOCAL_BIN or the debug
# build of chat-local (built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
source tests/schema/gateway.sh

command -v openapi-spec-validator >/dev/null 2>&1 ||
  python3 -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==0.9.0"

start_gateway
doc="$GATEWAY_DIR/openapi.json"
curl -fsS "$GATEWAY_URL/openapi.json" -o "$doc"
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["openapi"])' "$doc")
[ "$version" = "3.1.0" ] || { echo "openapi is $version, expected 3.1.0"; exit 1; }
# On failure the validator prints the whole document after the error: keep the error.
if ! out=$(openapi-spec-validator "$doc" 2>&1); then
  echo "${out:0:2000}"
  exit 1
fi
echo "$out"
