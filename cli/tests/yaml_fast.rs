#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The fast YAML scanner against granit on every YAML file in the repository's test data
//! (golden inputs, CLI fixtures) and, when present, `../shared/fixtures` (real files from
//! cloud-init, netplan, vm-operator): wherever the fast scanner reads a file, granit reads
//! the same events and spans. And the fast path must be the common one: most golden inputs,
//! which are written as users write manifests, take it.

use guestnet_core::source::yaml::fast_scan_agrees;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            out.push(p);
        }
    }
}

/// (files read by the fast scanner, files) under `dir`; panics on any disagreement.
fn check(dir: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    yaml_files(dir, &mut files);
    let mut fast = 0;
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match fast_scan_agrees(&text) {
            Ok(true) => fast += 1,
            Ok(false) => {}
            Err(e) => panic!("{}: {e}", f.display()),
        }
    }
    (fast, files.len())
}

#[test]
fn granit_agrees_wherever_the_fast_scanner_reads_the_test_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (golden_fast, golden) = check(&root.join("golden-tests"));
    let (fixtures_fast, fixtures) = check(&root.join("cli/tests"));
    eprintln!(
        "fast scanner read {golden_fast}/{golden} golden files, {fixtures_fast}/{fixtures} CLI test files"
    );
    assert!(golden > 100, "golden-tests not found ({golden} files)");
    assert!(
        golden_fast * 4 >= golden * 3,
        "only {golden_fast} of {golden} golden files take the fast path"
    );
    let shared = root.join("../shared/fixtures");
    if shared.is_dir() {
        let (f, n) = check(&shared);
        eprintln!("fast scanner read {f}/{n} files of ../shared/fixtures");
    } else {
        eprintln!("skipped ../shared/fixtures: not present");
    }
}
