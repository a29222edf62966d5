//! Editors validate manifests with the JSON Schemas in `schemas/` (yaml-language-server
//! reads the modeline `# yaml-language-server: $schema=...`). check-jsonschema, reading
//! the YAML text itself as an editor does (YAML 1.2), must agree with `guestnet validate`
//! on every golden document, for every rule a schema can express.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_cli::schema::Kind;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn check_jsonschema() -> Option<PathBuf> {
    let tool = std::env::var("GUESTNET_CHECK_JSONSCHEMA").unwrap_or("check-jsonschema".into());
    common::oracle_available(
        &tool,
        "editor schemas must agree with guestnet (pip install check-jsonschema)",
    )
    .then(|| PathBuf::from(tool))
}

fn schema_path(k: Kind) -> PathBuf {
    common::workspace_root().join("schemas").join(k.file_name())
}

#[test]
fn schemas_are_valid_draft07() {
    let Some(tool) = check_jsonschema() else {
        return;
    };
    let files: Vec<PathBuf> = Kind::ALL.iter().map(|k| schema_path(*k)).collect();
    let o = Command::new(&tool)
        .arg("--check-metaschema")
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    // The sample repository's configuration is valid against the config schema.
    let cfg = common::workspace_root().join("cli/tests/fixtures/gitops-repo/.guestnet.yaml");
    let o = Command::new(&tool)
        .arg("--schemafile")
        .arg(schema_path(Kind::Config))
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn check_jsonschema_agrees_with_guestnet_on_golden_documents() {
    let Some(tool) = check_jsonschema() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = common::schema_cases();
    let mut checked = 0;
    for kind in [
        Kind::VirtualMachineV1alpha6,
        Kind::VirtualMachineV1alpha5,
        Kind::Network,
    ] {
        let mine: Vec<(usize, &common::SchemaCase)> = cases
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == kind)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let mut files = Vec::new();
        for (i, c) in &mine {
            let f = dir.path().join(format!("doc-{i:04}.yaml"));
            std::fs::write(&f, &c.text).unwrap();
            files.push(f);
        }
        let o = Command::new(&tool)
            .arg("--schemafile")
            .arg(schema_path(kind))
            .args(["--output-format", "json"])
            .args(&files)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "check-jsonschema output ({e}): {}",
                String::from_utf8_lossy(&o.stdout)
            )
        });
        assert!(
            report["parse_errors"]
                .as_array()
                .is_none_or(|a| a.is_empty()),
            "{report}"
        );
        let failed: BTreeSet<String> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["filename"].as_str().unwrap().to_string())
            .collect();
        for ((_, c), f) in mine.iter().zip(&files) {
            let rejected = failed
                .iter()
                .any(|x| PathBuf::from(x).file_name() == f.file_name());
            let where_ = format!("{} document {}", c.case.display(), c.index + 1);
            let messages: Vec<&serde_json::Value> = report["errors"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| {
                    PathBuf::from(e["filename"].as_str().unwrap()).file_name() == f.file_name()
                })
                .collect();
            assert_eq!(
                rejected,
                c.guestnet_rejects,
                "{where_}: check-jsonschema {} but guestnet {} ({:?}; {messages:?})",
                if rejected { "rejects" } else { "accepts" },
                if c.guestnet_rejects {
                    "rejects"
                } else {
                    "accepts"
                },
                c.why
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} documents");
}
