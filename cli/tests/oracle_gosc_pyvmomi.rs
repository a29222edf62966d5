#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Oracle: pyVmomi (PyPI `pyvmomi`, the VMware SDK whose deserializer rejects unknown
//! elements, unknown xsi:types and malformed scalars) reads every CustomizationSpec the gosc
//! target renders for the golden cases — bare and inside a CustomizeVM_Task body — as a
//! `vim.vm.customization.Specification`, re-serializes it (which checks required fields),
//! and its canonical serialization has exactly our element order (WSDL order).
//!
//! Interpreter: `$GUESTNET_PYTHON`, else Debian's `/usr/bin/python3` (what `.ci/run`
//! installs pyvmomi into).

mod common;

use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::render::{self, Target};
use guestnet_core::vim25::customization::Identity;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> String {
    std::env::var("GUESTNET_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

fn pyvmomi_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import pyVmomi"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    common::oracle_found(
        ok,
        &format!("{} cannot import pyVmomi", python()),
        "pip install pyvmomi (see .ci/run)",
    )
}

fn script() -> PathBuf {
    common::workspace_root().join("cli/tests/oracles/pyvmomi_check.py")
}

/// Runs the checker over `(file, api version)` pairs; one JSON result per file.
fn check(files: &[(PathBuf, String)], dir: &Path) -> Vec<Value> {
    let manifest = dir.join("manifest.tsv");
    let text: String = files
        .iter()
        .map(|(f, v)| format!("{}\t{v}\n", f.display()))
        .collect();
    std::fs::write(&manifest, text).unwrap();
    let out = Command::new(python())
        .arg(script())
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyvmomi_check.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn golden_gosc_is_accepted_by_pyvmomi_in_wsdl_order() {
    if !pyvmomi_available() {
        return;
    }
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    // (file, expected host name if the identity carries one)
    let mut expect: Vec<Option<String>> = Vec::new();
    for case in common::golden_cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        for envelope in [None, Some(EnvelopeKind::CustomizeVm)] {
            let mut opts = common::case_options(&case);
            if let Some(e) = envelope {
                opts.render.gosc.envelope = e;
            }
            for (i, u) in common::resolved_units(&case, &opts).iter().enumerate() {
                let (vm, r) = (u.vm.as_ref().unwrap(), u.resolved.as_ref().unwrap());
                let out = render::render(Target::Gosc, vm, r, &opts.render);
                let Some(a) = out.artifacts.first() else {
                    continue;
                };
                let f = dir
                    .path()
                    .join(format!("{name}.{i}.{}.xml", envelope.is_some()));
                std::fs::write(&f, &a.content).unwrap();
                files.push((f, opts.render.gosc.api_version.to_string()));
                let carries_host = render::gosc::spec(vm, r, &opts.render, &mut Vec::new())
                    .is_some_and(|s| {
                        matches!(s.identity, Identity::LinuxPrep(_) | Identity::Sysprep(_))
                    });
                expect.push(carries_host.then(|| r.host_name.value.clone()));
            }
        }
    }
    let results = check(&files, dir.path());
    assert_eq!(results.len(), files.len());
    let mut failures = Vec::new();
    let mut identities = std::collections::BTreeMap::<String, usize>::new();
    for ((r, (f, _)), host) in results.iter().zip(&files).zip(&expect) {
        if r["ok"] != Value::Bool(true) {
            failures.push(format!(
                "{}: {} {}\n{}",
                f.display(),
                r["stage"],
                r["error"],
                std::fs::read_to_string(f).unwrap()
            ));
            continue;
        }
        *identities
            .entry(r["identity"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        if let Some(h) = host
            && r["host"].as_str() != Some(h.as_str())
        {
            failures.push(format!(
                "{}: pyVmomi read host name {} where guestnet wrote {h:?}",
                f.display(),
                r["host"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "pyVmomi rejected:\n{}",
        failures.join("\n---\n")
    );
    for kind in ["LinuxPrep", "Sysprep", "SysprepText", "CloudinitPrep"] {
        assert!(
            identities.keys().any(|k| k.ends_with(&format!(".{kind}"))),
            "no {kind} checked: {identities:?}"
        );
    }
    assert!(files.len() >= 80, "only {} specs checked", files.len());
    eprintln!(
        "pyVmomi accepted {} rendered specs ({identities:?}) in {:.1}s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn oracle_rejects_what_it_should() {
    // Keeps the oracle honest: each mutation of a valid spec must fail the check.
    if !pyvmomi_available() {
        return;
    }
    let case = common::workspace_root().join("golden-tests/gosc-linuxprep-static");
    let opts = common::case_options(&case);
    let u = &common::resolved_units(&case, &opts)[0];
    let good = render::render(
        Target::Gosc,
        u.vm.as_ref().unwrap(),
        u.resolved.as_ref().unwrap(),
        &opts.render,
    )
    .artifacts[0]
        .content
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let mutations = [
        ("good", good.clone()),
        (
            "unknown element",
            good.replacen("<domain>", "<bogusField>1</bogusField><domain>", 1),
        ),
        (
            "unknown xsi:type",
            good.replacen("CustomizationFixedIp\"", "CustomizationFixedIpX\"", 1),
        ),
        (
            "order",
            good.replacen(
                "<domain>example.internal</domain>\n    <timeZone>Europe/Berlin</timeZone>",
                "<timeZone>Europe/Berlin</timeZone>\n    <domain>example.internal</domain>",
                1,
            ),
        ),
        (
            "bad boolean",
            good.replacen("<hwClockUTC>true<", "<hwClockUTC>yes<", 1),
        ),
    ];
    let files: Vec<(PathBuf, String)> = mutations
        .iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let f = dir.path().join(format!("m{i}.xml"));
            std::fs::write(&f, text).unwrap();
            (f, "9.1.0.0".to_string())
        })
        .collect();
    // A 9.1 spec (LinuxPrep password) checked as API 7.0: pyVmomi drops the newer element,
    // so the order comparison fails — which is how the oracle proves --api-version gating.
    let case = common::workspace_root().join("golden-tests/gosc-api-version-7.0");
    let mut opts = common::case_options(&case);
    opts.render.gosc.api_version = guestnet_core::vim25::VimVersion::NEWEST;
    let u = &common::resolved_units(&case, &opts)[0];
    let newer = render::render(
        Target::Gosc,
        u.vm.as_ref().unwrap(),
        u.resolved.as_ref().unwrap(),
        &opts.render,
    );
    let f = dir.path().join("newer.xml");
    std::fs::write(&f, &newer.artifacts[0].content).unwrap();
    let mut files = files;
    files.push((f, "7.0.0.0".into()));
    let results = check(&files, dir.path());
    assert_eq!(
        results.last().unwrap()["ok"],
        Value::Bool(false),
        "{}",
        results.last().unwrap()
    );
    for ((what, text), r) in mutations.iter().zip(&results) {
        if *what != "good" {
            assert_ne!(text, &good, "{what}: mutation did not apply");
        }
        let ok = r["ok"] == Value::Bool(true);
        assert_eq!(ok, *what == "good", "{what}: {r}");
    }
}
