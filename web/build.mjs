// Bundles the previewer into dist/: index.html, app.js (CodeMirror + the page + the wasm
// glue, minified), app.css, guestnet_wasm_bg.wasm and guestnet_wasm_lazy.wasm (fetched on
// first use). dist/ is a plain static folder: serve
// it from anywhere (`python3 -m http.server -d web/dist`), no server code, works offline.
// Prints raw and gzip sizes; test/budget.test.mjs holds them to the budgets.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const pkg = join(here, "..", "wasm", "pkg");

try {
  statSync(join(pkg, "guestnet_wasm_bg.wasm"));
} catch {
  console.error("web/build.mjs: wasm/pkg is missing; run wasm/build.sh first");
  process.exit(2);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: { app: join(here, "src", "main.ts") },
  bundle: true,
  format: "esm",
  target: ["es2022", "chrome100", "firefox110", "safari16"],
  minify: true,
  legalComments: "eof",
  outdir: dist,
  logLevel: "warning",
});
await build({
  entryPoints: { app: join(here, "src", "style.css") },
  bundle: true,
  minify: true,
  outdir: dist,
  logLevel: "warning",
});
copyFileSync(join(here, "index.html"), join(dist, "index.html"));
copyFileSync(join(pkg, "guestnet_wasm_bg.wasm"), join(dist, "guestnet_wasm_bg.wasm"));
// The module's second part, fetched on first use (v1alpha1-v1alpha4 input, convert).
copyFileSync(join(pkg, "guestnet_wasm_lazy.wasm"), join(dist, "guestnet_wasm_lazy.wasm"));

let raw = 0;
let gz = 0;
for (const f of readdirSync(dist).sort()) {
  const data = readFileSync(join(dist, f));
  const z = gzipSync(data, { level: 9 }).length;
  raw += data.length;
  gz += z;
  console.log(`${f.padEnd(24)} ${String(data.length).padStart(9)} bytes ${String(z).padStart(9)} gzip -9`);
}
console.log(`${"total".padEnd(24)} ${String(raw).padStart(9)} bytes ${String(gz).padStart(9)} gzip -9`);
