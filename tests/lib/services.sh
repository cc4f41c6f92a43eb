# Shell helpers shared by the test scripts (sourced, not run).

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until `curl URL` succeeds (any HTTP answer counts with ANY=1), or fails after
# about 30 s, printing LOG if given.
wait_for_http() {
  local url=$1 log=${2:-} any=${ANY:-0}
  for _ in $(seq 1 300); do
    if [ "$any" = 1 ]; then
      curl -sS -o /dev/null "$url" 2>/dev/null && return 0
    else
      curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    fi
    sleep 0.1
  done
  [ -n "$log" ] && tail -n 50 "$log"
  echo "nothing answered at $url"
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
