# Sourced by the scripts that test a freshly started server from outside
# (schemathesis.sh, grpc-python.sh): the server on free ports of 127.0.0.1 with
# its in-process sandbox, a temporary SQLite file, started from a temporary
# folder (so the built-in library must come from the binary), and stopped on
# exit. Sets `work`, `port`, `base` and `server_pid`; `server_after_run NAME
# STATUS` checks it survived and reports.

work="$(mktemp -d)"
server_pid=""
finish() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap finish EXIT

# start_test_server BINARY: starts it and waits for /health (30 s at most).
start_test_server() {
  local binary="$1"
  # Nine free ports: the coordinator, the six sandbox services, the default
  # market-data-proxy and the proxies' chaos API.
  read -r port exchange custodian market trading risk audit proxy admin < <(python3 - <<'PY'
import socket
sockets = [socket.socket() for _ in range(9)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in sockets))
for s in sockets:
    s.close()
PY
  )
  (
    cd "$work"
    exec env TEST_COORDINATOR_HOST=127.0.0.1 TEST_COORDINATOR_PORT="$port" \
      TEST_COORDINATOR_DATABASE="$work/coordinator.db" TEST_COORDINATOR_LOG_LEVEL=warn \
      LEPTOS_SITE_ROOT="$work/site" SANDBOX_ENABLED=true \
      EXCHANGE_SIMULATOR_URL="http://127.0.0.1:$exchange" CUSTODIAN_SIMULATOR_URL="http://127.0.0.1:$custodian" \
      MARKET_DATA_SIMULATOR_URL="http://127.0.0.1:$market" TRADING_ENGINE_URL="http://127.0.0.1:$trading" \
      RISK_MONITOR_URL="http://127.0.0.1:$risk" AUDIT_CORRELATOR_URL="http://127.0.0.1:$audit" \
      MARKET_DATA_PROXY_LISTEN="127.0.0.1:$proxy" TEST_COORDINATOR_PROXY_ADMIN="127.0.0.1:$admin" \
      "$binary" serve
  ) >"$work/server.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 60); do
    curl -fsS "$base/health" >/dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "the server did not start" >&2; exit 1; }
    sleep 0.5
  done
  cat "$work/server.log" >&2; echo "the server did not answer /health" >&2; exit 1
}

# server_after_run WHAT STATUS: fails when the server is down or panicked;
# shows the log's tail when WHAT failed (STATUS ≠ 0). Exits with STATUS.
server_after_run() {
  local what="$1" status="$2"
  if ! kill -0 "$server_pid" 2>/dev/null || ! curl -fsS "$base/health" >/dev/null; then
    echo "the server is down after the run:" >&2; tail -50 "$work/server.log" >&2; exit 1
  fi
  if grep -q "panicked" "$work/server.log"; then
    echo "the server panicked during the run:" >&2; grep -B2 -A5 "panicked" "$work/server.log" >&2; exit 1
  fi
  if [[ $status -ne 0 ]]; then
    echo "$what failed (exit $status); server log tail:" >&2; tail -40 "$work/server.log" >&2
  fi
  exit "$status"
}
