//! Conformance against the real files in `../shared/fixtures` (vm-operator's CRD, netplan's
//! examples). Runs only where that folder exists; the README test command passes without it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_cli::crd::Crd;
use guestnet_core::pipeline::{self, CompileOptions};
use guestnet_core::{Code, Severity, parse};
use std::path::PathBuf;

fn fixtures() -> Option<PathBuf> {
    let p = common::workspace_root().join("../shared/fixtures");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("conformance: ../shared/fixtures not present, skipping");
        None
    }
}

/// Documents guestnet accepts pass vm-operator's real CRD schema; documents with unknown
/// fields or CRD-pattern violations fail it too.
#[test]
fn golden_inputs_agree_with_the_vm_operator_crd() {
    let Some(fx) = fixtures() else { return };
    let crd = Crd::load(
        &std::fs::read_to_string(fx.join("crd/vmoperator.vmware.com_virtualmachines.yaml"))
            .unwrap(),
    )
    .unwrap();
    let crd_level = [
        Code::UnknownField,
        Code::MissingField,
        Code::WrongType,
        Code::InterfaceName,
        Code::GuestDeviceName,
        Code::MacAddress,
        Code::RouteMetric,
        Code::TooManyInterfaces,
        Code::IpamModes,
    ];
    let (mut pass, mut fail) = (0, 0);
    for case in common::golden_cases() {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let Ok(docs) = pipeline::load(&text, &Default::default()) else {
            continue;
        };
        let cats = pipeline::catalogs(&docs);
        for d in &docs {
            if !matches!(d.input, Some(pipeline::Input::VirtualMachine(..))) {
                continue;
            }
            let u = pipeline::analyze(d.clone(), &cats, &CompileOptions::default());
            if u.diagnostics.iter().any(|x| x.code == Code::Yaml11Boolean) {
                continue;
            }
            let ours = u
                .diagnostics
                .iter()
                .any(|x| crd_level.contains(&x.code) && x.severity == Severity::Error);
            let theirs = crd.check(&d.root);
            // Every CRD finding is also a guestnet error at the same place (or an
            // enclosing/enclosed field).
            for t in &theirs {
                let related = |a: &str, b: &str| {
                    a == b
                        || a.starts_with(&format!("{b}."))
                        || a.starts_with(&format!("{b}["))
                        || b.starts_with(&format!("{a}."))
                        || b.starts_with(&format!("{a}["))
                };
                assert!(
                    u.diagnostics
                        .iter()
                        .any(|x| x.severity == Severity::Error && related(&x.path, &t.path)),
                    "{}: the CRD finds {} at {} and guestnet has no error there: {:?}",
                    case.display(),
                    t.message,
                    t.path,
                    u.diagnostics
                );
            }
            if ours {
                assert!(
                    !theirs.is_empty(),
                    "{}: guestnet rejects at schema level, the CRD accepts",
                    case.display()
                );
            }
            if theirs.is_empty() {
                pass += 1
            } else {
                fail += 1
            }
        }
    }
    assert!(pass > 40 && fail > 5, "pass {pass} fail {fail}");
}

/// netplan's own examples read back into VirtualMachines: what a VM can carry is kept,
/// what it cannot is reported at its line, and the result validates.
#[test]
fn netplan_examples_convert() {
    let Some(fx) = fixtures() else { return };
    let mut n = 0;
    for e in std::fs::read_dir(fx.join("netplan")).unwrap().flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let parsed = parse::parse(parse::Format::Netplan, &text, "fixture");
        assert!(
            parsed
                .diagnostics
                .iter()
                .all(|d| d.severity != Severity::Error),
            "{}: {:?}",
            p.display(),
            parsed.diagnostics
        );
        for d in &parsed.diagnostics {
            assert!(
                d.line.is_some(),
                "{}: lossy warning without a position: {d:?}",
                p.display()
            );
        }
        assert_eq!(parsed.vms.len(), 1);
        n += 1;
    }
    assert!(n >= 10, "{n} netplan fixtures");
}
