//! Atomic file output: write a sibling temp file, then rename, so an interrupted run never
//! leaves a half-written artifact where a consumer could pick it up.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("artifact");
    let tmp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        // No fsync: the rename already guarantees readers see the old or the new file, never
        // a torn one; an fsync per artifact made a 70k-file batch render disk-bound.
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A path component derived from a Kubernetes name; refuses anything that could escape the
/// output directory (names are DNS-1123 in a valid manifest, but we do not trust that).
pub fn safe_component(s: &str) -> Option<&str> {
    let ok = !s.is_empty()
        && s.len() <= 253
        && !s.starts_with('.')
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.');
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components() {
        assert_eq!(safe_component("web-01"), Some("web-01"));
        for bad in ["", "..", "../x", "a/b", "A", ".hidden", "a\\b"] {
            assert_eq!(safe_component(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_atomically() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x/y/out.yaml");
        write_atomic(&p, b"a: 1\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a: 1\n");
        let leftovers: Vec<_> = std::fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }
}
