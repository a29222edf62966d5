//! Oracle: every netplan document guestnet renders for the golden cases is accepted by the
//! real `netplan generate` (Debian `netplan.io`), in both gateway styles, and produces a
//! systemd-networkd file per interface.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::pipeline::CompileOptions;
use guestnet_core::render::{self, GatewayStyle, Target};
use std::process::Command;

fn netplan_generate(yaml: &str) -> Result<Vec<String>, String> {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/netplan");
    std::fs::create_dir_all(&etc).unwrap();
    let file = etc.join("50-guestnet.yaml");
    std::fs::write(&file, yaml).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new("netplan")
        .arg("generate")
        .arg("--root-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    if !out.status.success() {
        return Err(stderr);
    }
    let mut files: Vec<String> = std::fs::read_dir(dir.path().join("run/systemd/network"))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    Ok(files)
}

#[test]
fn golden_netplan_passes_netplan_generate() {
    if !common::oracle_available("netplan", "apt-get install netplan.io") {
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in common::golden_cases() {
        for style in [GatewayStyle::Routes, GatewayStyle::Gateway4] {
            let mut opts = CompileOptions::default();
            opts.render.gateway_style = style;
            for u in common::resolved_units(&case, &opts) {
                let (vm, r) = (u.vm.as_ref().unwrap(), u.resolved.as_ref().unwrap());
                let out = render::render(Target::Netplan, vm, r, &opts.render);
                let yaml = &out.artifacts[0].content;
                match netplan_generate(yaml) {
                    Ok(files) => {
                        let networks = files.iter().filter(|f| f.ends_with(".network")).count();
                        let expected = r.interfaces.len() + r.vlans.len();
                        if networks != expected {
                            failures.push(format!("{}: {networks} .network files for {expected} interfaces: {files:?}", case.display()));
                        }
                    }
                    Err(e) => {
                        failures.push(format!("{} ({style:?}):\n{e}\n{yaml}", case.display()))
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "netplan rejected:\n{}",
        failures.join("\n---\n")
    );
    assert!(checked >= 40, "only {checked} netplan documents checked");
    eprintln!("netplan generate accepted {checked} rendered documents");
}

#[test]
fn oracle_rejects_what_guestnet_would_reject() {
    // Keeps the oracle honest: the harness must see netplan's own failure.
    if !common::oracle_available("netplan", "apt-get install netplan.io") {
        return;
    }
    let bad = "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [\"10.0.0.5\"]\n";
    assert!(netplan_generate(bad).is_err());
}
