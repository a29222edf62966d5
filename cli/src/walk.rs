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

/// Every input of a run, kept compactly: a fleet's 100,000 paths as `PathBuf`s in `Input`s
/// took 147 bytes each (15 MB), most of it the directory part every file of a folder
/// repeats. Here a path is its folder (stored once) and the rest of its bytes, 20 bytes of
/// record plus the file name. [`Inputs::get`] hands out an [`Input`] when one is read.
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// Distinct folder parts: a path's bytes up to and including its last `/`.
    dirs: Vec<Box<[u8]>>,
    dir_of: std::collections::HashMap<Box<[u8]>, u32>,
    /// The rest of every path, back to back.
    bytes: Vec<u8>,
    items: Vec<Item>,
    reasons: Vec<Box<str>>,
}

#[derive(Debug, Clone, Copy)]
struct Item {
    dir: u32,
    start: u32,
    len: u32,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stdin,
    File {
        walked: bool,
    },
    /// Index into `Inputs::reasons`.
    Skipped(u32),
}

impl Inputs {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn push(&mut self, input: Input) {
        use std::os::unix::ffi::OsStrExt;
        let (path, kind) = match input {
            Input::Stdin => (PathBuf::new(), Kind::Stdin),
            Input::File { path, walked } => (path, Kind::File { walked }),
            Input::Skipped { path, reason } => {
                let r = u32::try_from(self.reasons.len()).unwrap_or(u32::MAX);
                self.reasons.push(reason.into());
                (path, Kind::Skipped(r))
            }
        };
        let b = path.as_os_str().as_bytes();
        let cut = b.iter().rposition(|&c| c == b'/').map_or(0, |i| i + 1);
        let (dir, rest) = b.split_at(cut);
        let dir = match self.dir_of.get(dir) {
            Some(&d) => d,
            None => {
                let d = u32::try_from(self.dirs.len()).unwrap_or(u32::MAX);
                self.dirs.push(dir.into());
                self.dir_of.insert(dir.into(), d);
                d
            }
        };
        let start = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(rest);
        self.items.push(Item {
            dir,
            start,
            len: u32::try_from(rest.len()).unwrap_or(u32::MAX),
            kind,
        });
    }

    fn parts(&self, it: &Item) -> (&[u8], &[u8]) {
        let dir = self.dirs.get(it.dir as usize).map_or(&[][..], |d| &d[..]);
        let rest = self
            .bytes
            .get(it.start as usize..it.start as usize + it.len as usize)
            .unwrap_or_default();
        (dir, rest)
    }

