//! Output that never leaves `--out-dir` and never leaves a stale or half-written folder.
//!
//! Below the output directory every path component is opened relative to its parent's file
//! descriptor with `O_NOFOLLOW`, so a symbolic link planted at `DIR/<namespace>` or at a VM's
//! folder is refused instead of followed. A VM's artifacts are written into a fresh folder
//! whose name is created with `mkdirat` (fails if anything exists there) and whose files are
//! opened with `O_CREAT|O_EXCL|O_NOFOLLOW`; the folder then replaces the VM's folder as a unit
//! (`renameat2(RENAME_EXCHANGE)`), so an artifact of a previous render never survives next to
//! new ones, and a failure (disk full) leaves the previous folder untouched.

use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, FileType, Mode, OFlags, RenameFlags};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A write that failed, with the path it concerned.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct WriteError {
    pub path: String,
    pub message: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_name(base: &str, what: &str) -> String {
    format!(
        ".{base}.{what}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
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

fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

/// Opens (creating if needed) the directory `name` below `parent`, refusing links.
fn subdir(parent: &OwnedFd, name: &str, shown: &Path) -> Result<OwnedFd, WriteError> {
    let err = |e: rustix::io::Errno| {
        let message = if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR {
            "is a symbolic link or not a directory; guestnet does not write through it".into()
        } else {
            std::io::Error::from(e).to_string()
        };
        WriteError {
            path: shown.display().to_string(),
            message,
        }
    };
    match rustix::fs::openat(parent, name, dir_flags(), Mode::empty()) {
        Ok(fd) => Ok(fd),
        Err(rustix::io::Errno::NOENT) => {
            match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755)) {
                Ok(()) | Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(err(e)),
            }
            rustix::fs::openat(parent, name, dir_flags(), Mode::empty()).map_err(err)
        }
        Err(e) => Err(err(e)),
    }
}

/// Removes `name` below `dir` without following links: a link is removed, not its target.
fn remove_tree(dir: &OwnedFd, name: &str, depth: usize) -> rustix::io::Result<()> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory || depth > 32 {
        return rustix::fs::unlinkat(dir, name, AtFlags::empty());
    }
    let sub = rustix::fs::openat(dir, name, dir_flags(), Mode::empty())?;
    let mut names = Vec::new();
    for e in rustix::fs::Dir::read_from(&sub)? {
        let e = e?;
        let n = e.file_name().to_string_lossy().into_owned();
        if n != "." && n != ".." {
            names.push(n);
        }
    }
    for n in names {
        remove_tree(&sub, &n, depth + 1)?;
    }
    rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)
}

/// A VM's artifacts written into a fresh hidden folder next to its final place.
#[derive(Debug, PartialEq, Eq)]
pub struct Staged {
    ns: String,
    name: String,
    tmp: String,
}

impl Staged {
    /// `<namespace>/<name>` below the output directory.
    pub fn folder(&self) -> String {
        format!("{}/{}", self.ns, self.name)
    }
}

/// The folders a batch staged, waiting for its plan to commit or discard each: every VM of
/// a render waits there until the last file is read. As three strings in a hash map a
/// folder cost ~280 bytes, a quarter of what a 100,000-VM render kept per VM; here it is its
/// `namespace/name/temporary` text in shared pages plus 12 bytes. Components never hold a
/// `/` ([`safe_component`] and [`temp_name`] make them), so the text splits back exactly.
#[derive(Debug, Default)]
pub struct StagedSet {
    texts: guestnet_core::batch::Arena,
    /// By VM id, ascending (VMs are staged in the order the planner numbers them).
    items: Vec<(u32, guestnet_core::batch::Text)>,
}

