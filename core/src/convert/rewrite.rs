//! `guestnet convert --to v1alphaN`: every document of a manifest written as one served
//! version. VirtualMachines of any version go up to the model and down to the target as
//! vm-operator's conversions do; guestnet Network catalogs pass through. What the target
//! cannot carry is reported (GN330/GN331) where the user wrote it; a document with an
//! input error (syntax, unknown field, wrong type) stops the whole file, so a conversion
//! never silently loses what it could not read.

use super::down;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::ApiVersion;
use crate::pipeline::{self, Input};
use crate::render::yaml_out;
use crate::source::node::NodeKind;
use crate::source::{Limits, Node};
use serde_json::Value;

/// The converted documents and every finding about them.
#[derive(Debug, Clone, Default)]
pub struct Rewritten {
    /// One value per document, in input order; empty when any finding is an error.
    pub documents: Vec<Value>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Rewritten {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The documents as one YAML stream.
    pub fn to_yaml(&self) -> String {
        self.documents
            .iter()
            .map(|d| yaml_out::to_string(&yaml_out::from_json_ordered(d)))
            .collect::<Vec<_>>()
            .join("---\n")
    }
}

/// Converts every document of `text` to version `to`.
pub fn rewrite(text: &str, to: ApiVersion, limits: &Limits) -> Rewritten {
    let docs = match pipeline::load(text, limits) {
        Ok(d) => d,
        Err(e) => {
            return Rewritten {
                documents: Vec::new(),
                diagnostics: vec![e],
            };
        }
    };
    let mut out = Rewritten::default();
    for doc in &docs {
        out.diagnostics.extend(doc.diagnostics.iter().cloned());
        match &doc.input {
            Some(Input::VirtualMachine(vm, from)) => {
                match down(&hub_semantics(vm, *from, &mut out, doc), to) {
                    Ok(d) => {
                        for mut f in d.findings {
                            doc.locate(&mut f);
                            out.diagnostics.push(f);
                        }
                        let mut v = without_nulls(d.value);
                        order_like(&mut v, &doc.root);
                        out.documents.push(v);
                    }
                    Err(e) => {
                        let mut d = Diagnostic::new(
                            Code::UnsupportedKind,
                            "apiVersion",
                            format!("cannot write this VirtualMachine as {to}: {e}"),
                        );
                        doc.locate(&mut d);
                        out.diagnostics.push(d);
                    }
                }
            }
            Some(Input::Network(c)) => {
                out.documents
                    .push(serde_json::to_value(c).unwrap_or(Value::Null));
            }
            // Someone else's document (a ConfigMap next to the VM): written back as it is.
            Some(Input::Skipped(_)) => {
                let sink = crate::source::de::Sink::default();
                if let Ok(v) = crate::source::de::from_node::<Value>(&doc.root, &sink) {
                    out.documents.push(v);
                }
            }
            // Not a kind guestnet reads: the loader has reported it.
            None => {}
        }
    }
    // A file with nothing guestnet reads is a mistake for convert (a guest artifact
    // without --from, say), not a file to copy.
    let ours = docs
        .iter()
        .any(|d| matches!(d.input, Some(Input::VirtualMachine(..) | Input::Network(_))));
    if !ours && !out.has_errors() {
        let mut d = Diagnostic::new(
            Code::UnsupportedKind,
            "apiVersion",
            "no VirtualMachine or Network document in the input",
        )
        .with_help("to read a guest artifact back, name its format with --from");
        if let Some(first) = docs.first() {
            first.locate(&mut d);
        }
        out.diagnostics.push(d);
    }
    crate::diagnostic::sort(&mut out.diagnostics);
    if out.has_errors() {
        out.documents.clear();
    }
    out
}

/// The model read from a v1alpha5 document keeps `dhcp4: false` (the resolver reads it
/// as unset); vm-operator's v1alpha5 -> v1alpha6 conversion makes it unset, and so does a
/// rewrite, saying so as for the older versions.
fn hub_semantics(
    vm: &crate::model::VirtualMachine,
    from: ApiVersion,
    out: &mut Rewritten,
    doc: &pipeline::Doc,
) -> crate::model::VirtualMachine {
    let mut vm = vm.clone();
    if from != ApiVersion::V1alpha5 {
        return vm;
    }
    for (i, f) in vm
        .spec
        .network
        .iter_mut()
        .flat_map(|n| n.interfaces.iter_mut())
        .enumerate()
    {
        for (k, v) in [("dhcp4", &mut f.dhcp4), ("dhcp6", &mut f.dhcp6)] {
            if *v == Some(false) {
                *v = None;
                let mut d = Diagnostic::new(
                    Code::ConversionRewritten,
                    format!("spec.network.interfaces[{i}].{k}"),
                    format!(
                        "vm-operator converts {k}: false to unset (v1alpha6's DHCP is \
                         tri-state): the network decides, and offers DHCP if it has it"
                    ),
                );
                doc.locate(&mut d);
                out.diagnostics.push(d);
            }
        }
    }
    vm
}

/// Go's encoding leaves nil out; so does the rewritten document (an explicit `null` in an
/// opaque field would otherwise print as an empty string).
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        v => v,
    }
}

/// Orders object keys as the source document has them (keys it lacks follow, in the
/// model's order), so a converted manifest diffs against the original line by line.
fn order_like(v: &mut Value, node: &Node) {
    match (v, &node.kind) {
        (Value::Object(o), NodeKind::Map(entries)) => {
            let mut rest = std::mem::take(o);
            for (k, child) in entries {
                let Some(key) = k.as_str() else { continue };
                if let Some(mut val) = rest.shift_remove(key) {
                    order_like(&mut val, child);
                    o.insert(key.to_string(), val);
                }
            }
            o.extend(rest);
        }
        (Value::Array(a), NodeKind::Seq(items)) => {
            for (val, child) in a.iter_mut().zip(items) {
                order_like(val, child);
            }
        }
        _ => {}
    }
}
