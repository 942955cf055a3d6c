#!/usr/bin/env bash
# Installs what building (and, with --browser, browser-testing) needs, skipping
# whatever is already there, so a warm run takes about a second.
# Verified recipe and pitfalls: ../shared/TOOLCHAIN.md and docs/build.md.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=false
[[ "${1:-}" == "--browser" ]] && want_browser=true

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_ready=false
apt_install() {
  # One apt command at a time (TOOLCHAIN.md P4); retry once after a broken dpkg run.
  if ! $apt_ready; then as_root apt-get update -qq; apt_ready=true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
    || { as_root dpkg --configure -a; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; }
}

# Rust's WASM target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli at exactly the version Cargo.lock pins (the two must match).
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]]; then
  say "installing wasm-bindgen-cli $bindgen_version (about 2 minutes)"
  # No --locked: its lock names a webpki-roots the index here does not have (P2).
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# wasm-opt 132 from npm's binaryen; Debian's binaryen 108 breaks release hydration (P3).
if ! wasm-opt --version 2>/dev/null | grep -q "version 132"; then
  if dpkg -s binaryen >/dev/null 2>&1; then
    say "removing Debian's binaryen (its wasm-opt 108 breaks the release build)"
    as_root apt-get remove -y -qq binaryen
  fi
  say "installing wasm-opt 132 (npm binaryen)"
  as_root npm install -g --silent binaryen@132.0.0
fi

# Brotli, to precompress the browser bundle (scripts/build-site.sh).
if ! command -v brotli >/dev/null; then
  say "installing Debian's brotli"
  apt_install brotli
fi

if $want_browser; then
  if [[ ! -x /usr/bin/chromium ]]; then
    say "installing Debian's chromium (about 35 seconds)"
    apt_install chromium
  fi
  # schemathesis (the API fuzz guard, scripts/schemathesis.sh) in its own venv from PyPI.
  st_version=$(sed -n 's/^SCHEMATHESIS_VERSION=//p' scripts/schemathesis.sh)
  st_venv="${SCHEMATHESIS_VENV:-$HOME/.cache/test-coordinator/schemathesis-$st_version}"
  if [[ ! -x "$st_venv/bin/schemathesis" ]]; then
    say "installing schemathesis $st_version into $st_venv (about 30 seconds)"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      apt_install python3-venv
    fi
    rm -rf "$st_venv"
    python3 -m venv "$st_venv"
    "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
  fi
  # grpcio and its tools (the foreign-client gRPC test, scripts/grpc-python.sh)
  # in their own venv from PyPI: one grpc version for all five packages, since
  # grpcio-tools' generated stubs check the grpcio they run against.
  gp_version=$(sed -n 's/^GRPC_PYTHON_VERSION=//p' scripts/grpc-python.sh)
  gp_venv="${GRPC_PYTHON_VENV:-$HOME/.cache/test-coordinator/grpc-python-$gp_version}"
  # An import, not a file test: grpcio-tools installs no command to look for.
  if ! "$gp_venv/bin/python" -c 'import grpc_tools.protoc, grpc_status, grpc_reflection, grpc_health' 2>/dev/null; then
    say "installing grpcio $gp_version and its tools into $gp_venv (about 30 seconds)"
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      apt_install python3-venv
    fi
    rm -rf "$gp_venv"
    python3 -m venv "$gp_venv"
    "$gp_venv/bin/pip" install --quiet --disable-pip-version-check \
      "grpcio==$gp_version" "grpcio-tools==$gp_version" "grpcio-status==$gp_version" \
      "grpcio-reflection==$gp_version" "grpcio-health-checking==$gp_version"
  fi
  if [[ ! -d end2end/node_modules/playwright-core || ! -d end2end/node_modules/html-validate ]]; then
    say "installing playwright-core and html-validate (no browser download)"
    (cd end2end && npm ci --silent --no-audit --no-fund)
  fi
fi
say "toolchain ready"
