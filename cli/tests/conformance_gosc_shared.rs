#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Conformance against the SOAP bodies recorded from vcsim in the project's shared
//! reference folder (`../shared/fixtures/soap-vcsim`, see its README): every request that
//! carries a CustomizationSpec is read by `guestnet convert --from gosc`'s parser; what
//! vcsim accepted must parse, and the decoder-leniency probes that pyVmomi rejects (unknown
//! element, missing/unknown xsi:type, malformed int/bool) must be errors with a position.
//! Skips (loudly) when the shared folder is not next to the repository.

mod common;

use guestnet_core::Severity;
use guestnet_core::parse::{Format, parse};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};

#[test]
fn recorded_vcsim_requests() {
    let dir = common::workspace_root().join("../shared/fixtures/soap-vcsim");
    if !dir.is_dir() {
        eprintln!(
            "\n!!! CONFORMANCE SKIPPED: {} is absent (shared reference material) !!!\n",
            dir.display()
        );
        return;
    }
    let expect_error = |name: &str| {
        [
            "40_decode_unknown_element",
            "42_decode_missing_xsi_type_identity",
            "44_decode_unknown_xsi_type",
            "46_decode_wrong_type_int",
            "47_decode_wrong_type_bool",
        ]
        .iter()
        .any(|p| name.starts_with(p))
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".req.xml") || n.starts_with("spec_")
        })
        .collect();
    files.sort();
    let mut checked = 0;
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&f).unwrap();
        let carries_spec = name.starts_with("spec_")
            || [
                "<CustomizeVM_Task",
                "<CustomizeGuest_Task",
                "<CreateCustomizationSpec",
                "<OverwriteCustomizationSpec",
            ]
            .iter()
            .any(|m| text.contains(m));
        if !carries_spec {
            continue;
        }
        checked += 1;
        let p = parse(Format::Gosc, &text, "fixture");
        let errors: Vec<_> = p
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if expect_error(&name) {
            assert!(!errors.is_empty(), "{name}: should be rejected");
            assert!(
                errors.iter().all(|d| d.line.is_some()),
                "{name}: {errors:?}"
            );
            continue;
        }
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let vm = &p.vms[0];
        let net = vm.network().unwrap();
        assert_eq!(net.host_name.as_deref(), Some("web01"), "{name}");
        assert_eq!(
            net.domain_name.as_deref(),
            Some("example.internal"),
            "{name}"
        );
        // Rendering the parsed VM gives the recorded spec back, element for element.
        let c = compile_str(
            &guestnet_core::parse::to_yaml(vm),
            &[],
            &CompileOptions::default(),
        );
        let u = &c.units[0];
        let out = render::render(
            Target::Gosc,
            u.vm.as_ref().unwrap(),
            u.resolved.as_ref().unwrap(),
            &Default::default(),
        );
        let again = parse(Format::Gosc, &out.artifacts[0].content, "fixture");
        assert_eq!(again.vms[0].spec, vm.spec, "{name}");
    }
    assert!(
        checked >= 12,
        "only {checked} recorded requests carried a spec"
    );
    eprintln!("conformance: {checked} recorded vcsim requests read");
}
