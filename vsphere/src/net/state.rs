//! `--state FILE`: what a fleet run applied, so a re-run skips VMs whose spec is unchanged
//! and retries the rest. The file is JSON, rewritten atomically (temp file + rename) after
//! every VM, so an interrupted run loses nothing it finished.
//!
//! The spec fingerprint is a SHA-256 of the VirtualMachine as parsed (Secret *references*,
//! never values) and the options that change what is sent. A changed Secret value alone
//! therefore does not re-apply a VM; `--force` does.

use crate::plan::{GoscMethod, Job, Options};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The vCenter URL the VM was applied on.
    pub server: String,
    /// SHA-256 (hex) of the applied spec.
    pub spec: String,
    /// `applied` or `failed`.
    pub status: String,
    #[serde(default)]
    pub vm: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub guestnet_state: u32,
    pub vms: BTreeMap<String, Entry>,
}

impl Default for State {
    fn default() -> Self {
        State {
            guestnet_state: VERSION,
            vms: BTreeMap::new(),
        }
    }
}

impl State {
    /// A missing file is an empty state; an unreadable one is an error (never overwritten).
    pub fn load(path: &Path) -> Result<State, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(e) => {
                return Err(format!(
                    "cannot read the state file {}: {e}",
                    path.display()
                ));
            }
        };
        let s: State = serde_json::from_str(&text).map_err(|e| {
            format!(
                "the state file {} is not a guestnet state file ({e}); move it away to start over",
                path.display()
            )
        })?;
        if s.guestnet_state != VERSION {
            return Err(format!(
                "the state file {} has version {}, this guestnet writes {VERSION}",
                path.display(),
                s.guestnet_state
            ));
        }
        Ok(s)
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n";
        write_atomic(path, text.as_bytes())
            .map_err(|e| format!("cannot write the state file {}: {e}", path.display()))
    }

    /// Whether `key` was applied with exactly this spec on this server.
    pub fn unchanged(&self, key: &str, server: &str, spec: &str) -> bool {
        self.vms
            .get(key)
            .is_some_and(|e| e.status == "applied" && e.spec == spec && e.server == server)
    }
}

fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// The fingerprint of what would be applied to a VM.
pub fn spec_hash(job: &Job, o: &Options) -> String {
    let vm = serde_json::to_string(&job.vm).unwrap_or_default();
    let method = match o.method {
        GoscMethod::Auto => "auto",
        GoscMethod::CustomizeVm => "customize-vm",
        GoscMethod::CustomizeGuest => "customize-guest",
    };
    let opts = format!(
        "power_on={} use_macs={} method={method} guest_user={:?} target={}",
        o.power_on, o.use_macs, o.guest_user, job.target
    );
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [vm.as_bytes(), b"\0", opts.as_bytes()] {
        ctx.update(part);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("state.json");
        assert_eq!(State::load(&p).unwrap(), State::default());
        let mut s = State::default();
        s.vms.insert(
            "ns/a".into(),
            Entry {
                server: "https://vc:443/sdk".into(),
                spec: "abc".into(),
                status: "applied".into(),
                vm: "vm-1".into(),
                message: String::new(),
            },
        );
        s.save(&p).unwrap();
        let back = State::load(&p).unwrap();
        assert_eq!(back, s);
        assert!(back.unchanged("ns/a", "https://vc:443/sdk", "abc"));
        assert!(!back.unchanged("ns/a", "https://other:443/sdk", "abc"));
        assert!(!back.unchanged("ns/a", "https://vc:443/sdk", "abd"));
        // Only the state file is left behind, no temp files.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
        std::fs::write(&p, "not json").unwrap();
        assert!(
            State::load(&p)
                .unwrap_err()
                .contains("not a guestnet state file")
        );
    }
}
