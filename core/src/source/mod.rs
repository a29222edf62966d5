//! Text -> documents -> typed inputs. Positions survive every step.

pub mod de;
mod event;
#[cfg(feature = "fast-yaml")]
mod fast;
pub mod node;
pub mod yaml;

pub use node::{Node, NodeKind, ScalarKind};
pub use yaml::{Document, Limits};
