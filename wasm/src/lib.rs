//! guestnet in the browser: `validate`, `render`, `explain`, `convert` and `rules` over strings.
//!
//! Each export returns JSON text that `js/guestnet.js` parses into plain objects (typed by
//! `js/guestnet.d.ts`): serde_json is already in the core, so this costs no extra code, and
//! one `JSON.parse` is faster than building objects field by field across the boundary.
//!
//! No jsonschema, no submitter, no I/O: the core is pure and its resource limits (input size,
//! depth, nodes, aliases) turn hostile input into `GN002` diagnostics. A panic would be a
//! bug; the hook below turns it into a JavaScript exception carrying the message, and the
//! wrapper turns that into `{ok: false, error: {kind: "internal"}}` and re-instantiates the
//! module (a trapped instance must not be reused).

pub mod api;
pub mod options;

use wasm_bindgen::prelude::*;

/// The example the CLI prints with `guestnet example`, preloaded by the web page.
pub const EXAMPLE: &str = include_str!("../../cli/src/example.yaml");

/// Installs the panic hook. Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        // A JS exception unwinds out of the wasm frames at once; the wrapper catches it.
        wasm_bindgen::throw_str(&format!("guestnet panicked: {info}"));
    }));
}

#[wasm_bindgen]
pub fn validate(text: &str, options: &str) -> String {
    api::to_json(&api::validate(text, options))
}

/// `targets`: `all`, a target name, or a comma-separated list.
#[wasm_bindgen]
pub fn render(text: &str, targets: &str, options: &str) -> String {
    api::to_json(&api::render(text, targets, options))
}

#[wasm_bindgen]
pub fn explain(text: &str, options: &str) -> String {
    api::to_json(&api::explain(text, options))
}

/// `from`: custcfg, gosc, netplan, vapp or vmx; `to`: yaml or json; `name`: metadata.name when
/// the input carries none.
#[wasm_bindgen]
pub fn convert(from: &str, text: &str, to: &str, name: &str) -> String {
    api::to_json(&api::convert(from, text, to, name))
}

#[wasm_bindgen]
pub fn rules() -> String {
    api::to_json(&api::rules())
}

/// Target and format names and the version, for building a UI.
#[wasm_bindgen]
pub fn catalog() -> String {
    api::to_json(&api::catalog())
}

#[wasm_bindgen]
pub fn example() -> String {
    EXAMPLE.to_string()
}

/// Panics on purpose, so tests can prove that a panic becomes an error result and that the
/// module keeps working afterwards. Not part of the typed API.
#[wasm_bindgen(js_name = "__testPanic")]
#[allow(clippy::panic)]
pub fn test_panic(message: &str) -> String {
    panic!("{message}")
}
