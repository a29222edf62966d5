//! The Helm-template detector and the `guestnet:ignore` comment parser read arbitrary
//! repository text: they must not panic, suppression only ever removes findings (never
//! adds or changes one), and a finding on a line no comment names is kept.
#![no_main]
use guestnet_core::suppress::{RulePolicy, postprocess};
use guestnet_core::{Code, Diagnostic, classify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = classify::is_go_template(text);
    let lines = text.lines().count() as u32 + 2;
    let diags: Vec<Diagnostic> = (1..=lines)
        .map(|l| {
            let mut d = Diagnostic::new(Code::GatewayOutsideSubnet, "p", "m");
            d.line = Some(l);
            d
        })
        .collect();
    let kept = postprocess(text, diags.clone(), &RulePolicy::default());
    assert!(kept.len() <= diags.len());
    assert!(kept.iter().all(|k| diags.contains(k)));
    if !text.contains("guestnet:ignore") {
        assert_eq!(kept.len(), diags.len());
    }
});
