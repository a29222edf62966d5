//! Library half of the `guestnet` binary: input discovery, output formats, atomic writes and
//! schema generation, exposed so integration tests and benches use exactly what the CLI uses.

pub mod crd;
pub mod engine;
pub mod inputs;
pub mod report;
pub mod schema;
pub mod sink;
pub mod walk;
pub mod write;

/// The embedded example spec (`guestnet example`).
pub const EXAMPLE: &str = include_str!("example.yaml");
