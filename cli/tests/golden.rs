#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Golden cases: every folder in `golden-tests/` holds `input.yaml` (optionally
//! `options.yaml`) and one insta snapshot per target plus the diagnostics. Review changes
//! with `cargo insta review`; CI runs with `INSTA_UPDATE=no`, so a stale snapshot fails.

mod common;

use guestnet_core::explain;
use guestnet_core::pipeline::{self, compile_str};
use guestnet_core::render::{self, Target};

/// Diagnostics in a reviewable one-line-each form: code severity line:col path: message.
fn diag_lines<'a>(ds: impl Iterator<Item = &'a guestnet_core::Diagnostic>) -> String {
    let mut s = String::new();
    for d in ds {
        s.push_str(&format!(
            "{} {} {}:{} {}\n",
            d.code,
            d.severity,
            d.line.unwrap_or(0),
            d.column.unwrap_or(0),
            d.webhook_text()
        ));
        if let Some(h) = &d.help {
            s.push_str(&format!("    help: {h}\n"));
        }
    }
    if s.is_empty() {
        s.push_str("(none)\n");
    }
    s
}

#[test]
fn golden() {
    insta::glob!("../../golden-tests", "*/input.yaml", |path| {
        let case = path.parent().expect("case folder");
        let input = std::fs::read_to_string(path).expect("input");
        let opts = common::case_options(case);
        let mut compiled = compile_str(&input, &[], &opts);
        // `previous.yaml`: the same VMs at an earlier revision (update-time rules, --against).
        if let Ok(prev) = std::fs::read_to_string(case.join("previous.yaml")) {
            let previous = pipeline::previous_vms(&prev, &opts.limits);
            for u in &mut compiled.units {
                guestnet_cli::against::apply(u, &previous, &opts);
            }
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(case);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_suffix("");
        settings.set_omit_expression(true);
        settings.bind(|| {
            insta::assert_snapshot!("diagnostics", diag_lines(compiled.all_diagnostics()));
            let mut explain_text = String::new();
            let mut per_target: Vec<(Target, String)> =
                Target::ALL.iter().map(|t| (*t, String::new())).collect();
            for u in &compiled.units {
                let (Some(vm), Some(r)) = (&u.vm, &u.resolved) else {
                    continue;
                };
                explain_text.push_str(&explain::text(&explain::in_source(r, &u.paths)));
                for (t, out) in per_target.iter_mut() {
                    let mut rendered = render::render(*t, vm, r, &opts.render);
                    for d in &mut rendered.diagnostics {
                        u.locate(d);
                    }
                    for a in &rendered.artifacts {
                        out.push_str(&format!("# {}\n{}", a.name, a.content));
                    }
                    if !rendered.diagnostics.is_empty() {
                        out.push_str("# diagnostics\n");
                        out.push_str(&diag_lines(rendered.diagnostics.iter()));
                    }
                }
            }
            // `--target all` semantics (GN313): what each VM gets, and why not the rest.
            let render_all = std::fs::read_to_string(case.join("options.yaml"))
                .is_ok_and(|o| o.lines().any(|l| l.trim() == "renderAll: true"));
            if render_all {
                let mut out = String::new();
                for u in &compiled.units {
                    let (Some(vm), Some(r)) = (&u.vm, &u.resolved) else {
                        continue;
                    };
                    let mut all = render::render_targets(Target::ALL, &[], vm, r, &opts.render);
                    for d in &mut all.diagnostics {
                        u.locate(d);
                    }
                    for a in &all.artifacts {
                        out.push_str(&format!("# {}\n", a.name));
                    }
                    out.push_str("# diagnostics\n");
                    out.push_str(&diag_lines(all.diagnostics.iter()));
                }
                insta::assert_snapshot!("render-all", out);
            }
            if explain_text.is_empty() {
                return;
            }
            insta::assert_snapshot!("explain", explain_text);
            for (t, out) in per_target {
                insta::assert_snapshot!(t.as_str(), out);
            }
        });
    });
}

/// `guestnet rules` is the one source of truth for severities: every finding of the golden
/// corpus (validation, batch checks, every target's renderer, and every reverse parser run
/// on the rendered artifacts) has its code's default severity, or the documented alternate
/// under its documented condition.
#[test]
fn every_finding_has_its_codes_documented_severity() {
    use guestnet_core::render::gosc::customization_latched_off;
    use guestnet_core::{Code, Diagnostic, Severity, parse};
    let mut checked = 0usize;
    let mut check = |case: &std::path::Path, d: &Diagnostic, provider: bool, preview: bool| {
        assert!(
            d.code.allows(d.severity),
            "{}: {} is {} but `guestnet rules` documents {}: {}",
            case.display(),
            d.code,
            d.severity,
            d.code.severity_doc(),
            d.webhook_text()
        );
        match d.code {
            Code::NetworkProvider => assert_eq!(
                d.severity == Severity::Error,
                provider,
                "{}: GN142 is an error exactly with --provider",
                case.display()
            ),
            Code::CustCfgNeedsMac | Code::CustCfgNoNics => assert_eq!(
                d.severity == Severity::Warning,
                preview,
                "{}: {} is a warning exactly for a cust.cfg preview",
                case.display(),
                d.code
            ),
            _ => {}
        }
        checked += 1;
    };
    for case in common::golden_cases() {
        let input = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let opts = common::case_options(&case);
        let provider = opts.validate.provider.is_some();
        let compiled = compile_str(&input, &[], &opts);
        for d in compiled.all_diagnostics() {
            check(&case, d, provider, false);
        }
        for u in &compiled.units {
            let (Some(vm), Some(r)) = (&u.vm, &u.resolved) else {
                continue;
            };
            let custcfg_preview = !matches!(
                r.provider,
                guestnet_core::model::Provider::LinuxPrep | guestnet_core::model::Provider::None
            ) || customization_latched_off(vm).is_some();
            for t in Target::ALL {
                let out = render::render(*t, vm, r, &opts.render);
                for d in &out.diagnostics {
                    check(&case, d, provider, custcfg_preview);
                }
                for a in &out.artifacts {
                    let format = match a.name.as_str() {
                        "netplan.yaml" => parse::Format::Netplan,
                        "cust.cfg" => parse::Format::Custcfg,
                        "ovf-env.xml" => parse::Format::Vapp,
                        "snippet.vmx" => parse::Format::Vmx,
                        "gosc.xml" => parse::Format::Gosc,
                        _ => continue,
                    };
                    for d in &parse::parse(format, &a.content, "x").diagnostics {
                        check(&case, d, provider, custcfg_preview);
                    }
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} findings checked");
}