impl StagedSet {
    /// Adds the folder staged for `vm`; ids come in ascending order.
    pub fn push(&mut self, vm: u32, s: &Staged) {
        let t = self.texts.intern(&format!("{}/{}/{}", s.ns, s.name, s.tmp));
        self.items.push((vm, t));
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every staged folder with its VM, in VM order; the set is empty afterwards.
    pub fn drain(&mut self) -> impl Iterator<Item = (u32, Staged)> + use<> {
        let texts = std::mem::take(&mut self.texts);
        std::mem::take(&mut self.items)
            .into_iter()
            .filter_map(move |(vm, t)| {
                let mut parts = texts.get(t).splitn(3, '/');
                let (ns, name, tmp) = (parts.next()?, parts.next()?, parts.next()?);
                Some((
                    vm,
                    Staged {
                        ns: ns.into(),
                        name: name.into(),
                        tmp: tmp.into(),
                    },
                ))
            })
    }
}

/// The output directory of a render.
#[derive(Debug)]
pub struct OutDir {
    root: OwnedFd,
    path: PathBuf,
}

impl OutDir {
    /// Creates (if needed) and opens `--out-dir`. The directory itself is the user's choice
    /// and may be reached through links; nothing below it is.
    pub fn open(path: &Path) -> Result<OutDir, WriteError> {
        let err = |e: std::io::Error| WriteError {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(path).map_err(err)?;
        let root = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| err(e.into()))?;
        Ok(OutDir {
            root,
            path: path.to_path_buf(),
        })
    }

    fn shown(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    /// Writes `artifacts` (file name, content) into a fresh folder for `ns/name`.
    pub fn stage(
        &self,
        ns: &str,
        name: &str,
        artifacts: &[(&str, &[u8])],
    ) -> Result<Staged, WriteError> {
        let (Some(ns), Some(name)) = (safe_component(ns), safe_component(name)) else {
            return Err(WriteError {
                path: self.shown(&format!("{ns}/{name}")).display().to_string(),
                message: "metadata.name/namespace is not a DNS-1123 name; not writing".into(),
            });
        };
        let nsfd = subdir(&self.root, ns, &self.shown(ns))?;
        let mut tmp = String::new();
        for _ in 0..100 {
            let t = temp_name(name, "tmp");
            match rustix::fs::mkdirat(&nsfd, t.as_str(), Mode::from_raw_mode(0o755)) {
                Ok(()) => {
                    tmp = t;
                    break;
                }
                Err(rustix::io::Errno::EXIST) => continue,
                Err(e) => {
                    return Err(WriteError {
                        path: self.shown(&format!("{ns}/{t}")).display().to_string(),
                        message: std::io::Error::from(e).to_string(),
                    });
                }
            }
        }
        let staged = Staged {
            ns: ns.into(),
            name: name.into(),
            tmp,
        };
        let fill = || -> Result<(), WriteError> {
            let shown = self.shown(&format!("{ns}/{}", staged.tmp));
            let dir = subdir(&nsfd, &staged.tmp, &shown)?;
            for (file, content) in artifacts {
                let at = shown.join(file);
                let werr = |e: std::io::Error| WriteError {
                    path: at.display().to_string(),
                    message: e.to_string(),
                };
                if file.contains('/') || file.starts_with('.') || file.is_empty() {
                    return Err(werr(std::io::Error::other("unsafe artifact name")));
                }
                let fd = rustix::fs::openat(
                    &dir,
                    *file,
                    OFlags::WRONLY
                        | OFlags::CREATE
                        | OFlags::EXCL
                        | OFlags::NOFOLLOW
                        | OFlags::CLOEXEC,
                    Mode::from_raw_mode(0o644),
                )
                .map_err(|e| werr(e.into()))?;
                let mut f = std::fs::File::from(fd);
                f.write_all(content).map_err(werr)?;
                // No fsync: the folder swap already guarantees readers see the old or the new
                // folder; an fsync per artifact made a 70k-file batch render disk-bound.
            }
            Ok(())
        };
        if let Err(e) = fill() {
            let _ = remove_tree(&nsfd, &staged.tmp, 0);
            return Err(e);
        }
        Ok(staged)
    }

    /// Puts a staged folder in place of the VM's folder, as a unit.
    pub fn commit(&self, s: Staged) -> Result<(), WriteError> {
        let shown = self.shown(&s.folder());
        let err = |e: rustix::io::Errno| WriteError {
            path: shown.display().to_string(),
            message: std::io::Error::from(e).to_string(),
        };
        let nsfd = subdir(&self.root, &s.ns, &self.shown(&s.ns))?;
        let done = match rustix::fs::renameat_with(
            &nsfd,
            s.tmp.as_str(),
            &nsfd,
            s.name.as_str(),
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => return Ok(()),
            Err(rustix::io::Errno::EXIST) => rustix::fs::renameat_with(
                &nsfd,
                s.tmp.as_str(),
                &nsfd,
                s.name.as_str(),
                RenameFlags::EXCHANGE,
            ),
            Err(e) => Err(e),
        };
        match done {
            // The old folder now has the temporary name.
            Ok(()) => remove_tree(&nsfd, &s.tmp, 0).map_err(err),
            // A file system without renameat2: move the old folder aside, then swap.
            Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
                let old = temp_name(&s.name, "old");
                match rustix::fs::renameat(&nsfd, s.name.as_str(), &nsfd, old.as_str()) {
                    Ok(()) | Err(rustix::io::Errno::NOENT) => {}
                    Err(e) => {
                        let _ = remove_tree(&nsfd, &s.tmp, 0);
                        return Err(err(e));
                    }
                }
                rustix::fs::renameat(&nsfd, s.tmp.as_str(), &nsfd, s.name.as_str()).map_err(err)?;
                match remove_tree(&nsfd, &old, 0) {
                    Ok(()) | Err(rustix::io::Errno::NOENT) => Ok(()),
                    Err(e) => Err(err(e)),
                }
            }
            Err(e) => {
                let _ = remove_tree(&nsfd, &s.tmp, 0);
                Err(err(e))
            }
        }
    }

