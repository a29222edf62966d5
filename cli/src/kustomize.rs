//! Kustomize patches are not whole objects: a strategic-merge patch of a VirtualMachine
//! carries only the fields it changes, so judging it as a VM would report everything it
//! leaves to its base. guestnet finds the kustomizations that list a file as a patch and
//! skips it (GN407); `kustomize build overlay | guestnet validate -` checks the result.
//!
//! A kustomization is looked for in the folder of every input and in each folder above it
//! (up to the repository root), and among the inputs themselves.

use crate::paths::{absolute, normalize};
use guestnet_core::source::{Node, NodeKind, yaml};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The file names kustomize reads in a folder.
pub const FILE_NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Patch files, each with the kustomization that lists it (as the user named it).
#[derive(Debug, Default)]
pub struct Patches {
    by_file: BTreeMap<PathBuf, String>,
}

impl Patches {
    /// Finds the kustomizations around `inputs` and the patches they list.
    pub fn discover<S: AsRef<str>>(inputs: impl IntoIterator<Item = S>) -> Patches {
        let mut seen_dirs = BTreeSet::new();
        let mut kustomizations = Vec::new();
        // The directory part of the previous input as written: a walk lists a directory's
        // files together, and a directory already searched needs no absolute path.
        let mut last_dir: Option<String> = None;
        for input in inputs {
            let input = input.as_ref();
            if input == "-" {
                continue;
            }
            let (dir_as_written, file_name) = crate::paths::dir_as_written(input);
            let is_kustomization = FILE_NAMES.contains(&file_name);
            if !is_kustomization && last_dir.as_deref() == Some(dir_as_written) {
                continue;
            }
            match &mut last_dir {
                Some(d) => {
                    d.clear();
                    d.push_str(dir_as_written);
                }
                None => last_dir = Some(dir_as_written.to_string()),
            }
            let abs = absolute(Path::new(input));
            if is_kustomization {
                kustomizations.push((abs.clone(), input.to_string()));
            }
            let Some(dir) = abs.parent() else { continue };
            for d in dir.ancestors() {
                if seen_dirs.contains(d) || !seen_dirs.insert(d.to_path_buf()) {
                    break;
                }
                for name in FILE_NAMES {
                    let k = d.join(name);
                    if k.is_file() {
                        kustomizations.push((k, display_near(input, d, name)));
                    }
                }
                if d.join(".git").exists() {
                    break;
                }
            }
        }
        let mut patches = Patches::default();
        let mut read = BTreeSet::new();
        for (file, shown) in kustomizations {
            if !read.insert(file.clone()) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Some(dir) = file.parent() else { continue };
            for p in patch_paths(&text) {
                patches
                    .by_file
                    .entry(normalize(&dir.join(p)))
                    .or_insert_with(|| shown.clone());
            }
        }
        patches
    }

    /// The kustomization that lists `input` as a patch, if any.
    pub fn kustomization_of(&self, input: &str) -> Option<&str> {
        if input == "-" || self.by_file.is_empty() {
            return None;
        }
        self.by_file
            .get(&absolute(Path::new(input)))
            .map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_file.is_empty()
    }
}

/// How to name a kustomization found above an input: relative like the input was given.
fn display_near(input: &str, dir: &Path, name: &str) -> String {
    let input_dir = Path::new(input).parent().unwrap_or(Path::new(""));
    let abs_input_dir = absolute(input_dir);
    let mut up = PathBuf::from(input_dir);
    let mut cur = abs_input_dir.as_path();
    while cur != dir {
        up.push("..");
        match cur.parent() {
            Some(p) => cur = p,
            None => return dir.join(name).display().to_string(),
        }
    }
    normalize(&up.join(name)).display().to_string()
}

/// The patch files a kustomization (or Component) names: `patches[].path`,
/// `patchesStrategicMerge[]` (file entries, not inline patches) and
/// `patchesJson6902[].path`.
pub fn patch_paths(text: &str) -> Vec<String> {
    let Ok(docs) = yaml::parse_documents(text, &Default::default()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in &docs {
        let items = |key: &str| -> Vec<&Node> {
            match d.root.get(key).map(|n| &n.kind) {
                Some(NodeKind::Seq(items)) => items.iter().collect(),
                _ => Vec::new(),
            }
        };
        for key in ["patches", "patchesJson6902"] {
            for item in items(key) {
                if let Some(p) = item.get("path").and_then(Node::as_str) {
                    out.push(p.to_string());
                }
            }
        }
        for item in items("patchesStrategicMerge") {
            if let Some(p) = item.as_str().filter(|p| !p.contains('\n')) {
                out.push(p.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_file_patches_of_every_style() {
        let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\npatches:\n- path: vm-patch.yaml\n- target: {kind: VirtualMachine}\n  patch: |-\n    - op: replace\n      path: /spec/className\n      value: large\npatchesStrategicMerge:\n- mem.yaml\n- |-\n  apiVersion: v1\n  kind: ConfigMap\npatchesJson6902:\n- target: {kind: VirtualMachine, name: web}\n  path: ../patches/json.yaml\n";
        assert_eq!(
            patch_paths(k),
            vec!["vm-patch.yaml", "../patches/json.yaml", "mem.yaml"]
        );
    }

    #[test]
    fn finds_patches_next_to_and_above_inputs() {
        let d = tempfile::tempdir().unwrap();
        let overlay = d.path().join("overlays/dev");
        std::fs::create_dir_all(&overlay).unwrap();
        std::fs::create_dir_all(d.path().join("overlays/patches")).unwrap();
        std::fs::write(
            overlay.join("kustomization.yaml"),
            "patches:\n- path: vm-patch.yaml\n- path: ../patches/json.yaml\n",
        )
        .unwrap();
        std::fs::write(overlay.join("vm-patch.yaml"), "kind: VirtualMachine\n").unwrap();
        let input = overlay.join("vm-patch.yaml").display().to_string();
        let p = Patches::discover(std::slice::from_ref(&input));
        assert!(
            p.kustomization_of(&input)
                .unwrap()
                .ends_with("overlays/dev/kustomization.yaml")
        );
        let json = d
            .path()
            .join("overlays/patches/json.yaml")
            .display()
            .to_string();
        assert!(p.kustomization_of(&json).is_some());
        assert!(
            p.kustomization_of(&overlay.join("other.yaml").display().to_string())
                .is_none()
        );
    }
}
