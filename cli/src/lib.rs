//! Library half of the `guestnet` binary: input discovery, output formats, atomic writes and
//! schema generation, exposed so integration tests and benches use exactly what the CLI uses.

pub mod against;
pub mod color;
pub mod completions;
pub mod config;
pub mod crd;
pub mod engine;
pub mod inputs;
pub mod kustomize;
pub mod paths;
pub mod repo;
pub mod report;
pub mod rules;
pub mod schema;
pub mod sink;
pub mod spill;
pub mod walk;
pub mod write;

/// `guestnet --version`: the package version and, when built from a git checkout, the
/// commit and its date (see `build.rs`).
pub const VERSION: &str = env!("GUESTNET_VERSION");

/// The embedded example spec (`guestnet example`).
pub const EXAMPLE: &str = include_str!("example.yaml");
