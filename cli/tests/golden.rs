#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Golden cases: every folder in `golden-tests/` holds `input.yaml` (optionally
//! `options.yaml`) and one insta snapshot per target plus the diagnostics. Review changes
//! with `cargo insta review`; CI runs with `INSTA_UPDATE=no`, so a stale snapshot fails.

use guestnet_core::explain;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::NetworkProvider;
use std::path::Path;

fn options(case: &Path) -> CompileOptions {
    let mut o = CompileOptions::default();
    if let Ok(text) = std::fs::read_to_string(case.join("options.yaml")) {
        for line in text.lines() {
            match line.trim() {
                "gatewayStyle: gateway4" => o.render.gateway_style = GatewayStyle::Gateway4,
                "provider: vpc" => o.validate.provider = Some(NetworkProvider::Vpc),
                "provider: vds" => o.validate.provider = Some(NetworkProvider::Vds),
                l if l.starts_with("macPolicy: ") => {
                    o.resolve.mac_policy = MacPolicy::parse(&l["macPolicy: ".len()..])
                        .unwrap_or_else(|| panic!("unknown macPolicy in {}", case.display()))
                }
                l if l.starts_with("custcfgMarkerId: ") => {
                    o.render.custcfg_marker_id = Some(l["custcfgMarkerId: ".len()..].to_string())
                }
                "custcfgPostGcStatus: true" => o.render.custcfg_post_gc_status = true,
                "" => {}
                other => panic!("unknown option line {other:?} in {}", case.display()),
            }
        }
    }
    o
}

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
        let opts = options(case);
        let compiled = compile_str(&input, &[], &opts);
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
                explain_text.push_str(&explain::text(r));
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
