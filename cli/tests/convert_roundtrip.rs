//! `guestnet convert --to` over every golden input: converted to each served version, a valid
//! manifest stays valid and resolves to the same configuration, whenever the conversion
//! reports no loss. Old-version cases are converted up (always lossless); v1alpha5/v1alpha6
//! cases are converted down where the older version can carry them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::convert::rewrite;
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::{Code, Diagnostic, Severity};
use std::collections::BTreeSet;

fn is_conversion(d: &Diagnostic) -> bool {
    matches!(d.code, Code::ConversionDropped | Code::ConversionRewritten)
}

/// Findings a reader acts on, without positions (they move), conversion notes, and YAML 1.1
/// spelling warnings (the rewritten document spells every value canonically).
fn verdicts(ds: impl Iterator<Item = Diagnostic>) -> BTreeSet<(String, String, String)> {
    ds.filter(|d| {
        d.severity != Severity::Info && !is_conversion(d) && d.code != Code::Yaml11Boolean
    })
    .map(|d| (d.code.to_string(), d.path.clone(), d.message.clone()))
    .collect()
}

fn document_version(text: &str) -> Vec<ApiVersion> {
    text.lines()
        .filter_map(|l| l.strip_prefix("apiVersion: "))
        .filter_map(|v| ApiVersion::parse(v.trim()))
        .collect()
}

#[test]
fn valid_manifests_stay_valid_and_resolve_the_same_in_every_version() {
    let mut lossless = std::collections::BTreeMap::<ApiVersion, usize>::new();
    let mut lossy = 0;
    let mut up_converted = 0;
    for case in common::golden_cases() {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let opts: CompileOptions = common::case_options(&case);
        let original = compile_str(&text, &[], &opts);
        if original
            .all_diagnostics()
            .any(|d| d.severity == Severity::Error)
            || original.units.iter().all(|u| u.vm.is_none())
        {
            continue;
        }
        let hub = rewrite(&text, ApiVersion::HUB, &opts.limits);
        assert!(
            !hub.has_errors(),
            "{}: {:?}",
            case.display(),
            hub.diagnostics
        );
        let old = document_version(&text).iter().any(|v| !v.is_direct());
        for to in ApiVersion::ALL {
            let r = rewrite(&text, to, &opts.limits);
            assert!(
                !r.has_errors(),
                "{} -> {to}: {:?}",
                case.display(),
                r.diagnostics
            );
            // What this target loses beyond what the way up already reported.
            let lost: Vec<&Diagnostic> = r
                .diagnostics
                .iter()
                .filter(|d| is_conversion(d) && !hub.diagnostics.contains(d))
                .collect();
            if !lost.is_empty() {
                // Up to v1alpha5 nothing is lost, unless the conversion annotation restored
                // v1alpha6 fields.
                let restored = hub
                    .diagnostics
                    .iter()
                    .any(|d| d.code == Code::ConversionRestored);
                assert!(
                    !(old && to == ApiVersion::V1alpha5 && !restored),
                    "{}: converting up to {to} lost {lost:?}",
                    case.display()
                );
                lossy += 1;
                continue;
            }
            let out = r.to_yaml();
            let again = compile_str(&out, &[], &opts);
            let errors: Vec<_> = again
                .all_diagnostics()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            assert!(
                errors.is_empty(),
                "{} as {to} does not validate: {errors:?}\n{out}",
                case.display()
            );
            assert_eq!(
                verdicts(again.all_diagnostics().cloned()),
                verdicts(original.all_diagnostics().cloned()),
                "{} as {to}: different findings\n{out}",
                case.display()
            );
            let before: Vec<_> = original.units.iter().map(|u| &u.resolved).collect();
            let after: Vec<_> = again.units.iter().map(|u| &u.resolved).collect();
            assert_eq!(
                before,
                after,
                "{} as {to} resolves differently\n{out}",
                case.display()
            );
            *lossless.entry(to).or_default() += 1;
            if old && to == ApiVersion::HUB {
                up_converted += 1;
            }
        }
    }
    eprintln!(
        "lossless conversions per target: {lossless:?}; lossy (reported) {lossy}; old cases up {up_converted}"
    );
    // Every old-version golden case converts up; most current cases convert down to v1alpha3.
    assert!(up_converted >= 6, "{up_converted}");
    assert!(lossless[&ApiVersion::V1alpha5] >= 60, "{lossless:?}");
    assert!(lossless[&ApiVersion::V1alpha3] >= 30, "{lossless:?}");
    assert!(lossless[&ApiVersion::V1alpha2] >= 20, "{lossless:?}");
    assert!(
        lossless.get(&ApiVersion::V1alpha1).copied().unwrap_or(0) >= 2,
        "{lossless:?}"
    );
}

/// Whatever `convert --to` writes (for any golden input it accepts, valid or not) is a
/// document of that version its loader reads without an input error.
#[test]
fn what_convert_writes_is_well_formed_for_its_version() {
    let mut written = 0;
    for case in common::golden_cases() {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        for to in ApiVersion::ALL {
            let r = rewrite(&text, to, &Default::default());
            if r.has_errors() {
                assert!(r.documents.is_empty(), "{}: partial output", case.display());
                continue;
            }
            let out = r.to_yaml();
            let docs = guestnet_core::pipeline::load(&out, &Default::default()).unwrap();
            for d in &docs {
                let bad: Vec<_> = d
                    .diagnostics
                    .iter()
                    .filter(|x| x.severity == Severity::Error)
                    .collect();
                assert!(bad.is_empty(), "{} as {to}: {bad:?}\n{out}", case.display());
                if let Some(guestnet_core::pipeline::Input::VirtualMachine(_, v)) = &d.input {
                    assert_eq!(*v, to);
                    written += 1;
                }
            }
        }
    }
    assert!(written > 400, "{written}");
}
