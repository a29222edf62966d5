// The second half of the module (guestnet_wasm_lazy.wasm: the guest-artifact readers of
// `convert`, `explain`, and the v1alpha1-v1alpha4 types with their conversions), loaded on
// first use.
//
// wasm/build.sh splits the module with binaryen's wasm-split: the functions only those
// features reach live in the secondary module, and the primary calls each of their entry
// points through a placeholder (../pkg/guestnet_wasm_lazy.js). A placeholder links the
// secondary module against the live primary instance (same memory, same function table;
// instantiating it fills the table) and forwards the call, synchronously. When the
// secondary module has not been fetched yet, the placeholder throws `LazyPending`: the
// wrapper resets the instance (a call cannot resume), answers {ok: false, error: {kind:
// "loading"}} and the caller retries once `load()` has resolved.
import * as raw from "../pkg/guestnet_wasm.js";

/** Thrown through the wasm frames when the secondary module is needed but not loaded. */
export class LazyPending extends Error {
  constructor() {
    super("guestnet-wasm: this call needs guestnet_wasm_lazy.wasm, which is loading; call again once loadLazy() resolves");
    this.name = "LazyPending";
  }
}

let compiled = null; // WebAssembly.Module
let linkedTo = null; // the primary's exports the secondary is instantiated against
let loading = null; // Promise<void>
let source; // where load() fetches from by default
let loads = 0;

export function setSource(input) {
  source = input;
}

/** Whether the secondary module is compiled (calls that need it answer synchronously). */
export function isLoaded() {
  return compiled !== null;
}

/** How many times the secondary module was fetched or compiled (tests: once, on use). */
export function loadCount() {
  return loads;
}

/** Synchronous: bytes or a compiled WebAssembly.Module (node, workers). */
export function loadSync(bytesOrModule) {
  compiled = bytesOrModule instanceof WebAssembly.Module ? bytesOrModule : new WebAssembly.Module(bytesOrModule);
  loads += 1;
}

/**
 * Fetches and compiles the secondary module once: `input` is a URL, Response, BufferSource or
 * WebAssembly.Module; by default what init() was given.
 */
export function load(input) {
  if (compiled !== null) return Promise.resolve();
  // An explicit input does not wait for a default load that may be failing.
  if (loading !== null && input === undefined) return loading;
  const from = input ?? source;
  if (from === undefined) return Promise.reject(new Error("guestnet-wasm: no location for guestnet_wasm_lazy.wasm"));
  const promise = (async () => {
    let module;
    if (from instanceof WebAssembly.Module) {
      module = from;
    } else if (typeof from === "string" || from instanceof URL || (typeof Response === "function" && from instanceof Response)) {
      const response = from instanceof Response ? from : await fetch(from);
      if (!response.ok) throw new Error(`failed to fetch guestnet_wasm_lazy.wasm: ${response.status} ${response.statusText}`);
      module = await WebAssembly.compile(await response.arrayBuffer());
    } else {
      module = await WebAssembly.compile(from);
    }
    if (compiled === null) {
      compiled = module;
      loads += 1;
    }
  })();
  const current = promise.finally(() => {
    if (loading === current) loading = null;
  });
  loading = current;
  return current;
}

/** Called by the placeholder of table slot `index` with the call's arguments. */
export function placeholder(index, args) {
  const primary = raw.__wbg_exports();
  if (linkedTo !== primary) {
    if (compiled === null) {
      void load().catch(() => {});
      throw new LazyPending();
    }
    // The secondary's element segment writes its functions into the primary's table.
    new WebAssembly.Instance(compiled, { primary });
    linkedTo = primary;
  }
  return primary["%table"].get(index)(...args);
}
