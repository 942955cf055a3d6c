#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests (docs/scale-out.md, "Tests"): a fresh
# cluster in a temporary folder, on a free loopback port, as a non-root user,
# removed when it stops. Installs Debian's postgresql when it is missing.
#
#   scripts/pg-throwaway.sh run -- COMMAND...   start, run COMMAND with
#       TEST_COORDINATOR_PG_ADMIN_URL set (a superuser URL), stop, clean up;
#       exits with COMMAND's status
#   scripts/pg-throwaway.sh serve               start and print the URL; stops on Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'pg-throwaway: %s\n' "$*" >&2; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return; }
  done
  return 1
}

if ! bin=$(pg_bin); then
  say "installing Debian's postgresql (about 20 seconds)"
  as_root apt-get update -qq
  # The package's own cluster is not used; only its programs are.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  bin=$(pg_bin)
fi

# initdb refuses to run as root: root runs the cluster as a system user.
run_as=()
if [[ $(id -u) -eq 0 ]]; then
  id tcpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin tcpg
  run_as=(runuser -u tcpg --)
fi

dir=$(mktemp -d /tmp/tc-pg.XXXXXX)
chmod 755 "$dir"
[[ ${#run_as[@]} -gt 0 ]] && chown tcpg "$dir"
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

printf '%s\n' "$password" > "$dir/pw"
[[ ${#run_as[@]} -gt 0 ]] && chown tcpg "$dir/pw"
"${run_as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" \
  --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pw"
# Durability is not wanted from a cluster deleted in minutes; connections are:
# every test database is opened by a pool of its own.
"${run_as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export TEST_COORDINATOR_PG_ADMIN_URL="postgres://postgres:$password@127.0.0.1:$port/postgres"
say "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"

case "${1:-}" in
  run)
    shift
    [[ "${1:-}" == "--" ]] && shift
    set +e
    "$@"
    status=$?
    set -e
    exit $status
    ;;
  serve)
    echo "$TEST_COORDINATOR_PG_ADMIN_URL"
    say "serving until Ctrl-C"
    while sleep 3600; do :; done
    ;;
  *)
    say "usage: $0 run -- COMMAND... | serve"
    exit 2
    ;;
esac
