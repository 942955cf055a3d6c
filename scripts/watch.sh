#!/usr/bin/env bash
# Watch mode without extra tools: rebuilds the debug site and server when a
# source file changes, and restarts the server (sandbox included). Ctrl-C stops.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
stamp=$(mktemp)
server_pid=""
stop() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; rm -f "$stamp"; }
trap 'stop; exit 0' INT TERM

build_and_start() {
  touch "$stamp"
  if scripts/build-site.sh dev && cargo build -p server; then
    [[ -n "$server_pid" ]] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; }
    LEPTOS_SITE_ROOT=target/site-dev ./target/debug/test-coordinator serve &
    server_pid=$!
    printf '[watch] serving http://127.0.0.1:%s (pid %s); watching app/ frontend/ server/ sandbox/ style/ public/ migrations/\n' "${TEST_COORDINATOR_PORT:-8084}" "$server_pid"
  else
    printf '[watch] build failed; fix and save to retry\n'
  fi
}

build_and_start
while sleep 1; do
  if [[ -n $(find app frontend server sandbox style public migrations -newer "$stamp" -type f \( -name '*.rs' -o -name '*.css' -o -name '*.sql' -o -name '*.toml' -o -name '*.ico' \) -print -quit) ]]; then
    printf '[watch] change seen, rebuilding\n'
    build_and_start
  fi
done
