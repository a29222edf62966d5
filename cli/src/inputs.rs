//! Finding and reading input files: paths, directories (walked, sorted), and `-` for stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path} is not UTF-8 text")]
    NotUtf8 { path: String },
}

/// One input text with the name diagnostics show for it.
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InputError> {
    let read = |e| InputError::Read {
        path: dir.display().to_string(),
        source: e,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_manifest(&p) {
            out.push(p);
        }
    }
    Ok(())
}

/// Expands the command-line paths into files, in a deterministic order.
pub fn expand(paths: &[String]) -> Result<Vec<String>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            out.push("-".to_string());
            continue;
        }
        let path = Path::new(p);
        if path.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            out.extend(files.into_iter().map(|f| f.display().to_string()));
        } else if path.exists() {
            out.push(p.clone());
        } else {
            return Err(InputError::Missing { path: p.clone() });
        }
    }
    Ok(out)
}

pub fn read(name: &str) -> Result<Source, InputError> {
    let bytes = if name == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| InputError::Read {
                path: "-".into(),
                source: e,
            })?;
        b
    } else {
        std::fs::read(name).map_err(|e| InputError::Read {
            path: name.into(),
            source: e,
        })?
    };
    let text = String::from_utf8(bytes).map_err(|_| InputError::NotUtf8 { path: name.into() })?;
    Ok(Source {
        name: name.to_string(),
        text,
    })
}