    /// Removes a staged folder that must not be used (its VM failed after all).
    pub fn discard(&self, s: Staged) {
        if let Ok(nsfd) = rustix::fs::openat(&self.root, s.ns.as_str(), dir_flags(), Mode::empty())
        {
            let _ = remove_tree(&nsfd, &s.tmp, 0);
        }
    }
}

/// Writes one file atomically (a temporary file created with `O_EXCL|O_NOFOLLOW` in the same
/// directory, synced, then renamed over the target, which is replaced even if it is a link
/// rather than followed). For `--ipam-state`, whose loss would change allocations.
pub fn write_file_atomic(path: &Path, content: &[u8]) -> Result<(), WriteError> {
    let shown = path.display().to_string();
    let err = |e: std::io::Error| WriteError {
        path: shown.clone(),
        message: e.to_string(),
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
        return Err(err(std::io::Error::other("not a file name")));
    };
    let dir = rustix::fs::open(
        parent,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err(e.into()))?;
    let mut tmp = String::new();
    let mut fd = None;
    for _ in 0..100 {
        let t = temp_name(file, "tmp");
        match rustix::fs::openat(
            &dir,
            t.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        ) {
            Ok(f) => {
                tmp = t;
                fd = Some(f);
                break;
            }
            Err(rustix::io::Errno::EXIST) => continue,
            Err(e) => return Err(err(e.into())),
        }
    }
    let Some(fd) = fd else {
        return Err(err(std::io::Error::other("no free temporary name")));
    };
    let mut f = std::fs::File::from(fd);
    let r = f
        .write_all(content)
        .and_then(|_| f.sync_all())
        .map_err(err)
        .and_then(|_| {
            rustix::fs::renameat(&dir, tmp.as_str(), &dir, file).map_err(|e| err(e.into()))
        });
    if r.is_err() {
        let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), AtFlags::empty());
    }
    r
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

    fn listing(p: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn staged_folders_come_back_as_they_were_staged_in_vm_order() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::open(d.path()).unwrap();
        let mut set = StagedSet::default();
        let mut want = Vec::new();
        for (vm, (ns, name)) in [("a", "web-1"), ("b.c", "x"), ("a", "web-1"), ("z", "db.1")]
            .into_iter()
            .enumerate()
        {
            let s = out.stage(ns, name, &[("f", b"1")]).unwrap();
            set.push(vm as u32 * 3, &s);
            want.push((vm as u32 * 3, s));
        }
        assert_eq!(set.len(), 4);
        let got: Vec<(u32, Staged)> = set.drain().collect();
        assert_eq!(got, want);
        assert!(set.is_empty());
        // What came back still commits: the text held the real temporary names.
        for (_, s) in got {
            out.commit(s).unwrap();
        }
        assert_eq!(listing(&d.path().join("a")), vec!["web-1"]);
        assert_eq!(listing(&d.path().join("z")), vec!["db.1"]);
    }

    #[test]
    fn folder_is_replaced_as_a_unit() {
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::open(d.path()).unwrap();
        let s = out
            .stage("ns", "vm", &[("cust.cfg", b"old"), ("netplan.yaml", b"n1")])
            .unwrap();
        out.commit(s).unwrap();
        let s = out.stage("ns", "vm", &[("netplan.yaml", b"n2")]).unwrap();
        out.commit(s).unwrap();
        assert_eq!(listing(&d.path().join("ns/vm")), vec!["netplan.yaml"]);
        assert_eq!(
            listing(&d.path().join("ns")),
            vec!["vm"],
            "no temporary left"
        );
        assert_eq!(
            std::fs::read(d.path().join("ns/vm/netplan.yaml")).unwrap(),
            b"n2"
        );
    }

    #[test]
    fn links_below_the_out_dir_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let victim = tempfile::tempdir().unwrap();
        let outp = d.path().join("out");
        std::fs::create_dir(&outp).unwrap();
        std::os::unix::fs::symlink(victim.path(), outp.join("ns")).unwrap();
        let out = OutDir::open(&outp).unwrap();
        let e = out.stage("ns", "vm", &[("a", b"x")]).unwrap_err();
        assert!(e.message.contains("symbolic link"), "{e}");
        assert!(
            listing(victim.path()).is_empty(),
            "nothing written through the link"
        );
        // A link at the VM's folder is replaced, not followed.
        std::fs::remove_file(outp.join("ns")).unwrap();
        std::fs::create_dir(outp.join("ns")).unwrap();
        std::fs::write(victim.path().join("keep"), "x").unwrap();
        std::os::unix::fs::symlink(victim.path(), outp.join("ns/vm")).unwrap();
        let s = out.stage("ns", "vm", &[("a", b"x")]).unwrap();
        out.commit(s).unwrap();
        assert_eq!(listing(victim.path()), vec!["keep"]);
        assert_eq!(listing(&outp.join("ns/vm")), vec!["a"]);
    }

    #[test]
    fn state_file_replaces_a_planted_link_instead_of_following_it() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let state = d.path().join("state.json");
        std::os::unix::fs::symlink(&victim, &state).unwrap();
        write_file_atomic(&state, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&state).unwrap(), "{}");
        assert!(
            !std::fs::symlink_metadata(&state)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn full_disk_leaves_nothing_behind() {
        // /dev/full as an artifact target is not possible below a directory; use a read-only
        // namespace folder instead: the stage fails and the previous folder stays.
        let d = tempfile::tempdir().unwrap();
        let out = OutDir::open(d.path()).unwrap();
        let s = out.stage("ns", "vm", &[("a", b"1")]).unwrap();
        out.commit(s).unwrap();
        let bad = out.stage("ns", "vm", &[("a", b"2"), ("../x", b"3")]);
        assert!(bad.is_err());
        assert_eq!(listing(&d.path().join("ns")), vec!["vm"]);
        assert_eq!(std::fs::read(d.path().join("ns/vm/a")).unwrap(), b"1");
    }
}
