# Starts the local gateway for the schema scripts (sourced, not run): a fresh data
# folder, the demo accounts, no per-connection rate limit, a free loopback port.
# Sets GATEWAY_URL and GATEWAY_PID and stops the gateway (and removes the folder) on
# exit. The binary is $CHAT_LOCAL_BIN, else target/debug/chat-local, built if missing.

source "$(dirname "${BASH_SOURCE[0]}")/../lib/services.sh"

start_gateway() {
  local bin=${CHAT_LOCAL_BIN:-$PWD/target/debug/chat-local}
  if [ ! -x "$bin" ]; then
    echo "building chat-local (debug)"
    cargo build --locked -p chat-local
  fi
  local port
  port=$(free_port)
  GATEWAY_DIR=$(mktemp -d -t chat-schema-XXXX)
  GATEWAY_URL="http://127.0.0.1:$port"
  "$bin" --addr "127.0.0.1:$port" --data-dir "$GATEWAY_DIR/data" --demo --rate-limit 0 \
    >"$GATEWAY_DIR/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  trap stop_gateway EXIT
  wait_for_http "$GATEWAY_URL/healthz" "$GATEWAY_DIR/gateway.log"
}

stop_gateway() {
  if [ -n "${GATEWAY_PID:-}" ]; then
    kill "$GATEWAY_PID" 2>/dev/null || true
    wait "$GATEWAY_PID" 2>/dev/null || true
  fi
  [ -n "${GATEWAY_DIR:-}" ] && rm -rf "$GATEWAY_DIR"
}
