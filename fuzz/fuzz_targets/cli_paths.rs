//! Path handling as the binary does it: arbitrary `--exclude` globs over a fixed tree (with a
//! `self -> .` loop and a FIFO), and arbitrary namespace, name and artifact names written
//! below an output directory. Must not panic, must only ever list files inside the tree, and
//! must never create anything outside the output directory.
#![no_main]
use guestnet_cli::walk::{self, Input, WalkOptions};
use guestnet_cli::write::OutDir;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static BASE: OnceLock<PathBuf> = OnceLock::new();

fn base() -> &'static PathBuf {
    BASE.get_or_init(|| {
        let b = std::env::temp_dir().join(format!("guestnet-fuzz-paths-{}", std::process::id()));
        let tree = b.join("tree");
        let _ = std::fs::create_dir_all(tree.join("sub/deeper"));
        for f in ["a.yaml", "sub/b.yml", "sub/deeper/c.json", "x.txt"] {
            let _ = std::fs::write(tree.join(f), "a: 1\n");
        }
        let _ = std::os::unix::fs::symlink(".", tree.join("self"));
        let _ = std::os::unix::fs::symlink("/dev/zero", tree.join("zero.yaml"));
        let _ = std::fs::create_dir_all(b.join("out"));
        let _ = std::fs::create_dir_all(b.join("outside"));
        // libFuzzer ends a run with exit(): remove the tree then, or every run leaves one in
        // the temporary folder (CI found dozens).
        // SAFETY: `atexit` only stores the function pointer; `remove_base` is `extern "C"`
        // and does not unwind.
        unsafe { atexit(remove_base) };
        b
    })
}

unsafe extern "C" {
    fn atexit(f: extern "C" fn()) -> i32;
}

extern "C" fn remove_base() {
    if let Some(b) = BASE.get() {
        let _ = std::fs::remove_dir_all(b);
    }
}

fn count(p: &Path) -> usize {
    std::fs::read_dir(p).map(|r| r.count()).unwrap_or(0)
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let parts: Vec<&str> = s.split('\n').collect();
    let b = base();
    let tree = b.join("tree");
    let opts = WalkOptions {
        excludes: parts.iter().take(3).map(|p| p.to_string()).collect(),
        ignore_files: parts.len() % 2 == 0,
    };
    if let Ok(found) = walk::expand(&[tree.display().to_string()], &opts) {
        for i in found.iter() {
            if let Input::File { path, .. } | Input::Skipped { path, .. } = &i {
                assert!(path.starts_with(&tree), "{path:?}");
            }
        }
        assert!(found.len() <= 8, "a loop was followed: {:?}", found.iter().collect::<Vec<_>>());
    }
    let Ok(out) = OutDir::open(&b.join("out")) else { return };
    let ns = parts.get(3).copied().unwrap_or("ns");
    let name = parts.get(4).copied().unwrap_or("vm");
    let art = parts.get(5).copied().unwrap_or("a.yaml");
    if let Ok(staged) = out.stage(ns, name, &[(art, b"x")]) {
        let _ = out.commit(staged);
    }
    assert_eq!(count(&b.join("outside")), 0);
    assert_eq!(count(b), 3, "nothing next to out/: {:?}", std::fs::read_dir(b).map(|r| r.map(|e| e.map(|e| e.file_name())).collect::<Vec<_>>()));
});
