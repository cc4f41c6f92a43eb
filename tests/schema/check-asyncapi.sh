#!/usr/bin/env bash
# The WebSocket API's description and the web client's generated types, checked with
# the JavaScript tools their readers use: docs/asyncapi.yaml through the maintained
# AsyncAPI parser (@asyncapi/parser: schema, $refs, ruleset), and web/src/api/*.ts
# through the TypeScript compiler. Versions are pinned in package-lock.json.
# (That both match the Rust code is checked by chat-core's api_descriptions test.)
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node validate-asyncapi.mjs ../../docs/asyncapi.yaml
npx --no-install tsc -p tsconfig.json
echo "web/src/api: the generated TypeScript types compile (strict)"
