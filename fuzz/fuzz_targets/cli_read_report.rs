//! Any bytes as an input file, the way the CLI reads them (bounded, UTF-8 checked, BOM
//! stripped), through the pipeline, and every finding through every report format: must not
//! panic; JSON and SARIF must stay JSON documents with one entry per finding; human output
//! must carry no control character from the input; github output one line per finding.
#![no_main]
use guestnet_cli::inputs;
use guestnet_cli::report::{self, Format};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limit = 1 << 16;
    let (text, mut diags) = match inputs::decode("f.yaml", data.to_vec(), limit) {
        Ok(s) => {
            let c = compile_str(&s.text, &[], &CompileOptions::default());
            let d: Vec<_> = c.all_diagnostics().cloned().collect();
            (Some(s.text), d)
        }
        Err(d) => (None, vec![d]),
    };
    for d in &mut diags {
        d.file = Some("f.yaml".into());
    }
    let text_of = |_: &str| text.as_deref();
    for f in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let out = report::render(f, &diags, &text_of, false);
        match f {
            Format::Json => {
                let v: serde_json::Value = serde_json::from_str(&out).expect("json");
                assert_eq!(v.as_array().map(Vec::len), Some(diags.len()));
            }
            Format::Sarif => {
                let v: serde_json::Value = serde_json::from_str(&out).expect("sarif");
                assert_eq!(
                    v["runs"][0]["results"].as_array().map(Vec::len),
                    Some(diags.len())
                );
            }
            Format::Human => {
                assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
            }
            Format::Github => assert_eq!(out.lines().count(), diags.len()),
        }
    }
});
