//! The checked-in JSON Schemas are generated from the Rust types and must stay fresh; and
//! the schema must agree with the typed loader on every golden input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_cli::schema::{Kind, schema, schema_text};
use guestnet_core::Code;
use guestnet_core::pipeline;
use guestnet_core::source::de;

#[test]
fn checked_in_schemas_are_fresh() {
    for k in Kind::ALL {
        let path = common::workspace_root().join("schemas").join(k.file_name());
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == schema_text(*k),
            "{} is stale: run `cargo run -p guestnet-cli -- schema {:?} > {}`",
            path.display(),
            k,
            path.display()
        );
    }
}

fn validator(k: Kind) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema(k))
        .unwrap()
}

/// Every golden document the loader accepts without input errors (unknown fields, wrong
/// types, CRD-pattern violations) validates against the schema; every document the loader
/// rejects for an unknown field or wrong type is rejected by the schema too.
#[test]
fn schema_agrees_with_the_loader_on_golden_inputs() {
    let vm = validator(Kind::VirtualMachine);
    let net = validator(Kind::Network);
    let schema_codes = [
        Code::UnknownField,
        Code::WrongType,
        Code::InterfaceName,
        Code::GuestDeviceName,
        Code::MacAddress,
        Code::RouteMetric,
        Code::TooManyInterfaces,
        Code::Vlan,
        Code::IpamModes,
    ];
    let mut accepted = 0;
    let mut rejected = 0;
    for case in common::golden_cases() {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let Ok(docs) = pipeline::load(&text, &Default::default()) else {
            continue;
        };
        let opts = common::case_options(&case);
        let cats = pipeline::catalogs(&docs);
        for d in &docs {
            let sink = de::Sink::default();
            let json: serde_json::Value = de::from_node(&d.root, &sink).unwrap();
            let is_net = json.get("kind").and_then(|k| k.as_str()) == Some("Network");
            let api = json
                .get("apiVersion")
                .and_then(|k| k.as_str())
                .unwrap_or("");
            if !api.starts_with("vmoperator.vmware.com/") && !is_net {
                continue;
            }
            let diags = if is_net {
                d.diagnostics.clone()
            } else {
                pipeline::analyze(d.clone(), &cats, &opts).diagnostics
            };
            // YAML 1.1 spellings (`yes`) are booleans to kubectl and to the loader (with a
            // warning) but strings in JSON: the schema cannot judge those documents.
            if diags.iter().any(|x| x.code == Code::Yaml11Boolean) {
                continue;
            }
            let v5_only = api.ends_with("v1alpha5");
            let expects_reject = diags.iter().any(|x| {
                schema_codes.contains(&x.code) && x.severity == guestnet_core::Severity::Error
                    // v1alpha6-only fields in a v1alpha5 document are the types' superset:
                    // the schema describes the superset, the loader adds the version rule.
                    && !(v5_only && x.code == Code::UnknownField && x.help.as_deref().is_some_and(|h| h.contains("v1alpha6")))
            });
            let errors: Vec<String> = (if is_net { &net } else { &vm })
                .iter_errors(&json)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            if expects_reject {
                assert!(
                    !errors.is_empty(),
                    "{}: the loader rejects it but the schema accepts it",
                    case.display()
                );
                rejected += 1;
            } else {
                assert!(
                    errors.is_empty(),
                    "{}: schema rejects a document the loader accepts: {errors:?}",
                    case.display()
                );
                accepted += 1;
            }
        }
    }
    assert!(
        accepted > 40 && rejected > 5,
        "accepted {accepted}, rejected {rejected}"
    );
}
