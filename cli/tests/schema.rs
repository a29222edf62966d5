//! The checked-in JSON Schemas are generated from the Rust types and must stay fresh; and
//! each apiVersion's schema must agree with guestnet on every golden document, for every
//! rule a schema can express (`common::SCHEMA_CODES`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_cli::schema::{Kind, schema, schema_text};

#[test]
fn checked_in_schemas_are_fresh() {
    for k in Kind::ALL {
        let path = common::workspace_root().join("schemas").join(k.file_name());
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == schema_text(*k),
            "{} is stale: run `cargo run -p guestnet-cli -- schema {} > {}`",
            path.display(),
            clap::ValueEnum::to_possible_value(k).unwrap().get_name(),
            path.display()
        );
    }
    let files: Vec<String> = std::fs::read_dir(common::workspace_root().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files.len(),
        Kind::ALL.len(),
        "stray files in schemas/: {files:?}"
    );
}

#[test]
fn schemas_are_draft07_with_stable_ids() {
    for k in Kind::ALL {
        let s = schema(*k);
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(
            s["$id"],
            format!("https://guestnet.dev/schemas/{}", k.file_name())
        );
        assert!(
            !s.to_string().contains("$defs"),
            "draft-07 uses definitions"
        );
    }
    let v5 = schema(Kind::VirtualMachineV1alpha5).to_string();
    assert!(!v5.contains("\"vlans\"") && !v5.contains("ipamModes"));
    assert!(
        schema(Kind::VirtualMachineV1alpha6)
            .to_string()
            .contains("\"vlans\"")
    );
}

fn validator(k: Kind) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(k))
        .unwrap()
}

/// The Rust validator's view (always runs); `oracle_editor_schemas.rs` asks
/// check-jsonschema, which reads the YAML text itself as an editor would.
#[test]
fn schema_agrees_with_guestnet_on_golden_documents() {
    let mut accepted = 0;
    let mut rejected = 0;
    for c in common::schema_cases() {
        let docs = common::json_of(&c.text);
        let v = validator(c.kind);
        let errors: Vec<String> = v
            .iter_errors(&docs)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        let where_ = format!("{} document {}", c.case.display(), c.index + 1);
        if c.guestnet_rejects {
            assert!(
                !errors.is_empty(),
                "{where_}: guestnet rejects it ({:?}) but the schema accepts it",
                c.why
            );
            rejected += 1;
        } else {
            assert!(
                errors.is_empty(),
                "{where_}: the schema rejects a document guestnet accepts: {errors:?}"
            );
            accepted += 1;
        }
    }
    assert!(
        accepted > 40 && rejected > 8,
        "accepted {accepted}, rejected {rejected}"
    );
}
