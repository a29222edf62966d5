//! `validate --crd FILE`: check documents against a real CRD's `openAPIV3Schema`, the way
//! the apiserver's structural-schema validation would (types, patterns, enums, limits,
//! required fields; unknown fields rejected unless `x-kubernetes-preserve-unknown-fields`).
//! CEL rules (`x-kubernetes-validations`) are not evaluated; guestnet's own rules cover the
//! ones that matter for networking.

use guestnet_core::source::{Limits, Node, de};
use guestnet_core::{Code, Diagnostic, pipeline};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One validator per served version, keyed by `group/version`.
#[derive(Debug)]
pub struct Crd {
    kind: String,
    validators: BTreeMap<String, jsonschema::Validator>,
}

/// OpenAPI v3 (Kubernetes structural schema) -> JSON Schema draft 4.
fn convert(s: &Value, depth: usize) -> Value {
    let Value::Object(m) = s else {
        return json!({});
    };
    if depth > 64 {
        return json!({});
    }
    let mut out = Map::new();
    let nullable = m.get("nullable").and_then(Value::as_bool) == Some(true);
    if m.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        out.insert("type".into(), json!(["integer", "string"]));
    } else if let Some(t) = m.get("type").and_then(Value::as_str) {
        let t = if t == "number" { "number" } else { t };
        out.insert(
            "type".into(),
            if nullable {
                json!([t, "null"])
            } else {
                json!(t)
            },
        );
    }
    // The apiserver applies defaults before it validates: a required field with a default
    // is never missing.
    if let Some(Value::Array(req)) = m.get("required") {
        let props = m.get("properties");
        let req: Vec<Value> = req
            .iter()
            .filter(|r| {
                let name = r.as_str().unwrap_or_default();
                props
                    .and_then(|p| p.get(name))
                    .and_then(|p| p.get("default"))
                    .is_none()
            })
            .cloned()
            .collect();
        out.insert("required".into(), Value::Array(req));
    }
    for k in [
        "pattern",
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "maxProperties",
        "minProperties",
        "multipleOf",
        "uniqueItems",
    ] {
        if let Some(v) = m.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    if let Some(e) = m.get("enum") {
        let mut e = e.clone();
        if nullable && let Value::Array(a) = &mut e {
            a.push(Value::Null);
        }
        out.insert("enum".into(), e);
    }
    if let Some(items) = m.get("items") {
        out.insert("items".into(), convert(items, depth + 1));
    }
    let preserve = m
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true);
    if let Some(Value::Object(props)) = m.get("properties") {
        let p: Map<String, Value> = props
            .iter()
            .map(|(k, v)| (k.clone(), convert(v, depth + 1)))
            .collect();
        out.insert("properties".into(), Value::Object(p));
        if !preserve && !m.contains_key("additionalProperties") {
            out.insert("additionalProperties".into(), json!(false));
        }
    }
    match m.get("additionalProperties") {
        Some(Value::Object(_)) => {
            out.insert(
                "additionalProperties".into(),
                convert(&m["additionalProperties"], depth + 1),
            );
        }
        Some(b @ Value::Bool(_)) => {
            out.insert("additionalProperties".into(), b.clone());
        }
        _ => {}
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(a)) = m.get(k) {
            out.insert(
                k.into(),
                Value::Array(a.iter().map(|x| convert(x, depth + 1)).collect()),
            );
        }
    }
    if let Some(not) = m.get("not") {
        out.insert("not".into(), convert(not, depth + 1));
    }
    Value::Object(out)
}

impl Crd {
    pub fn load(text: &str) -> Result<Crd, String> {
        let docs =
            pipeline::load(text, &Limits::default()).map_err(|d| format!("CRD: {}", d.message))?;
        let root = docs.first().ok_or("CRD file is empty")?;
        let sink = de::Sink::default();
        let v: Value = de::from_node(&root.root, &sink).map_err(|d| d.message)?;
        if v["kind"] != "CustomResourceDefinition" {
            return Err("not a CustomResourceDefinition".into());
        }
        let group = v["spec"]["group"].as_str().unwrap_or_default();
        let kind = v["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut validators = BTreeMap::new();
        for ver in v["spec"]["versions"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let name = ver["name"].as_str().unwrap_or_default();
            let mut schema = convert(&ver["schema"]["openAPIV3Schema"], 0);
            if let Value::Object(m) = &mut schema {
                m.insert(
                    "$schema".into(),
                    json!("http://json-schema.org/draft-04/schema#"),
                );
            }
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .build(&schema)
                .map_err(|e| format!("CRD version {name}: {e}"))?;
            validators.insert(format!("{group}/{name}"), validator);
        }
        if validators.is_empty() {
            return Err("CRD has no versions with a schema".into());
        }
        Ok(Crd { kind, validators })
    }

    /// Diagnostics for one document (empty when it is not this CRD's kind/version).
    pub fn check(&self, root: &Node) -> Vec<Diagnostic> {
        let sink = de::Sink::default();
        let Ok(v) = de::from_node::<Value>(root, &sink) else {
            return Vec::new();
        };
        if v["kind"].as_str() != Some(self.kind.as_str()) {
            return Vec::new();
        }
        let Some(validator) = v["apiVersion"]
            .as_str()
            .and_then(|a| self.validators.get(a))
        else {
            return Vec::new();
        };
        validator
            .iter_errors(&v)
            .map(|e| {
                let ptr = e.instance_path().to_string();
                let path = pointer_to_path(&ptr);
                // jsonschema prefixes the whole offending instance; a list of ten interfaces
                // is noise in a one-line message, the position already points at it.
                let inst = e.instance().to_string();
                let msg = e.to_string();
                let msg = match msg.strip_prefix(&inst) {
                    Some(rest) if inst.len() > 40 => format!("the value{rest}"),
                    _ => msg,
                };
                let mut d = Diagnostic::new(Code::CrdSchema, path.clone(), msg)
                    .with_help("from the CustomResourceDefinition given with --crd");
                d.set_span(root.locate(&path, false));
                d
            })
            .collect()
    }
}

/// `/spec/network/interfaces/0/name` -> `spec.network.interfaces[0].name`.
pub fn pointer_to_path(ptr: &str) -> String {
    let mut out = String::new();
    for seg in ptr.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers() {
        assert_eq!(
            pointer_to_path("/spec/network/interfaces/0/name"),
            "spec.network.interfaces[0].name"
        );
        assert_eq!(pointer_to_path(""), "");
    }

    #[test]
    fn converts_structural_schema() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: ex.com\n  names: {kind: Thing}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          apiVersion: {type: string}\n          kind: {type: string}\n          spec:\n            type: object\n            properties:\n              n: {type: integer, minimum: 1}\n              free: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";
        let c = Crd::load(crd).unwrap();
        let doc = pipeline::load(
            "apiVersion: ex.com/v1\nkind: Thing\nspec:\n  n: 0\n  typo: 1\n  free: {anything: 1}\n",
            &Limits::default(),
        )
        .unwrap();
        let d = c.check(&doc[0].root);
        let paths: Vec<_> = d.iter().map(|x| (x.path.as_str(), x.line)).collect();
        assert_eq!(paths.len(), 2, "{d:?}");
        assert!(paths.contains(&("spec.n", Some(4))));
    }
}
