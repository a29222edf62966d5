//! `--against REV`: each input file as it was at a git revision, so vm-operator's
//! update-time rules can compare every VirtualMachine with the revision the cluster has.
//! In the pre-commit hook the inputs are the staged files and REV is `HEAD`.
//!
//! Reads through the `git` command (one `rev-parse` per repository, one `cat-file
//! --batch` for all files), so it works wherever the user's git works (worktrees,
//! partial clones, alternates).

use crate::paths::absolute;
use guestnet_core::model::VirtualMachine;
use guestnet_core::pipeline::{self, CompileOptions, Unit};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) -> Result<Option<String>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("--against needs git: {e}"))?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
}

/// The repository holding `dir`, and REV resolved there (`None`: a repository without
/// commits, so every VM is new).
fn repository(dir: &Path, rev: &str) -> Result<(PathBuf, Option<String>), String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?.ok_or_else(|| {
        format!(
            "--against {rev}: {} is not in a git repository",
            dir.display()
        )
    })?;
    let commit = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )?;
    if commit.is_none() && git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])?.is_some() {
        return Err(format!("--against {rev}: unknown revision"));
    }
    Ok((PathBuf::from(top), commit))
}

/// The text of every file at REV (`None`: the file did not exist there, or is stdin).
pub fn previous_texts(files: &[String], rev: &str) -> Result<Vec<Option<String>>, String> {
    let mut out = vec![None; files.len()];
    let mut repos: Vec<(PathBuf, Option<String>)> = Vec::new();
    // Per repository: (index into `files`, path from the repository root).
    let mut wanted: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f == "-" {
            continue;
        }
        let real = std::fs::canonicalize(f).unwrap_or_else(|_| absolute(Path::new(f)));
        let repo = match repos.iter().position(|(top, _)| real.starts_with(top)) {
            Some(r) => r,
            None => {
                let dir = real.parent().map(Path::to_path_buf).unwrap_or_default();
                let (top, commit) = repository(&dir, rev)?;
                let top = std::fs::canonicalize(&top).unwrap_or(top);
                repos.push((top, commit));
                repos.len() - 1
            }
        };
        let Some((top, _)) = repos.get(repo) else {
            continue;
        };
        if let Ok(rel) = real.strip_prefix(top) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            wanted.entry(repo).or_default().push((i, rel));
        }
    }
    for (repo, items) in wanted {
        let Some((top, Some(commit))) = repos.get(repo) else {
            continue;
        };
        let texts = cat_files(top, commit, items.iter().map(|(_, p)| p.as_str()))?;
        for ((i, _), text) in items.iter().zip(texts) {
            if let Some(slot) = out.get_mut(*i) {
                *slot = text;
            }
        }
    }
    Ok(out)
}

/// `git cat-file --batch` for `commit:path` of every path, in order.
fn cat_files<'a>(
    top: &Path,
    commit: &str,
    paths: impl Iterator<Item = &'a str>,
) -> Result<Vec<Option<String>>, String> {
    let request: String = paths
        .filter(|p| !p.contains('\n'))
        .map(|p| format!("{commit}:{p}\n"))
        .collect();
    let count = request.lines().count();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("--against needs git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("git cat-file: no stdin")?;
    // Write from another thread: git answers while it reads, and a full pipe would block.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child.stdout.take().ok_or("git cat-file: no stdout")?;
    let mut r = BufReader::new(stdout);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut header = String::new();
        r.read_line(&mut header)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let mut parts = header.split_whitespace();
        let (_, kind, size) = (parts.next(), parts.next(), parts.next());
        match (kind, size.and_then(|s| s.parse::<usize>().ok())) {
            (Some("blob"), Some(n)) => {
                let mut buf = vec![0; n + 1];
                r.read_exact(&mut buf)
                    .map_err(|e| format!("git cat-file: {e}"))?;
                buf.truncate(n);
                out.push(String::from_utf8(buf).ok());
            }
            (Some(_), Some(n)) => {
                // A tree or submodule at that path: nothing to compare with.
                let mut skip = vec![0; n + 1];
                r.read_exact(&mut skip)
                    .map_err(|e| format!("git cat-file: {e}"))?;
                out.push(None);
            }
            _ => out.push(None),
        }
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}

/// Applies the update-time rules to a VM whose file existed at REV with the same
/// `(namespace, name)` (`previous`: that file's VMs, [`pipeline::previous_vms`]); a VM
/// without a previous revision is new and keeps the create rules.
pub fn apply(
    unit: &mut Unit,
    previous: &[((String, String), VirtualMachine)],
    opts: &CompileOptions,
) {
    if let Some(key) = unit.vm.as_ref().map(pipeline::vm_key)
        && let Some((_, old)) = previous.iter().find(|(k, _)| *k == key)
    {
        pipeline::against(unit, old, opts);
    }
}
