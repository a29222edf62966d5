// The previewer's speed budget, measured in the page in Chromium: re-render every target of a
// 10-NIC spec (wasm/test/data/ten-nics.yaml) 1,000 times with performance.now() around each
// call, as the page's editor does on a keystroke (renderAll through js/guestnet.js, JSON
// result included). Prints median, p90 and mean; the budget is a 2 ms median. Compare with
// the native figure: cargo bench -p guestnet-wasm --bench render_all.
// Usage: node test/bench.mjs [iterations]   (needs web/dist and /usr/bin/chromium)
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./server.mjs";
import { launch } from "./flags.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const spec = readFileSync(join(here, "..", "..", "wasm", "test", "data", "ten-nics.yaml"), "utf8");
const n = Number(process.argv[2] ?? 1000);
const server = await serve(join(here, "..", "dist"));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(server.url);
  await page.waitForSelector("html[data-state=ready]");
  const r = await page.evaluate(
    ({ spec, n }) => {
      const g = window.guestnet;
      const check = g.renderAll(spec);
      if (!check.ok || check.errors > 0 || check.vms[0].targets.length !== 7) {
        return { error: JSON.stringify(check).slice(0, 500) };
      }
      for (let i = 0; i < 100; i++) g.renderAll(spec); // warm-up: tier-up of the wasm code
      const t = [];
      for (let i = 0; i < n; i++) {
        const a = performance.now();
        g.renderAll(spec);
        t.push(performance.now() - a);
      }
      t.sort((a, b) => a - b);
      const at = (q) => t[Math.min(t.length - 1, Math.floor(q * t.length))];
      return {
        median: at(0.5),
        p90: at(0.9),
        mean: t.reduce((s, x) => s + x, 0) / t.length,
        bytes: check.vms[0].targets.flatMap((x) => x.artifacts).reduce((s, a) => s + a.content.length, 0),
        resolution: crossOriginIsolated ? "5 us" : "100 us (not cross-origin isolated)",
      };
    },
    { spec, n },
  );
  if (r.error) throw new Error(`the 10-NIC spec does not render cleanly: ${r.error}`);
  const ms = (x) => `${x.toFixed(3)} ms`;
  if (r.median > 2) console.log("!!! over the previewer budget (2 ms median) !!!");
  console.log(
    `chromium renderAll, 10 NICs, ${n} renders: median ${ms(r.median)}, p90 ${ms(r.p90)}, mean ${ms(r.mean)} ` +
      `(${r.bytes} bytes of artifacts per render; timer ${r.resolution}; budget: median <= 2 ms)`,
  );
} finally {
  await browser.close();
  await server.close();
}
