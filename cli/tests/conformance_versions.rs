//! Every served version against vm-operator's real CRD (`../shared/fixtures/crd`): the
//! version table is exactly the CRD's difference between consecutive versions, and each
//! version's input types accept every field of that version's schema with a value of the
//! schema's type. Skips (loudly) without `../shared`, like the other conformance tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::Code;
use guestnet_core::convert::history::{FIELDS, Field};
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn crd() -> Option<Value> {
    let p = common::workspace_root()
        .join("../shared/fixtures/crd/vmoperator.vmware.com_virtualmachines.yaml");
    if !p.exists() {
        eprintln!("conformance: {} not present, skipping", p.display());
        return None;
    }
    Some(serde_saphyr::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
}

/// `spec` schema of each served version.
fn spec_schemas(crd: &Value) -> BTreeMap<ApiVersion, Value> {
    crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                ApiVersion::from_name(v["name"].as_str().unwrap()).unwrap(),
                v["schema"]["openAPIV3Schema"]["properties"]["spec"].clone(),
            )
        })
        .collect()
}

fn paths(schema: &Value, at: &str, out: &mut BTreeSet<String>) {
    if schema["type"] == "array" {
        return paths(&schema["items"], &format!("{at}[]"), out);
    }
    for (k, v) in schema["properties"].as_object().into_iter().flatten() {
        let p = format!("{at}.{k}");
        out.insert(p.clone());
        paths(v, &p, out);
    }
}

fn parent(p: &str) -> &str {
    let head = &p[..p.rfind('.').unwrap_or(0)];
    head.strip_suffix("[]").unwrap_or(head)
}

#[test]
fn the_version_table_is_the_crds_version_diff() {
    let Some(crd) = crd() else { return };
    let per: BTreeMap<ApiVersion, BTreeSet<String>> = spec_schemas(&crd)
        .into_iter()
        .map(|(v, s)| {
            let mut out = BTreeSet::new();
            paths(&s, "spec", &mut out);
            (v, out)
        })
        .collect();
    let all: BTreeSet<&String> = per.values().flatten().collect();
    let present = |p: &str| -> Vec<ApiVersion> {
        ApiVersion::ALL
            .into_iter()
            .filter(|v| p == "spec" || per[v].contains(p))
            .collect()
    };
    let mut derived = Vec::new();
    for p in all {
        let here = present(p);
        if here != present(parent(p)) {
            let since = here[0];
            let last = *here.last().unwrap();
            // Served versions hold a field over one unbroken range.
            assert_eq!(
                here,
                ApiVersion::ALL
                    .into_iter()
                    .filter(|v| *v >= since && *v <= last)
                    .collect::<Vec<_>>(),
                "{p}"
            );
            let until = ApiVersion::ALL.into_iter().find(|v| *v > last);
            derived.push((p.clone(), since, until));
        }
    }
    let table: Vec<(String, ApiVersion, Option<ApiVersion>)> = FIELDS
        .iter()
        .map(|f: &Field| (f.path.to_string(), f.since, f.until))
        .collect();
    assert_eq!(table, derived);
}

/// A value of the schema's type for every property, recursively.
fn sample(schema: &Value) -> Value {
    if schema.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return json!("1");
    }
    if let Some(e) = schema["enum"].as_array().and_then(|e| e.first()) {
        return e.clone();
    }
    match schema["type"].as_str() {
        Some("object") => Value::Object(
            schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), sample(v)))
                .collect(),
        ),
        Some("array") => json!([sample(&schema["items"])]),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(1).max(1)),
        Some("boolean") => json!(true),
        _ => json!("x"),
    }
}

#[test]
fn each_versions_types_accept_every_field_of_its_crd_schema() {
    let Some(crd) = crd() else { return };
    let mut fields = 0;
    for (v, spec) in spec_schemas(&crd) {
        let doc = json!({
            "apiVersion": v.api_version(),
            "kind": "VirtualMachine",
            "metadata": {"name": "vm", "namespace": "ns"},
            "spec": sample(&spec),
        });
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let docs = pipeline::load(&text, &Default::default()).unwrap();
        let input_errors: Vec<String> = docs[0]
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code, Code::UnknownField | Code::WrongType))
            .map(|d| format!("{} {}: {}", d.code, d.path, d.message))
            .collect();
        assert!(
            input_errors.is_empty(),
            "{v}: the CRD's own fields are rejected: {input_errors:#?}"
        );
        let mut all = BTreeSet::new();
        paths(&spec, "spec", &mut all);
        fields += all.len();
    }
    assert!(fields > 1000, "{fields}");
}
