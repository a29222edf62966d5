//! Puts the commit into `guestnet --version`: "0.1.0 (c0ce658a1b2c 2026-11-29)" when built
//! from a git checkout of this repository, plain "0.1.0" otherwise (`cargo install` from
//! a tarball has no .git; one unpacked inside another repository must not borrow its
//! commit). Packagers may set GUESTNET_COMMIT themselves.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn commit() -> Option<String> {
    println!("cargo:rerun-if-env-changed=GUESTNET_COMMIT");
    if let Ok(c) = std::env::var("GUESTNET_COMMIT") {
        return (!c.is_empty()).then_some(c);
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let manifest = std::fs::canonicalize(&manifest).unwrap_or(manifest);
    let top = PathBuf::from(git(&manifest, &["rev-parse", "--show-toplevel"])?);
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    // The manifest is the repository root (the hook package) or one level below (cli/).
    if manifest != top && manifest.parent() != Some(top.as_path()) {
        return None;
    }
    let sha = git(&manifest, &["rev-parse", "--short=12", "HEAD"])?;
    let date = git(&manifest, &["log", "-1", "--format=%cs", "HEAD"]).unwrap_or_default();
    // Rebuild when HEAD moves: HEAD itself, the branch it points to, packed refs.
    if let Some(dir) = git(&manifest, &["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
    }
    if let Some(common) = git(&manifest, &["rev-parse", "--git-common-dir"]) {
        let common = manifest.join(common);
        if let Some(branch) = git(&manifest, &["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", common.join(branch).display());
        }
        println!(
            "cargo:rerun-if-changed={}",
            common.join("packed-refs").display()
        );
    }
    Some(format!("{sha} {date}").trim().to_string())
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match commit() {
        Some(c) => format!("{version} ({c})"),
        None => version,
    };
    println!("cargo:rustc-env=GUESTNET_VERSION={full}");
}
