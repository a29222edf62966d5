//! Which files a run reads: command-line paths, walked directories and `-` for stdin.
//!
//! Walks never follow symbolic links (a `self -> .` link made every file be read ~40 times,
//! two made the walk exponential) and hand on only regular files: a FIFO would hang the run
//! and `/dev/zero` would be read until allocation fails. What is skipped is reported as an
//! informational finding, so nothing disappears silently. `.gitignore` and `.guestnetignore`
//! files are honoured like git does, and `--exclude` adds gitignore-style globs.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// The file name of guestnet's own ignore files (gitignore syntax).
pub const IGNORE_FILE: &str = ".guestnetignore";

/// How inputs are found. A repository configuration fills the same struct.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Gitignore-style globs, matched relative to the current directory (a pattern without a
    /// slash matches at any depth); they apply to named files and walked ones alike.
    pub excludes: Vec<String>,
    /// Honour `.gitignore` and `.guestnetignore` files in walked directories.
    pub ignore_files: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            excludes: Vec::new(),
            ignore_files: true,
        }
    }
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    /// A regular file. `walked` files were found in a directory and are opened without
    /// following a link (the walk saw a regular file there).
    File {
        path: PathBuf,
        walked: bool,
    },
    /// A path that is not read, and why (reported as an informational finding).
    Skipped {
        path: PathBuf,
        reason: String,
    },
}

impl Input {
    /// The name findings show.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            // `display` goes through the formatter and a lossy decoder: 950 instructions a
            // call, several calls a file. A UTF-8 path is copied as it is.
            Input::File { path, .. } | Input::Skipped { path, .. } => match path.to_str() {
                Some(s) => s.to_owned(),
                None => path.display().to_string(),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("--exclude {glob:?}: {message}")]
    Glob { glob: String, message: String },
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Why a file type is not read, or `None` for a regular file.
fn special(ft: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_file() {
        None
    } else if ft.is_symlink() {
        Some("is a symbolic link; walks do not follow links")
    } else if ft.is_fifo() {
        Some("is a FIFO, not a regular file")
    } else if ft.is_char_device() || ft.is_block_device() {
        Some("is a device, not a regular file")
    } else if ft.is_socket() {
        Some("is a socket, not a regular file")
    } else if ft.is_dir() {
        Some("is a directory")
    } else {
        Some("is not a regular file")
    }
}

fn excludes(opts: &WalkOptions) -> Result<Gitignore, WalkError> {
    let mut b = GitignoreBuilder::new(".");
    for g in &opts.excludes {
        b.add_line(None, g).map_err(|e| WalkError::Glob {
            glob: g.clone(),
            message: e.to_string(),
        })?;
    }
    b.build().map_err(|e| WalkError::Glob {
        glob: opts.excludes.join(" "),
        message: e.to_string(),
    })
}

/// Whether `path` or one of its parent directories matches an exclude.
fn excluded(gi: &Gitignore, path: &Path, is_dir: bool) -> bool {
    if gi.is_empty() {
        return false;
    }
    if gi.matched(path, is_dir).is_ignore() {
        return true;
    }
    path.ancestors()
        .skip(1)
        .filter(|p| !p.as_os_str().is_empty())
        .any(|p| gi.matched(p, true).is_ignore())
}

/// The order a depth-first walk that visits each directory's entries by name gives, as one
/// byte string per path: the path with every `/` as a zero byte, which sorts below any byte
/// of a name, so `a/x.yaml` comes before `a.yaml` as it does in such a walk.
fn walk_order(i: &Input) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    match i {
        Input::File { path, .. } | Input::Skipped { path, .. } => path
            .as_os_str()
            .as_bytes()
            .iter()
            .map(|&b| if b == b'/' { 0 } else { b })
            .collect(),
        Input::Stdin => Vec::new(),
    }
}

/// Walks one directory, unsorted, then sorts what it found by [`walk_order`]: the walker's
/// own sort compares entries by re-parsing both paths' file names, 12 million instructions
/// for a directory of 2,000 files (a quarter of a 2,000-file validation's serial part).
fn walk_dir(root: &Path, opts: &WalkOptions, gi: &Gitignore, out: &mut Vec<Input>) {
    let start = out.len();
    walk_unsorted(root, opts, gi, out);
    if let Some(found) = out.get_mut(start..) {
        found.sort_by_cached_key(walk_order);
    }
}

fn walk_unsorted(root: &Path, opts: &WalkOptions, gi: &Gitignore, out: &mut Vec<Input>) {
    let mut b = ignore::WalkBuilder::new(root);
    b.follow_links(false)
        .hidden(true)
        .parents(opts.ignore_files)
        .ignore(false)
        .git_ignore(opts.ignore_files)
        .git_exclude(false)
        .git_global(false)
        .require_git(false);
    if opts.ignore_files {
        b.add_custom_ignore_filename(IGNORE_FILE);
    }
    let gi = gi.clone();
    b.filter_entry(move |e| {
        let dir = e.file_type().is_some_and(|t| t.is_dir());
        e.depth() == 0 || !excluded(&gi, e.path(), dir)
    });
    for r in b.build() {
        let e = match r {
            Ok(e) => e,
            Err(err) => {
                // An unreadable directory (permissions) or a vanished entry.
                let path = match &err {
                    ignore::Error::WithPath { path, .. } => path.clone(),
                    _ => root.to_path_buf(),
                };
                out.push(Input::Skipped {
                    path,
                    reason: format!("cannot be walked: {err}"),
                });
                continue;
            }
        };
        let Some(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            continue;
        }
        let path = e.into_path();
        if !is_manifest(&path) {
            continue;
        }
        match special(&ft) {
            None => out.push(Input::File { path, walked: true }),
            Some(why) => out.push(Input::Skipped {
                path,
                reason: why.into(),
            }),
        }
    }
}

