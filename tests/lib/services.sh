# Shell helpers shared by the test scripts (sourced, not run).

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until `curl URL` answers 2xx, or fails after about 30 s, printing LOG if given.
wait_for_http() {
  local url=$1 log=${2:-}
  for _ in $(seq 1 300); do
    curl -fsS -m 2 -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  [ -n "$log" ] && tail -n 50 "$log"
  echo "nothing answered at $url"
  return 1
}

# Waits until something accepts TCP connections on 127.0.0.1:PORT (about 30 s at most).
wait_for_port() {
  local port=$1 log=${2:-}
  for _ in $(seq 1 300); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$port" 2>/dev/null && return 0
    sleep 0.1
  done
  [ -n "$log" ] && tail -n 50 "$log"
  echo "nothing listens on 127.0.0.1:$port"
  return 1
}

# Starts tests/moto/serve.py (moto with DynamoDB requests serialized; the script says
# why) on a free port; sets MOTO_URL and MOTO_PID. The caller kills it.
start_moto() {
  local port log
  port=$(free_port)
  log=$(mktemp -t moto-XXXX.log)
  python3 tests/moto/serve.py "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  MOTO_URL="http://127.0.0.1:$port"
  wait_for_http "$MOTO_URL/moto-api/" "$log"
}

# Starts N moto servers (start_moto each); sets MOTO_POOL_URLS (comma-separated, the
# form CHAT_TEST_AWS_ENDPOINT takes: each nextest slot uses its own server) and
# MOTO_POOL_PIDS. The caller kills them.
start_moto_pool() {
  local n=$1 urls=() pids=()
  for _ in $(seq 1 "$n"); do
    start_moto
    urls+=("$MOTO_URL")
    pids+=("$MOTO_PID")
  done
  MOTO_POOL_URLS=$(IFS=,; echo "${urls[*]}")
  MOTO_POOL_PIDS="${pids[*]}"
}
