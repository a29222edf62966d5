//! libvirt's own VMX parser (`virVMXParseConfig`) as an oracle: `virsh -c
//! vmwareplayer:///session domxml-from-native vmware-vmx FILE` with Debian 12's
//! `libvirt-clients` (the vmware driver is built into `libvirt0`). The driver opens only when
//! VMware's `vmrun` and, next to it, `vmplayer` are on PATH; it runs `vmplayer -v` and parses
//! "VMware Player <version>" (libvirt src/vmware/vmware_conf.c, vmwareParseVersionStr), and
//! `vmrun -T player list` for running VMs. Two stand-in scripts print exactly that, and
//! nothing else: the parse of every file is libvirt's.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guestnet_core::ip::parse_mac;
use guestnet_core::model::VirtualMachine;
use guestnet_core::resolve::Resolved;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const URI: &str = "vmwareplayer:///session";

/// Whether virsh is installed (loudly skipped, or failed under GUESTNET_REQUIRE_ORACLES=1).
pub fn available() -> bool {
    super::oracle_available(
        "virsh",
        "apt-get install libvirt-clients (Debian 12: libvirt 9.0)",
    )
}

/// Writes the two stand-ins into `dir` and returns a PATH with `dir` first.
pub fn stand_ins(dir: &Path) -> OsString {
    std::fs::create_dir_all(dir).unwrap();
    for (name, out) in [
        ("vmplayer", "VMware Player 17.0.0 build-20800274"),
        ("vmrun", "Total running VMs: 0"),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\necho '{out}'\n")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    let mut paths = vec![dir.to_path_buf()];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap()
}

/// A VMX snippet made a VMX file libvirt accepts: the two keys `virVMXParseConfig` calls
/// essential (`config.version`, `virtualHW.version`; vSphere 7.0 U2+ hardware) and a
/// display name. Everything else is guestnet's snippet, unchanged.
pub fn wrap(snippet: &str) -> String {
    format!(
        "{snippet}config.version = \"8\"\nvirtualHW.version = \"19\"\ndisplayName = \"guestnet-oracle\"\n"
    )
}

/// Parses every file with libvirt, many per virsh process: file -> domain XML or libvirt's
/// error message.
pub fn domxml_from_native(
    path_env: &OsString,
    files: &[PathBuf],
) -> BTreeMap<PathBuf, Result<String, String>> {
    let mut out = BTreeMap::new();
    for chunk in files.chunks(200) {
        let cmd: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let f = f.to_str().unwrap();
                assert!(!f.contains('\''), "unquotable path {f}");
                format!("echo @@@{i}; domxml-from-native vmware-vmx '{f}'")
            })
            .collect();
        let o = Command::new("virsh")
            .env("PATH", path_env)
            .args(["-q", "-c", URI, &cmd.join("; ")])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout).to_string();
        let mut xml: BTreeMap<usize, String> = BTreeMap::new();
        // `virsh -q` echoes without a newline: "@@@<i><domain ...".
        for part in stdout.split("@@@").skip(1) {
            let digits = part.bytes().take_while(u8::is_ascii_digit).count();
            xml.insert(part[..digits].parse().unwrap(), part[digits..].to_string());
        }
        for (i, f) in chunk.iter().enumerate() {
            match xml.get(&i).filter(|x| x.contains("<domain")) {
                Some(x) => {
                    out.insert(f.clone(), Ok(x.clone()));
                }
                None => {
                    // Again on its own, to get libvirt's error for this file.
                    let o = Command::new("virsh")
                        .env("PATH", path_env)
                        .args(["-q", "-c", URI, "domxml-from-native", "vmware-vmx"])
                        .arg(f)
                        .output()
                        .unwrap();
                    let err = String::from_utf8_lossy(&o.stderr).trim().to_string();
                    out.insert(
                        f.clone(),
                        Err(if err.is_empty() {
                            "no domain XML".into()
                        } else {
                            err
                        }),
                    );
                }
            }
        }
    }
    out
}

/// One `<interface>` of libvirt's domain XML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nic {
    /// `bridge` (a networkName), `null` (none), ...
    pub kind: String,
    pub mac: Option<String>,
    /// `static` or `generated` (libvirt reads `vpx` as generated).
    pub mac_type: Option<String>,
    /// `no` when the VMX disables vSphere's MAC check.
    pub check: Option<String>,
    /// The networkName as libvirt read it (libvirt does not undo VMX `|XX` escapes).
    pub bridge: Option<String>,
    pub model: Option<String>,
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn attr(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!(" {name}='"))? + name.len() + 3;
    let end = line[start..].find('\'')? + start;
    Some(xml_unescape(&line[start..end]))
}

