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
