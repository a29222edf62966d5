// guestnet-wasm: the typed, panic-safe face of the generated bindings (../pkg, built by
// wasm/build.sh). Every call returns a plain object; none throws for any input.
//
// Like taplo's JS wrapper, initialisation is asynchronous once (`await init()`), after which
// every function is synchronous — an editor can re-render on each keystroke without awaiting.
// Like cedar's FFI, results are discriminated by a field (`ok`) instead of exceptions.
//
// A panic in Rust would be a bug. The module's panic hook throws it as a JS Error; `call`
// catches it, re-instantiates the module (a trapped instance must not be reused: its stack
// pointer and heap may be mid-operation) and answers {ok: false, error: {kind: "internal"}}.
//
// The module comes in two parts (issue 11's startup budget): guestnet_wasm_bg.wasm answers
// validate and render for v1alpha5/v1alpha6 specs; guestnet_wasm_lazy.wasm (`explain`, the
// guest-artifact readers of `convert`, the v1alpha1-v1alpha4 types and conversions) is
// fetched on first use, see lazy.js. A call that needs it before it has arrived answers {ok: false, error: {kind:
// "loading"}}; `loadLazy()` resolves when a retry will succeed.

import initModule, * as raw from "../pkg/guestnet_wasm.js";
import * as lazy from "./lazy.js";

let ready = false;

/**
 * Instantiates the module: `input` is a URL, Response, BufferSource or WebAssembly.Module;
 * without it the .wasm next to the generated glue is fetched. `lazyInput` says where the
 * second part is, fetched only on first use (default: next to the glue).
 */
export async function init(input, lazyInput) {
  lazy.setSource(lazyInput ?? new URL("../pkg/guestnet_wasm_lazy.wasm", import.meta.url));
  await initModule(input === undefined ? undefined : { module_or_path: input });
  ready = true;
}

/**
 * Synchronous instantiation from bytes or a compiled module (node, workers); with
 * `lazyBytesOrModule` (guestnet_wasm_lazy.wasm) every call answers at once.
 */
export function initSync(bytesOrModule, lazyBytesOrModule) {
  raw.initSync({ module: bytesOrModule });
  if (lazyBytesOrModule !== undefined) lazy.loadSync(lazyBytesOrModule);
  ready = true;
}

/**
 * Fetches and compiles guestnet_wasm_lazy.wasm (once; `input` overrides where from). Calls
 * that answered {kind: "loading"} succeed after it resolves.
 */
export function loadLazy(input) {
  return lazy.load(input);
}

/** Whether guestnet_wasm_lazy.wasm is loaded, and how many times it was (0 or 1). */
export function lazyStatus() {
  return { loaded: lazy.isLoaded(), loads: lazy.loadCount() };
}

function usage(message) {
  return { ok: false, error: { kind: "usage", message } };
}

function checkStrings(args) {
  for (const [name, value] of Object.entries(args)) {
    if (typeof value !== "string") {
      return usage(`${name} must be a string, not ${value === null ? "null" : typeof value}`);
    }
  }
  return null;
}

function optionsJson(options) {
  if (options === undefined || options === null) return "{}";
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError("options must be an object");
  }
  return JSON.stringify(options);
}

function call(fn) {
  if (!ready) {
    return { ok: false, error: { kind: "usage", message: "guestnet-wasm: call init() or initSync() first" } };
  }
  let text;
  try {
    text = fn();
  } catch (e) {
    try {
      raw.__wbg_reset_state();
    } catch (reset) {
      ready = false;
      return internal(`${message(e)}; re-instantiating the module failed too: ${message(reset)}`);
    }
    if (e instanceof lazy.LazyPending) return { ok: false, error: { kind: "loading", message: e.message } };
    return internal(message(e));
  }
  return JSON.parse(text);
}

function message(e) {
  return e instanceof Error ? e.message : String(e);
}

function internal(msg) {
  return { ok: false, error: { kind: "internal", message: msg } };
}

function withOptions(options, run) {
  let json;
  try {
    json = optionsJson(options);
  } catch (e) {
    return usage(`options: ${message(e)}`);
  }
  return call(() => run(json));
}

/** Checks a spec: every finding, as `guestnet validate --format json`. */
export function validate(text, options) {
  return checkStrings({ text }) ?? withOptions(options, (o) => raw.validate(text, o));
}

/**
 * Renders `targets` ("all", a name, or an array of names) for every VirtualMachine in `text`.
 */
export function render(text, targets, options) {
  const list = typeof targets === "string" ? [targets] : targets;
  if (!Array.isArray(list) || list.length === 0 || list.some((t) => typeof t !== "string" || t.includes(","))) {
    return usage('targets must be "all", a target name or a non-empty array of target names');
  }
  return checkStrings({ text }) ?? withOptions(options, (o) => raw.render(text, list.join(","), o));
}

/** Renders every target: `render(text, "all", options)`. */
export function renderAll(text, options) {
  return render(text, "all", options);
}

/** The resolved configuration and where each value came from (`guestnet explain`). */
export function explain(text, options) {
  return checkStrings({ text }) ?? withOptions(options, (o) => raw.explain(text, o));
}

/** Reads a guest artifact back into a VirtualMachine (`guestnet convert --from`). */
export function convert(from, text, options) {
  const o = options ?? {};
  if (typeof o !== "object" || Array.isArray(o)) return usage("options must be an object");
  const extra = Object.keys(o).filter((k) => k !== "to" && k !== "name");
  if (extra.length > 0) return usage(`options: unknown field \`${extra[0]}\`, expected \`to\` or \`name\``);
  const to = o.to ?? "yaml";
  const name = o.name ?? "";
  return checkStrings({ from, text, to, name }) ?? call(() => raw.convert(from, text, to, name));
}

function infallible(fn) {
  const r = call(fn);
  if (r && r.ok === false) throw new Error(r.error.message);
  return r;
}

/** Every diagnostic code with its default severity and title (`guestnet rules`). */
export function rules() {
  return infallible(() => raw.rules());
}

/** Target and convert-format names, and the module's version. */
export function catalog() {
  return infallible(() => raw.catalog());
}

/** The example VirtualMachine (`guestnet example`). */
export function example() {
  if (!ready) throw new Error("guestnet-wasm: call init() or initSync() first");
  return raw.example();
}

/** Panics inside the module on purpose; for tests of the panic path. */
export function _testPanic(msg) {
  return call(() => raw.__testPanic(String(msg)));
}
