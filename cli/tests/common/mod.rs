//! Shared helpers for integration and oracle tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guestnet_core::pipeline::{CompileOptions, Unit, compile_str};
use std::path::{Path, PathBuf};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every golden case folder, sorted.
pub fn golden_cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("golden-tests"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.yaml").exists())
        .collect();
    v.sort();
    v
}

/// Units that resolved (no errors) for one golden case.
pub fn resolved_units(case: &Path, opts: &CompileOptions) -> Vec<Unit> {
    let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
    compile_str(&text, &[], opts)
        .units
        .into_iter()
        .filter(|u| u.resolved.is_some())
        .collect()
}

/// Whether an oracle tool is installed. A missing tool skips the test *loudly*; under
/// `GUESTNET_REQUIRE_ORACLES=1` (set by `.ci/run`) it fails instead, so CI can never pass
/// by skipping.
pub fn oracle_available(tool: &str, why: &str) -> bool {
    let found = if tool.contains('/') {
        Path::new(tool).exists()
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
            .unwrap_or(false)
    };
    if found {
        return true;
    }
    let msg = format!("ORACLE SKIPPED: `{tool}` is not installed ({why})");
    if std::env::var("GUESTNET_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("{msg}; GUESTNET_REQUIRE_ORACLES=1 forbids skipping");
    }
    eprintln!("\n!!! {msg} !!!\n");
    false
}
