// Initialisation: calls before init answer with a usage error (not an exception), and the
// asynchronous init() fetches/compiles the module as the browser does. Its own file, so it
// runs in a fresh process with an uninitialised module.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as g from "../js/guestnet.js";

test("calls before init are usage errors, not exceptions", () => {
  for (const r of [g.validate("a: 1"), g.renderAll("a: 1"), g.convert("vmx", "")]) {
    assert.deepEqual(r.ok, false);
    assert.equal(r.error.kind, "usage");
    assert.match(r.error.message, /init\(\)/);
  }
  assert.throws(() => g.example(), /init\(\)/);
});

test("async init from bytes, then synchronous calls", async () => {
  const bytes = readFileSync(new URL("../pkg/guestnet_wasm_bg.wasm", import.meta.url));
  await g.init(bytes);
  const r = g.validate(g.example());
  assert.equal(r.ok, true);
  assert.equal(r.errors, 0);
});

// The module's second part (guestnet_wasm_lazy.wasm) is needed only by `convert`, `explain`
// and v1alpha1-v1alpha4 input; until it is loaded those calls answer {kind: "loading"} (after
// which the module still works) and everything else answers from the first part alone.
test("the lazy part: not needed for v1alpha6, loaded on first use, then every call works", async () => {
  const bytes = readFileSync(new URL("../pkg/guestnet_wasm_bg.wasm", import.meta.url));
  const lazyBytes = readFileSync(new URL("../pkg/guestnet_wasm_lazy.wasm", import.meta.url));
  await g.init(bytes);
  const v1alpha2 = g
    .example()
    .replace("vmoperator.vmware.com/v1alpha6", "vmoperator.vmware.com/v1alpha2")
    .replace(/^ {2}(network|bootstrap):[\s\S]*?(?=^ {2}\S|(?![\s\S]))/gm, "");
  const artifact = "network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n";

  const r = g.renderAll(g.example());
  assert.equal(r.ok, true);
  assert.equal(r.errors, 0);
  assert.equal(g.validate(g.example()).ok, true);
  assert.ok(g.rules().length > 0);
  assert.deepEqual(g.lazyStatus(), { loaded: false, loads: 0 });

  for (const pending of [g.convert("netplan", artifact), g.validate(v1alpha2), g.explain(g.example())]) {
    assert.equal(pending.ok, false);
    assert.equal(pending.error.kind, "loading");
  }
  // The interrupted calls left a working module.
  assert.equal(g.renderAll(g.example()).errors, 0);

  await g.loadLazy(lazyBytes);
  assert.deepEqual(g.lazyStatus(), { loaded: true, loads: 1 });
  const c = g.convert("netplan", artifact, { name: "web-01" });
  assert.equal(c.ok, true, JSON.stringify(c));
  assert.equal(c.documents, 1);
  assert.match(c.output, /kind: VirtualMachine/);
  const v = g.validate(v1alpha2);
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.virtualMachines, 1);
  const e = g.explain(g.example());
  assert.equal(e.ok, true);
  assert.equal(e.vms.length, 1);
  assert.equal(g.lazyStatus().loads, 1);
});
