#!/usr/bin/env bash
# Builds wasm/pkg: the size-optimised guestnet-wasm module and its JS glue (ES module, loads
# in browsers and in node). Needs wasm-bindgen-cli at exactly the wasm-bindgen crate's version
# and binaryen (Debian's: wasm-opt, wasm-dis, wasm-split) and node; .ci/previewer installs them.
set -euo pipefail
cd "$(dirname "$0")/.."

want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$have" != "$want" ]; then
  echo "wasm/build.sh: need wasm-bindgen $want (cargo install wasm-bindgen-cli --version $want), found '${have:-none}'" >&2
  exit 2
fi

# v0 mangling: the function names the split below matches carry generic type arguments.
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C symbol-mangling-version=v0" \
  cargo build -p guestnet-wasm --profile wasm-release --target wasm32-unknown-unknown --locked
rm -rf wasm/pkg target/wasm-opt
mkdir -p target/wasm-opt
o=target/wasm-opt
features="--enable-bulk-memory --enable-mutable-globals --enable-sign-ext
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
# wasm-opt runs before wasm-bindgen: Debian's binaryen (108) reads wasm-bindgen's externref
# table as `anyref` and writes back a module that current engines refuse. The profile does
# not strip (wasm-bindgen needs its custom sections); wasm-bindgen drops names and producers.
# shellcheck disable=SC2086
wasm-opt -Oz --debuginfo $features \
  target/wasm32-unknown-unknown/wasm-release/guestnet_wasm.wasm -o $o/whole.wasm
# The split (issue 11's 400 KB startup budget): what only `convert --from` and the
# v1alpha1-v1alpha4 loaders reach goes to guestnet_wasm_lazy.wasm, fetched on first use
# (wasm/split.mjs names the roots; js/lazy.js loads it). Each part is optimised again
# (--merge-similar-functions folds monomorphised copies that differ only in constants).
# shellcheck disable=SC2086
wasm-dis $features $o/whole.wasm -o $o/whole.wat
node wasm/split.mjs keep $o/whole.wat $o/keep.txt
# shellcheck disable=SC2086
wasm-split $features $o/whole.wasm --keep-funcs @$o/keep.txt --placeholdermap \
  --export-prefix=% --import-namespace=primary --placeholder-namespace=./guestnet_wasm_lazy.js \
  -o1 $o/primary.wasm -o2 $o/lazy.wasm
# shellcheck disable=SC2086
wasm-opt --merge-similar-functions -Oz --converge $features $o/primary.wasm -o $o/guestnet_wasm.wasm
mkdir -p wasm/pkg
# shellcheck disable=SC2086
wasm-opt --merge-similar-functions -Oz --strip-debug --strip-producers $features $o/lazy.wasm -o wasm/pkg/guestnet_wasm_lazy.wasm
# The reset-state function lets js/guestnet.js re-instantiate the module after a panic.
wasm-bindgen --target web --experimental-reset-state-function \
  --remove-name-section --remove-producers-section \
  --out-dir wasm/pkg $o/guestnet_wasm.wasm
node wasm/split.mjs stubs $o/primary.wasm.placeholders wasm/pkg/guestnet_wasm_lazy.js
node wasm/split.mjs glue wasm/pkg/guestnet_wasm.js

for f in wasm/pkg/guestnet_wasm_bg.wasm wasm/pkg/guestnet_wasm.js wasm/pkg/guestnet_wasm_lazy.js \
  wasm/pkg/guestnet_wasm_lazy.wasm; do
  printf '%-32s %8d bytes, %8d gzip -9\n' "$(basename "$f")" "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)"
done