/// Expands the command-line paths into inputs, in a deterministic order (arguments in order,
/// each directory sorted by name). A named path that does not exist is a usage error.
pub fn expand(paths: &[String], opts: &WalkOptions) -> Result<Vec<Input>, WalkError> {
    let gi = excludes(opts)?;
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(p);
        // A named path is the user's own choice: follow it if it is a link.
        let Ok(meta) = std::fs::metadata(path) else {
            if std::fs::symlink_metadata(path).is_ok() {
                out.push(Input::Skipped {
                    path: path.to_path_buf(),
                    reason: "is a dangling symbolic link".into(),
                });
                continue;
            }
            return Err(WalkError::Missing { path: p.clone() });
        };
        let ft = meta.file_type();
        if ft.is_dir() {
            walk_dir(path, opts, &gi, &mut out);
        } else if excluded(&gi, path, false) {
            continue;
        } else {
            match special(&ft) {
                None => out.push(Input::File {
                    path: PathBuf::from(p),
                    walked: false,
                }),
                Some(why) => out.push(Input::Skipped {
                    path: PathBuf::from(p),
                    reason: why.into(),
                }),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Input]) -> Vec<String> {
        v.iter()
            .map(|i| match i {
                Input::File { path, .. } => path.file_name().unwrap().to_string_lossy().into(),
                Input::Skipped { path, .. } => {
                    format!("skip:{}", path.file_name().unwrap().to_string_lossy())
                }
                Input::Stdin => "-".into(),
            })
            .collect()
    }

    /// A temporary directory holding `files` (with their directories).
    fn tree(files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in files {
            let p = d.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "a: 1\n").unwrap();
        }
        d
    }

    #[test]
    fn depth_first_by_name_within_each_directory() {
        let d = tree(&[
            "b.json",
            "a.yaml",
            "a-b.yaml",
            "a/x.yaml",
            "a/B.yaml",
            "b/c/d.yaml",
            "b/a.yaml",
            "a.b/z.yaml",
        ]);
        let root = d.path();
        let got = expand(&[root.display().to_string()], &WalkOptions::default()).unwrap();
        let rel: Vec<String> = got
            .iter()
            .map(|i| {
                i.name()
                    .strip_prefix(&format!("{}/", root.display()))
                    .unwrap()
                    .to_string()
            })
            .collect();
        // What walking each directory's entries in byte order gives: `a` before `a-b.yaml`
        // before `a.b` before `a.yaml`, and a directory's files where its name sorts.
        assert_eq!(
            rel,
            [
                "a/B.yaml",
                "a/x.yaml",
                "a-b.yaml",
                "a.b/z.yaml",
                "a.yaml",
                "b/a.yaml",
                "b/c/d.yaml",
                "b.json"
            ]
        );
    }

    #[test]
    fn loops_links_and_special_files() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("a.yaml"), "a: 1\n").unwrap();
        std::fs::write(root.join("sub/b.yml"), "b: 1\n").unwrap();
        std::fs::write(root.join("notes.txt"), "x").unwrap();
        std::os::unix::fs::symlink(".", root.join("self")).unwrap();
        std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            root.join("pipe.yaml"),
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let got = expand(&[root.display().to_string()], &WalkOptions::default()).unwrap();
        assert_eq!(
            names(&got),
            vec!["a.yaml", "skip:pipe.yaml", "b.yml", "skip:zero.yaml"]
        );
    }

    #[test]
    fn ignore_files_and_excludes() {
        let d = tree(&[
            "keep.yaml",
            "gen/x.yaml",
            "charts/t.yaml",
            "y.tmpl.yaml",
            "local.yaml",
        ]);
        let root = d.path();
        std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
        std::fs::write(root.join(IGNORE_FILE), "local.yaml\n").unwrap();
        let opts = WalkOptions {
            excludes: vec!["charts/".into(), "*.tmpl.yaml".into()],
            ignore_files: true,
        };
        let got = expand(&[root.display().to_string()], &opts).unwrap();
        assert_eq!(names(&got), vec!["keep.yaml"]);
        let all = expand(
            &[root.display().to_string()],
            &WalkOptions {
                excludes: vec![],
                ignore_files: false,
            },
        )
        .unwrap();
        assert_eq!(all.len(), 5);
        assert!(matches!(
            expand(&["/nonexistent/x.yaml".into()], &opts),
            Err(WalkError::Missing { .. })
        ));
    }
}
