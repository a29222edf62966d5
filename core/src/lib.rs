//! guestnet-core: the pure half of guestnet.
//!
//! Data flows one way: [`source`] (text -> spanned node tree -> typed model) ->
//! [`validate`] (diagnostics with field paths) -> [`resolve`] (precedence and provenance)
//! -> [`render`] (one module per target). Nothing here touches files, the network, the clock
//! or the environment, so the same code runs in the CLI, in CI and in the browser (wasm32).

pub mod batch;
pub mod classify;
pub mod convert;
pub mod diagnostic;
pub mod explain;
pub mod ip;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod render;
pub mod resolve;
pub mod source;
pub mod suppress;
pub mod validate;
pub mod vim25;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use pipeline::{CompileOptions, Compiled, compile_str};
