//! Oracle: libvirt's own VMX parser (`virVMXParseConfig`, via `virsh domxml-from-native
//! vmware-vmx`; see `common/libvirt.rs` for the driver's two stand-ins). Every golden case
//! that resolves is rendered to a VMX snippet under each MAC policy (`spec`, `derive`,
//! `pci-order`), wrapped with the keys libvirt calls essential, and read back by libvirt;
//! every `ethernetN` must come back as the interface guestnet resolved: present, in order,
//! with its MAC and the address type VMware's ranges call for (static, generated/vpx, and
//! `checkMACAddress = false` outside them), its virtual device as the libvirt model, and its
//! network as the bridge (networkName read as ESXi reads it), or no MAC pinned when none is
//! known.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::libvirt::{self, check_nics};
use guestnet_core::model::VirtualMachine;
use guestnet_core::pipeline::compile_str;
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::{MacPolicy, Resolved};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[test]
fn esxi_unescape_follows_escape_undo() {
    assert_eq!(libvirt::esxi_unescape("a|22b|7C|0A"), "a\"b|\n");
    assert_eq!(libvirt::esxi_unescape("||22"), "||22");
    assert_eq!(libvirt::esxi_unescape("|2|41"), "|2|41");
    assert_eq!(libvirt::esxi_unescape("x|4"), "x|4");
}

#[test]
fn golden_vmx_reads_back_through_libvirt() {
    if !libvirt::available() {
        return;
    }
    let (_keep, dir) = common::oracle_dir("libvirt-vmx");
    let path = libvirt::stand_ins(&dir.join("bin"));
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut cases: Vec<(String, VirtualMachine, Resolved, PathBuf)> = Vec::new();
    for case in common::golden_cases() {
        let cname = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        for policy in MacPolicy::ALL {
            let opts = common::variant_options(&case, GatewayStyle::Routes, Some(*policy));
            for (ui, u) in compile_str(&text, &[], &opts).units.into_iter().enumerate() {
                let (Some(vm), Some(r)) = (u.vm, u.resolved) else {
                    continue;
                };
                let out = render::render(Target::Vmx, &vm, &r, &opts.render);
                let Some(a) = out.artifacts.first() else {
                    panic!("{cname}[{ui}]: no VMX snippet: {:?}", out.diagnostics)
                };
                let vmx = libvirt::wrap(&a.content);
                let n = files.len();
                let file = files
                    .entry(vmx.clone())
                    .or_insert_with(|| {
                        let f = dir.join(format!("{n:04}.vmx"));
                        std::fs::write(&f, &vmx).unwrap();
                        f
                    })
                    .clone();
                cases.push((format!("{cname}[{ui}] {}", policy.as_str()), vm, r, file));
            }
        }
    }
    let list: Vec<PathBuf> = files.values().cloned().collect();
    let t = Instant::now();
    let parsed = libvirt::domxml_from_native(&path, &list);
    let elapsed = t.elapsed();
    let mut failures = Vec::new();
    let mut nics = 0;
    for (label, vm, r, file) in &cases {
        let problems = match &parsed[file] {
            Ok(xml) => {
                let got = libvirt::nics(xml);
                nics += got.len();
                check_nics(vm, r, &got)
            }
            Err(e) => vec![format!("libvirt rejected it: {e}")],
        };
        if !problems.is_empty() {
            failures.push(format!(
                "{label} ({}):\n  {}",
                file.display(),
                problems.join("\n  ")
            ));
        }
    }
    eprintln!(
        "libvirt read {} distinct VMX files ({} case/policy variants, {nics} NICs) in {:.2}s",
        list.len(),
        cases.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} variants differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(list.len() >= 100, "only {} VMX files", list.len());
}

/// Negative controls: libvirt rejects what ESXi would not read either, and the harness sees
/// a NIC that differs from the resolved configuration.
#[test]
fn harness_catches_what_libvirt_reads_differently() {
    if !libvirt::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = libvirt::stand_ins(&dir.path().join("bin"));
    let text = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1, namespace: ns}\nspec:\n  network:\n    interfaces:\n    - {name: eth0, macAddr: '00:50:56:00:00:01', dhcp4: true, network: {name: pg-a}, type: E1000e}\n    - {name: eth1, macAddr: '00:50:56:80:00:02', dhcp4: true, network: {name: pg-b}}\n";
    let u = compile_str(text, &[], &Default::default()).units.remove(0);
    let (vm, r) = (u.vm.unwrap(), u.resolved.unwrap());
    let snippet = render::render(Target::Vmx, &vm, &r, &Default::default()).artifacts[0]
        .content
        .clone();
    let controls: Vec<(&str, String, &str)> = vec![
        ("same", snippet.clone(), ""),
        (
            "mac",
            snippet.replace("00:50:56:00:00:01", "00:50:56:00:00:09"),
            "ethernet0",
        ),
        (
            "vpx-as-static",
            snippet.replace(
                "ethernet1.addressType = \"vpx\"",
                "ethernet1.addressType = \"static\"",
            ),
            "ethernet1",
        ),
        (
            "model",
            snippet.replace("\"e1000e\"", "\"e1000\""),
            "ethernet0",
        ),
        (
            "network",
            snippet.replace("\"pg-b\"", "\"pg-c\""),
            "ethernet1",
        ),
        (
            "dropped",
            snippet.replace(
                "ethernet1.present = \"TRUE\"",
                "ethernet1.present = \"FALSE\"",
            ),
            "1 NICs for 2",
        ),
        (
            "bad-type",
            snippet.replace("\"vpx\"", "\"bogus\""),
            "rejected",
        ),
        (
            "broken-quote",
            snippet.replace("\"pg-a\"", "\"pg\"a\""),
            "rejected",
        ),
    ];
    let files: Vec<PathBuf> = controls
        .iter()
        .map(|(name, vmx, _)| {
            let f = dir.path().join(format!("{name}.vmx"));
            std::fs::write(&f, libvirt::wrap(vmx)).unwrap();
            f
        })
        .collect();
    let parsed = libvirt::domxml_from_native(&path, &files);
    for ((name, _, needle), f) in controls.iter().zip(&files) {
        let problems = match &parsed[f] {
            Ok(xml) => check_nics(&vm, &r, &libvirt::nics(xml)),
            Err(e) => vec![format!("libvirt rejected it: {e}")],
        }
        .join("\n");
        if needle.is_empty() {
            assert!(problems.is_empty(), "{name}: {problems}");
        } else {
            assert!(
                problems.contains(needle),
                "{name}: harness missed it: {problems:?}"
            );
        }
    }
}