/// The `<interface>` elements of a domain XML, in order (libvirt emits ethernet0..9 in
/// order, one element per line).
pub fn nics(xml: &str) -> Vec<Nic> {
    let mut out = Vec::new();
    let mut cur: Option<Nic> = None;
    for line in xml.lines().map(str::trim) {
        if line.starts_with("<interface ") {
            cur = Some(Nic {
                kind: attr(line, "type").unwrap_or_default(),
                ..Nic::default()
            });
        } else if line == "</interface>" {
            out.extend(cur.take());
        } else if let Some(n) = cur.as_mut() {
            if line.starts_with("<mac ") {
                n.mac = attr(line, "address");
                n.mac_type = attr(line, "type");
                n.check = attr(line, "check");
            } else if line.starts_with("<source ") {
                n.bridge = attr(line, "bridge");
            } else if line.starts_with("<model ") {
                n.model = attr(line, "type");
            }
        }
    }
    out
}

/// ESXi's reading of a VMX value (open-vm-tools Escape_Undo('|'), its state machine as
/// written): `|` + two hex digits is that byte; anything else stays, and a byte that breaks
/// an escape off is not itself the start of one.
pub fn esxi_unescape(raw: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let (mut out, mut start, mut state, mut h) = (Vec::new(), 0usize, 0u8, 0u8);
    let b = raw.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match state {
            0 => state = u8::from(c == b'|'),
            1 => match hex(c) {
                Some(d) => (state, h) = (2, d),
                None => state = 0,
            },
            _ => {
                if let Some(l) = hex(c) {
                    out.extend_from_slice(&b[start..i - 2]);
                    out.push(h << 4 | l);
                    start = i + 1;
                }
                state = 0;
            }
        }
    }
    out.extend_from_slice(&b[start..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// The libvirt model of a v1alpha6 interface `type` (VMware's device for it; VMXNet2 is
/// vmxnet with features 15, which libvirt reports as vmxnet2; SR-IOV is not an emulated
/// device and the snippet shows vmxnet3).
fn model(nic_type: Option<&str>) -> &'static str {
    match nic_type {
        Some("E1000") => "e1000",
        Some("E1000e") => "e1000e",
        Some("VMXNet2") => "vmxnet2",
        Some("PCNet32") => "vlance",
        _ => "vmxnet3",
    }
}

/// How libvirt must report a MAC from each of VMware's ranges (libvirt's vmx.c mapping):
/// 00:50:56:00-3f static, 00:50:56:80-bf vpx and 00:0c:29 generated (both reported as
/// generated), anything else static with vSphere's MAC check off.
fn mac_kind(mac: &str) -> (&'static str, Option<&'static str>) {
    match parse_mac(mac).unwrap() {
        [0x00, 0x0c, 0x29, ..] => ("generated", None),
        [0x00, 0x50, 0x56, b, ..] if b <= 0x3f => ("static", None),
        [0x00, 0x50, 0x56, b, ..] if (0x80..=0xbf).contains(&b) => ("generated", None),
        _ => ("static", Some("no")),
    }
}

pub fn check_nics(vm: &VirtualMachine, r: &Resolved, got: &[Nic]) -> Vec<String> {
    let mut p = Vec::new();
    if got.len() != r.interfaces.len() {
        p.push(format!(
            "{} NICs for {} interfaces: {got:?}",
            got.len(),
            r.interfaces.len()
        ));
        return p;
    }
    let specs = vm.interfaces();
    for (n, (f, nic)) in r.interfaces.iter().zip(got).enumerate() {
        let spec_type = specs.get(f.index).and_then(|s| s.nic_type.as_deref());
        let want = Nic {
            kind: if f.network.is_some() {
                "bridge"
            } else {
                "null"
            }
            .into(),
            mac: Some(
                f.mac
                    .as_ref()
                    .map_or("00:00:00:00:00:00".to_string(), |m| m.value.clone()),
            ),
            mac_type: Some(
                f.mac
                    .as_ref()
                    .map_or("generated", |m| mac_kind(&m.value).0)
                    .into(),
            ),
            check: f
                .mac
                .as_ref()
                .and_then(|m| mac_kind(&m.value).1)
                .map(str::to_string),
            bridge: f.network.clone(),
            model: Some(model(spec_type).into()),
        };
        let mut seen = nic.clone();
        seen.bridge = seen.bridge.as_deref().map(esxi_unescape);
        if seen != want {
            p.push(format!(
                "ethernet{n} ({}): libvirt read {seen:?}, guestnet meant {want:?}",
                f.name
            ));
        }
    }
    p
}
