#!/usr/bin/env bash
# Builds the browser half: WASM + JS loader + CSS + public assets.
#   scripts/build-site.sh release   -> target/site      (optimised, wasm-opt)
#   scripts/build-site.sh dev       -> target/site-dev  (debug, for tests)
# A server must be given the site of its own mode (docs/build.md).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-release}
name=test-coordinator
# Where cargo puts what it builds (the sites stay under target/).
out=${CARGO_TARGET_DIR:-target}
case "$mode" in
  release)
    cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
    wasm=$out/wasm32-unknown-unknown/wasm-release/frontend.wasm
    site=target/site ;;
  dev)
    cargo build -p frontend --lib --target wasm32-unknown-unknown
    wasm=$out/wasm32-unknown-unknown/debug/frontend.wasm
    site=target/site-dev ;;
  *) echo "usage: $0 release|dev" >&2; exit 2 ;;
esac
# The splitter (tools/wasm-split): a host build, so in the host's directory.
cargo build -p wasm-split
splitter=$out/debug/wasm-split

# Skip the slow steps (split, wasm-bindgen, wasm-opt under node) when nothing
# they read has changed since the last build of this site: the WASM, the
# splitter, this script, the styles and public files, the tools' versions.
stamp=$( { sha256sum "$wasm" "$splitter" "$0" style/main.css; find public -type f -exec sha256sum {} +;
  wasm-bindgen --version; if [[ "$mode" == release ]]; then wasm-opt --version; fi; } | sha256sum | cut -d' ' -f1)
if [[ -d "$site" && -f "$site.stamp" && "$(cat "$site.stamp")" == "$stamp" ]]; then
  printf '[site] %s is up to date\n' "$site"
  exit 0
fi

staging="$site.tmp"
rm -rf "$staging"
mkdir -p "$staging/pkg"
# Split the WASM at the lazy routes (tools/wasm-split, docs/build.md): the
# main module goes on to wasm-bindgen, which must keep the exports the chunks
# import from it; the chunks, their loader and the manifest go to pkg/.
"$splitter" "$wasm" "$staging/pkg" "$staging/main.wasm" "./$name.js" > /dev/null
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-dir "$staging/pkg" --out-name "$name" "$staging/main.wasm"
rm "$staging/main.wasm"
if [[ "$mode" == release ]]; then
  for file in "$staging"/pkg/*.wasm; do
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$file" -o "$file"
  done
fi
cp style/main.css "$staging/pkg/$name.css"
# The bundle goes in a directory named by its contents' hash, which
# pkg/current names: the server serves it as cacheable for good
# (server/src/http/bundle.rs), and a new build is a new address.
hash=$(cat "$staging"/pkg/* | sha256sum | cut -c1-16)
mkdir "$staging/pkg/$hash"
mv "$staging"/pkg/*.* "$staging/pkg/$hash/"
echo "$hash" > "$staging/pkg/current"
# Compressed once here, at the highest levels in release (a few seconds),
# so no response compresses it again. Brotli from Debian's `brotli`
# (scripts/setup.sh); gzip -n leaves out the time, so a copy depends only on
# its file.
if [[ "$mode" == release ]]; then gzip_level=9 brotli_level=11; else gzip_level=6 brotli_level=5; fi
for file in "$staging/pkg/$hash"/*; do
  gzip "-$gzip_level" -n -k "$file"
  brotli -q "$brotli_level" -k "$file"
done
cp -r public/. "$staging/"
# Keep the three bundles before this one: a page loaded before this build
# still fetches its lazy pages' chunks from its own bundle's directory,
# which the server goes on serving (server/src/http/bundle.rs).
if [[ -d "$site/pkg" ]]; then
  find "$site/pkg" -mindepth 1 -maxdepth 1 -type d ! -name "$hash" -printf '%T@ %f\n' \
    | sort -rn | awk 'NR <= 3 { print $2 }' | while read -r old; do mv "$site/pkg/$old" "$staging/pkg/"; done
fi
rm -rf "$site"
mv "$staging" "$site"
echo "$stamp" > "$site.stamp"
bundle="$site/pkg/$hash"
printf '[site] %s: wasm %s bytes, %s gzip, %s brotli\n' "$bundle" \
  "$(stat -c %s "$bundle/${name}_bg.wasm")" "$(stat -c %s "$bundle/${name}_bg.wasm.gz")" \
  "$(stat -c %s "$bundle/${name}_bg.wasm.br")"
