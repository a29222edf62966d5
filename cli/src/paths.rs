//! Lexical path helpers: configuration patterns, kustomize references and git paths are
//! compared as written (no symlink resolution), relative to the folder that names them.

use std::path::{Component, Path, PathBuf};

/// `path` made absolute against the working directory, with `.` and `..` removed.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        match working_dir() {
            Some(d) => d.join(path),
            None => path.to_path_buf(),
        }
    };
    normalize(&joined)
}

/// The working directory, asked once: the repository lookups call [`absolute`] several times
/// per input file, and `getcwd` was a visible share of a batch's system time. Nothing in
/// guestnet changes the working directory.
fn working_dir() -> Option<&'static Path> {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_deref()
}

/// Removes `.` and resolves `..` without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `base` when it lies inside it.
pub fn relative_to(path: &Path, base: &Path) -> Option<PathBuf> {
    path.strip_prefix(base).ok().map(Path::to_path_buf)
}

/// The directory part and the file name of an input path as written (`""` for a bare
/// name). Equal directory parts name one directory (the working directory does not change
/// during a run), so per-directory lookups can reuse the previous file's answer without
/// making the path absolute.
pub fn dir_as_written(input: &str) -> (&str, &str) {
    input.rsplit_once('/').unwrap_or(("", input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(
            relative_to(Path::new("/repo/x/y.yaml"), Path::new("/repo")),
            Some(PathBuf::from("x/y.yaml"))
        );
        assert_eq!(
            relative_to(Path::new("/other/y.yaml"), Path::new("/repo")),
            None
        );
    }
}
