// Size budgets of the previewer (design §9, issue 11), gzip -9 as a static server would send
// them: the wasm module with its JS glue and wrapper <= 400 KB, the whole page (editor,
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

test("wasm + JS glue <= 400 KB gzip", { skip: !built }, () => {
  const parts = {
    "guestnet_wasm_bg.wasm": gz(join(root, "wasm", "pkg", "guestnet_wasm_bg.wasm")),
    "guestnet_wasm.js (wasm-bindgen glue)": gz(join(root, "wasm", "pkg", "guestnet_wasm.js")),
    "guestnet.js (wrapper)": gz(join(root, "wasm", "js", "guestnet.js")),
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  for (const [k, v] of Object.entries(parts)) console.log(`${k}: ${(v / KB).toFixed(1)} KB gzip`);
  console.log(`wasm + glue: ${(total / KB).toFixed(1)} KB gzip (budget 400 KB)`);
  assert.ok(total <= 400 * KB, `${total} bytes`);
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
