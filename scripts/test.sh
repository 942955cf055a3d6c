#!/usr/bin/env bash
# Every check and test: formatting, lints (host and WASM), unit and integration
# tests (on SQLite, then the store's and the API's again on PostgreSQL),
# schemathesis against the API, a Python gRPC client, then the browser tests
# against a freshly started server.
set -euo pipefail
cd "$(dirname "$0")/.."

# The whole run has a throwaway PostgreSQL (installed when missing, on a free
# port, deleted at the end): TEST_COORDINATOR_PG_ADMIN_URL names it.
if [[ -z "${TEST_COORDINATOR_PG_ADMIN_URL:-}" ]]; then
  exec scripts/pg-throwaway.sh run -- "$0" "$@"
fi

step() { printf '\n== %s\n' "$*"; }

# A CI run builds once: incremental caches (6 GB here) would only fill its disk.
if [[ "${CI:-}" == "true" ]]; then
  export CARGO_INCREMENTAL=0
fi

step "rustfmt"
cargo fmt --all -- --check

step "clippy (server side and browser side)"
cargo clippy -p app -p server -p sandbox -p fault-proxy -p wasm-split --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests"
cargo test -p app -p server -p sandbox -p fault-proxy

step "the store's, teams' and API's tests again, on PostgreSQL"
# The same tests, each on a fresh database of the throwaway server: every
# query of the store is proven on both backends (docs/scale-out.md, "Tests").
TEST_COORDINATOR_STORE_BACKEND=postgres cargo test -p server --lib -- store:: service::auth
TEST_COORDINATOR_STORE_BACKEND=postgres cargo test -p server --test api --test teams_access

step "schemathesis against /api/openapi.json (bounded; 0 server errors, 0 schema violations)"
# The debug binary `cargo test` just built; a fresh server, sandbox and database.
scripts/schemathesis.sh target/debug/test-coordinator

step "gRPC from Python (grpcio; stubs generated from proto/)"
# A foreign client of the gRPC API, on the same binary: it knows the API only
# through proto/, as any other language's client would.
scripts/grpc-python.sh target/debug/test-coordinator

step "browser tests (headless Chromium)"
scripts/build-site.sh dev
# `cargo test` above already built target/debug/test-coordinator for the
# integration tests; a separate `cargo build -p server` would rebuild half the
# tree without the dev-dependencies' features.
(cd end2end && node run.mjs)
