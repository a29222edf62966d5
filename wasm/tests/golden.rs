#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The browser API against the reviewed golden snapshots (`golden-tests/`): for every case,
//! `render`, `validate` and `explain` over the input text with the case's options give
//! byte-identical artifacts, the same findings and the same explain text as the CLI's core
//! path. A renderer or option the browser API forgets to pass through fails here.

use guestnet_core::Diagnostic;
use guestnet_wasm::api;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("golden-tests"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.yaml").exists())
        .collect();
    v.sort();
    v
}

/// The case's `options.yaml` as the JSON options object the browser passes. Keys follow
/// the golden files (`gatewayStyle`); the browser API spells it like the CLI flag.
fn options_json(case: &Path) -> String {
    let mut m = serde_json::Map::new();
    m.insert("info".into(), true.into());
    if let Ok(text) = std::fs::read_to_string(case.join("options.yaml")) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (k, v) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{}: option line {line:?}", case.display()));
            let key = match k {
                "gatewayStyle" => "netplanGatewayStyle",
                // A directive of the CLI's golden harness (also snapshot `--target all`),
                // not a compile option.
                "renderAll" => continue,
                other => other,
            };
            let value = match v {
                "true" => serde_json::Value::Bool(true),
                "false" => serde_json::Value::Bool(false),
                s => serde_json::Value::String(s.to_string()),
            };
            m.insert(key.to_string(), value);
        }
    }
    serde_json::Value::Object(m).to_string()
}

/// Snapshot body without insta's header.
fn snapshot(case: &Path, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(case.join(format!("{name}.snap"))).ok()?;
    let body = text
        .strip_prefix("---\n")
        .and_then(|t| t.split_once("\n---\n"))
        .map(|(_, b)| b.to_string())
        .unwrap_or_else(|| panic!("{}/{name}.snap has no insta header", case.display()));
    Some(body)
}

/// `cli/tests/golden.rs`'s one-line form of a finding.
fn diag_line(d: &Diagnostic) -> String {
    let mut s = format!(
        "{} {} {}:{} {}\n",
        d.code,
        d.severity,
        d.line.unwrap_or(0),
        d.column.unwrap_or(0),
        d.webhook_text()
    );
    if let Some(h) = &d.help {
        s.push_str(&format!("    help: {h}\n"));
    }
    s
}

/// A target snapshot with the entries of each `# diagnostics` block sorted (the API sorts
/// findings by position, the snapshots keep renderer order) and trailing space trimmed.
fn normalized(body: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut in_block = false;
    let flush = |block: &mut Vec<String>, out: &mut Vec<String>| {
        out.extend(entries(&block.join("\n")));
        block.clear();
    };
    for line in body.lines() {
        if in_block && (line.starts_with("GN") || line.starts_with("    help: ")) {
            block.push(line.to_string());
            continue;
        }
        if in_block {
            flush(&mut block, &mut out);
        }
        out.push(line.to_string());
        in_block = line == "# diagnostics";
    }
    flush(&mut block, &mut out);
    out.join("\n").trim_end().to_string()
}

/// Findings as a sorted list of entries (the API sorts by position; the snapshots keep
/// pipeline order), so the comparison is about content, not order.
fn entries(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in block.lines() {
        if line.starts_with("    help: ")
            && let Some(last) = out.last_mut()
        {
            last.push('\n');
            last.push_str(line);
            continue;
        }
        if !line.is_empty() && line != "(none)" {
            out.push(line.to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn browser_api_reproduces_every_golden_case() {
    let cases = cases();
    assert!(cases.len() > 50, "golden cases not found");
    let mut checked_targets = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        // Update-time cases compare with a previous revision (`--against`), which the
        // browser has no notion of.
        if case.join("previous.yaml").exists() {
            continue;
        }
        let input = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let opts = options_json(case);

        let v = api::validate(&input, &opts);
        let v = v
            .value()
            .unwrap_or_else(|| panic!("{name}: validate failed: {:?}", v.error()));
        let got: String = v.diagnostics.iter().map(diag_line).collect();
        // The CLI names the other document of a batch finding by its file; the browser's
        // editor text has no file name and is `-`, as stdin is on the CLI.
        let want = snapshot(case, "diagnostics")
            .unwrap()
            .replace("(input.yaml, document ", "(-, document ");
        assert_eq!(entries(&got), entries(&want), "{name}: diagnostics");

        let Some(want_explain) = snapshot(case, "explain") else {
            continue;
        };
        let e = api::explain(&input, &opts);
        let e = e.value().unwrap();
        if e.vms.is_empty() {
            // As in cli/tests/golden.rs: no VM resolves, so no output snapshot is asserted
            // (older ones may linger on disk).
            assert!(
                v.counts.errors > 0,
                "{name}: nothing resolved without an error"
            );
            continue;
        }
        let got: String = e.vms.iter().map(|vm| vm.text.as_str()).collect();
        assert_eq!(got.trim_end(), want_explain.trim_end(), "{name}: explain");

        let r = api::render(&input, "all", &opts);
        let r = r.value().unwrap();
        for t in guestnet_core::render::Target::ALL {
            // The snapshot's layout: per VM, its artifacts, then its findings if any.
            let mut got = String::new();
            for vm in &r.vms {
                for out in vm.targets.iter().filter(|o| o.target == t.as_str()) {
                    for a in &out.artifacts {
                        got.push_str(&format!("# {}\n{}", a.name, a.content));
                    }
                    if !out.diagnostics.is_empty() {
                        got.push_str("# diagnostics\n");
                        got.extend(out.diagnostics.iter().map(diag_line));
                    }
                }
            }
            let want = snapshot(case, t.as_str())
                .unwrap_or_else(|| panic!("{name}: no {} snapshot", t.as_str()));
            assert_eq!(
                normalized(&got),
                normalized(&want),
                "{name}: {} target",
                t.as_str()
            );
            checked_targets += 1;
        }
    }
    assert!(
        checked_targets > 300,
        "only {checked_targets} target outputs compared"
    );
}
