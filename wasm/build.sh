#!/usr/bin/env bash
# Builds wasm/pkg: the size-optimised guestnet-wasm module and its JS glue (ES module, loads
# in browsers and in node). Needs wasm-bindgen-cli at exactly the wasm-bindgen crate's version
# and wasm-opt (Debian's binaryen); .ci/run installs both.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "wasm/build.sh: need wasm-bindgen $want (cargo install wasm-bindgen-cli --version $want), found '${have:-none}'" >&2
  exit 2
fi

cargo build -p guestnet-wasm --profile wasm-release --target wasm32-unknown-unknown --locked
rm -rf wasm/pkg target/wasm-opt
mkdir -p target/wasm-opt
# wasm-opt runs before wasm-bindgen: Debian's binaryen (108) reads wasm-bindgen's externref
# table as `anyref` and writes back a module that current engines refuse. The profile does
# not strip (wasm-bindgen needs its custom sections); wasm-bindgen drops names and producers.
wasm-opt -Oz --enable-bulk-memory --enable-mutable-globals --enable-sign-ext \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  target/wasm32-unknown-unknown/wasm-release/guestnet_wasm.wasm -o target/wasm-opt/guestnet_wasm.wasm
# The reset-state function lets js/guestnet.js re-instantiate the module after a panic.
wasm-bindgen --target web --experimental-reset-state-function \
  --remove-name-section --remove-producers-section \
  --out-dir wasm/pkg target/wasm-opt/guestnet_wasm.wasm

for f in wasm/pkg/guestnet_wasm_bg.wasm wasm/pkg/guestnet_wasm.js; do
  printf '%-32s %8d bytes, %8d gzip -9\n' "$(basename "$f")" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
done
