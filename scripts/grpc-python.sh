#!/usr/bin/env bash
# The foreign-client gRPC test: Python's grpcio, with stubs generated from
# proto/ here and now (no reflection, no Rust code), against a freshly started
# server (its in-process sandbox on free ports, a temporary SQLite file, started
# from a temporary folder, as scripts/schemathesis.sh does). gRPC shares the
# HTTP port (h2c, plaintext); sign-in is off on loopback, so no token.
# The test itself: end2end/grpc/test_client.py.
# Usage: scripts/grpc-python.sh [BINARY]   (default target/debug/test-coordinator)
# Env: GRPC_PYTHON_VENV (default ~/.cache/test-coordinator/grpc-python-VERSION).
set -euo pipefail
cd "$(dirname "$0")/.."

# grpcio, grpcio-tools, grpcio-status, grpcio-reflection and
# grpcio-health-checking, all at this version (scripts/setup.sh reads it here).
GRPC_PYTHON_VERSION=1.85.1
venv="${GRPC_PYTHON_VENV:-$HOME/.cache/test-coordinator/grpc-python-$GRPC_PYTHON_VERSION}"
binary="$(realpath "${1:-target/debug/test-coordinator}")"
test_file="$(realpath end2end/grpc/test_client.py)"
proto_root="$(realpath proto)"

"$venv/bin/python" -c 'import grpc_tools.protoc, grpc_status, grpc_reflection, grpc_health' 2>/dev/null \
  || { echo "grpcio is not installed in $venv: run scripts/setup.sh --browser" >&2; exit 1; }
[[ -x "$binary" ]] || { echo "no server binary at $binary (cargo build -p server)" >&2; exit 1; }

source scripts/lib/test-server.sh

# The stubs, from the protos as a foreign client gets them. Only ours:
# google/rpc/status.proto comes with grpcio-status (googleapis-common-protos),
# and a second copy of google.rpc on the path would shadow that package. The
# well-known types (struct, timestamp) come from grpc_tools' own include folder,
# which `python -m grpc_tools.protoc` adds by itself.
mkdir -p "$work/stubs"
(cd "$proto_root" && "$venv/bin/python" -m grpc_tools.protoc -I . \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" \
  test_coordinator/v1/*.proto)

start_test_server "$binary"

echo "grpcio $GRPC_PYTHON_VERSION (stubs generated from proto/) against 127.0.0.1:$port"
status=0
# Every call in the test has its own deadline; the outer timeout is only a
# backstop against a hang outside a call (it should never fire).
TC_GRPC_TARGET="127.0.0.1:$port" PYTHONPATH="$work/stubs" PYTHONDONTWRITEBYTECODE=1 \
  timeout --kill-after=10 300 "$venv/bin/python" "$test_file" -v || status=$?

server_after_run "the gRPC client test" "$status"