    fn path(&self, it: &Item) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        let (dir, rest) = self.parts(it);
        let mut b = Vec::with_capacity(dir.len() + rest.len());
        b.extend_from_slice(dir);
        b.extend_from_slice(rest);
        PathBuf::from(std::ffi::OsStr::from_bytes(&b))
    }

    /// Input `i` as a value of its own.
    pub fn get(&self, i: usize) -> Option<Input> {
        let it = self.items.get(i)?;
        Some(match it.kind {
            Kind::Stdin => Input::Stdin,
            Kind::File { walked } => Input::File {
                path: self.path(it),
                walked,
            },
            Kind::Skipped(r) => Input::Skipped {
                path: self.path(it),
                reason: self
                    .reasons
                    .get(r as usize)
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
            },
        })
    }

    /// The name findings show for input `i` (as [`Input::name`]).
    pub fn name(&self, i: usize) -> String {
        let Some(it) = self.items.get(i) else {
            return String::new();
        };
        if it.kind == Kind::Stdin {
            return "-".into();
        }
        let (dir, rest) = self.parts(it);
        match (std::str::from_utf8(dir), std::str::from_utf8(rest)) {
            (Ok(d), Ok(r)) => [d, r].concat(),
            _ => self.path(it).display().to_string(),
        }
    }

    /// Whether input `i` is a path that is not read.
    pub fn is_skipped(&self, i: usize) -> bool {
        self.items
            .get(i)
            .is_some_and(|it| matches!(it.kind, Kind::Skipped(_)))
    }

    /// Whether input `i` is a regular file (not stdin, not skipped).
    pub fn is_file(&self, i: usize) -> bool {
        self.items
            .get(i)
            .is_some_and(|it| matches!(it.kind, Kind::File { .. }))
    }

    pub fn iter(&self) -> impl Iterator<Item = Input> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Keeps the inputs whose position `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut i = 0;
        self.items.retain(|_| {
            i += 1;
            keep(i - 1)
        });
    }

    /// Sorts the inputs from `start` on into the order a depth-first walk that visits each
    /// directory's entries by name gives: as byte strings with every `/` a zero byte, which
    /// sorts below any byte of a name, so `a/x.yaml` comes before `a.yaml` as it does in such
    /// a walk. (The walker's own sort compared entries by re-parsing both paths' file names,
    /// 12 million instructions for a directory of 2,000 files.)
    fn sort_from(&mut self, start: usize) {
        let mut tail = self.items.split_off(start.min(self.items.len()));
        let key = |it: &Item| {
            let (dir, rest) = self.parts(it);
            dir.iter()
                .chain(rest)
                .map(|&b| if b == b'/' { 0 } else { b })
        };
        tail.sort_by(|a, b| {
            if a.dir == b.dir {
                // No `/` after the folder part: the rest compares as it is.
                self.parts(a).1.cmp(self.parts(b).1)
            } else {
                key(a).cmp(key(b))
            }
        });
        self.items.append(&mut tail);
    }
}

/// Walks one directory, unsorted, then sorts what it found (see [`Inputs::sort_from`]).
fn walk_dir(root: &Path, opts: &WalkOptions, gi: &Gitignore, out: &mut Inputs) {
    let start = out.len();
    walk_unsorted(root, opts, gi, out);
    out.sort_from(start);
}

fn walk_unsorted(root: &Path, opts: &WalkOptions, gi: &Gitignore, out: &mut Inputs) {
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
pub fn expand(paths: &[String], opts: &WalkOptions) -> Result<Inputs, WalkError> {
    let gi = excludes(opts)?;
    let mut out = Inputs::default();
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
    out.dir_of = Default::default();
    out.items.shrink_to_fit();
    out.bytes.shrink_to_fit();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &Inputs) -> Vec<String> {
        v.iter()
            .map(|i| match &i {
                Input::File { path, .. } => path.file_name().unwrap().to_string_lossy().into(),
                Input::Skipped { path, .. } => {
                    format!("skip:{}", path.file_name().unwrap().to_string_lossy())
                }
                Input::Stdin => "-".into(),
            })
            .collect()
    }

    /// The order `Inputs::sort_from` must give, computed the plain way: the whole path with
    /// every `/` as a zero byte.
    fn plain_order(i: &Input) -> Vec<u8> {
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

    fn arbitrary_input() -> impl proptest::strategy::Strategy<Value = Input> {
        use proptest::prelude::*;
        use std::os::unix::ffi::OsStrExt;
        // Few distinct bytes, many slashes: shared folders, `//`, names that prefix others,
        // bytes below `/` (`-`, `.`) and a byte that is not UTF-8.
        let path = proptest::collection::vec(
            prop_oneof![
                Just(b'/'),
                Just(b'a'),
                Just(b'b'),
                Just(b'-'),
                Just(b'.'),
                Just(0xffu8)
            ],
            0..12,
        )
        .prop_map(|b| PathBuf::from(std::ffi::OsStr::from_bytes(&b)));
        prop_oneof![
            Just(Input::Stdin),
            (path.clone(), any::<bool>()).prop_map(|(path, walked)| Input::File { path, walked }),
            (path, "[a-z ]{0,8}").prop_map(|(path, reason)| Input::Skipped { path, reason }),
        ]
    }

    proptest::proptest! {
        #[test]
        fn inputs_give_back_what_was_pushed_in_walk_order(
            v in proptest::collection::vec(arbitrary_input(), 0..40),
            cut in 0usize..40,
        ) {
            let mut inputs = Inputs::default();
            for i in &v {
                inputs.push(i.clone());
            }
            let back: Vec<Input> = inputs.iter().collect();
            proptest::prop_assert_eq!(&back, &v);
            for (k, i) in v.iter().enumerate() {
                proptest::prop_assert_eq!(inputs.name(k), i.name());
                proptest::prop_assert_eq!(inputs.is_skipped(k), matches!(i, Input::Skipped { .. }));
            }
            let cut = cut.min(v.len());
            inputs.sort_from(cut);
            let mut want = v.clone();
            want[cut..].sort_by_cached_key(plain_order);
            let got: Vec<Vec<u8>> = inputs.iter().map(|i| plain_order(&i)).collect();
            let want_keys: Vec<Vec<u8>> = want.iter().map(plain_order).collect();
            proptest::prop_assert_eq!(got, want_keys);
            let before: Vec<Input> = inputs.iter().collect();
            inputs.retain(|k| k % 3 != 1);
            let kept: Vec<Input> = before
                .into_iter()
                .enumerate()
                .filter(|(k, _)| k % 3 != 1)
                .map(|(_, i)| i)
                .collect();
            proptest::prop_assert_eq!(inputs.iter().collect::<Vec<_>>(), kept);
        }
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
