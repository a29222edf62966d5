//! Text -> documents -> typed inputs. Positions survive every step.

pub mod de;
pub mod node;
pub mod yaml;

pub use node::{Node, NodeKind, ScalarKind};
pub use yaml::{Document, Limits};
