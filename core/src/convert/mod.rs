//! Every served `vmoperator.vmware.com` version, converted as vm-operator converts it.
//!
//! vm-operator stores VirtualMachines as v1alpha6 (the hub) and converts every other served
//! version to it before its webhooks and controllers see the object
//! (`api/v1alpha{1..5}/zz_generated.conversion.go` and the hand-written
//! `virtualmachine_conversion.go`, sysprep and common conversions). guestnet does the same:
//! an older document is read into its own version's types (so an unknown field is unknown
//! *for that version*), converted up to the model, and then validated, resolved and
//! rendered like any v1alpha6 VM. Three things travel with the model:
//!
//! - a [`PathMap`], so that a finding on a model path is shown at the field the user wrote
//!   (the path stays the model's, as the webhook prints it);
//! - findings for what the conversion drops (`GN330`) or rewrites into another form (`GN331`);
//! - nothing else: no value is invented that vm-operator would not invent.
//!
//! [`down`] goes the other way (the hub to any served version), reporting whatever would not
//! survive the round trip; `guestnet convert --to` uses both.

pub mod history;
pub mod paths;
mod restore;
pub mod rewrite;
mod v1alpha1;
mod v1alpha2;
mod v1alpha3;

pub use paths::{Origin, PathMap};
pub use rewrite::{Rewritten, rewrite};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{self, ApiVersion, ObjectMeta, VirtualMachine};
use crate::source::Node;
use crate::source::de::{self, Sink};
use serde_json::Value;

/// vm-operator's pause annotation in v1alpha1 and v1alpha2 ...
const PAUSE_OLD: &str = "vmoperator.vmware.com/pause-reconcile";
/// ... and from v1alpha3 on.
const PAUSE_HUB: &str = "vmoperator.vmware.com/paused";

/// An older document converted up to the model.
#[derive(Debug, Clone)]
pub struct Converted {
    pub vm: VirtualMachine,
    /// Model path -> where the user wrote it.
    pub paths: PathMap,
    /// What the conversion drops or rewrites, at source paths (not yet located).
    pub findings: Vec<Diagnostic>,
}

/// Collects the path map and findings while converting up.
#[derive(Debug, Default)]
pub(crate) struct Up {
    pub paths: PathMap,
    pub findings: Vec<Diagnostic>,
}

impl Up {
    /// A source field the conversion drops.
    pub fn dropped(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.findings
            .push(Diagnostic::new(Code::ConversionDropped, path, message));
    }

    /// A source field the conversion rewrites into another form.
    pub fn rewritten(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.findings
            .push(Diagnostic::new(Code::ConversionRewritten, path, message));
    }
}

/// Reads an older (v1alpha1–v1alpha4) `VirtualMachine` from its tree, reporting into `sink`
/// as the loader does for every version, and converts it up. `Err` only when the document
/// could not be read at all.
pub fn load(root: &Node, version: ApiVersion, sink: &Sink) -> Result<Converted, Diagnostic> {
    let mut up = Up::default();
    let mut vm = match version {
        ApiVersion::V1alpha1 => v1alpha1::up(
            de::from_node::<model::v1alpha1::VirtualMachine>(root, sink)?,
            &mut up,
        ),
        ApiVersion::V1alpha2 => v1alpha2::up(
            de::from_node::<model::v1alpha2::VirtualMachine>(root, sink)?,
            &mut up,
        ),
        ApiVersion::V1alpha3 => v1alpha3::up(
            de::from_node::<model::v1alpha3::VirtualMachine>(root, sink)?,
            &mut up,
        ),
        ApiVersion::V1alpha4 => v1alpha3::up_v1alpha4(
            de::from_node::<model::v1alpha4::VirtualMachine>(root, sink)?,
            &mut up,
        ),
        ApiVersion::V1alpha5 | ApiVersion::V1alpha6 => de::from_node::<VirtualMachine>(root, sink)?,
    };
    fields_of_other_versions(root, version, sink);
    if version != ApiVersion::HUB {
        restore::apply(&mut vm, version, root, &mut up);
    }
    Ok(Converted {
        vm,
        paths: up.paths,
        findings: up.findings,
    })
}

/// Fields of other versions that a version's types do not reject by themselves: inside parts
/// kept opaque (`spec.advanced.extraConfig` in a v1alpha2 document, `volumes[].vSphereVolume`
/// in v1alpha6) and v1alpha6's fields in a v1alpha5 document (one model reads both). Unknown
/// like any other, unless the typed loader has already said so for the field or an ancestor.
pub fn fields_of_other_versions(root: &Node, version: ApiVersion, sink: &Sink) {
    let reported: Vec<String> = sink
        .diagnostics
        .borrow()
        .iter()
        .filter(|d| d.code == Code::UnknownField)
        .map(|d| d.path.clone())
        .collect();
    for f in history::FIELDS.iter().filter(|f| !f.exists_in(version)) {
        for (path, key) in history::find(root, f.path) {
            let covered = reported.iter().any(|r| {
                path.strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
            });
            if covered {
                continue;
            }
            let (parent, field) = path.rsplit_once('.').unwrap_or(("", path.as_str()));
            let mut d = Diagnostic::new(
                Code::UnknownField,
                &path,
                format!("unknown field `{field}`"),
            )
            .with_span(key.span);
            if let Some(h) = history::hint(version, parent, field) {
                d = d.with_help(h);
            }
            sink.poisoned.borrow_mut().push(path.clone());
            sink.diagnostics.borrow_mut().push(d);
        }
    }
}

/// Converts a served version's JSON to the model, strictly (no tolerance: an unknown field
/// is an error). The inverse of [`down`]; tests and [`down`] use it to see what survives.
pub fn up_value(value: &Value, from: ApiVersion) -> Result<VirtualMachine, String> {
    fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
        serde_json::from_value(v.clone()).map_err(|e| e.to_string())
    }
    let mut up = Up::default();
    Ok(match from {
        ApiVersion::V1alpha1 => v1alpha1::up(typed(value)?, &mut up),
        ApiVersion::V1alpha2 => v1alpha2::up(typed(value)?, &mut up),
        ApiVersion::V1alpha3 => v1alpha3::up(typed(value)?, &mut up),
        ApiVersion::V1alpha4 => v1alpha3::up_v1alpha4(typed(value)?, &mut up),
        ApiVersion::V1alpha5 | ApiVersion::V1alpha6 => {
            let mut vm: VirtualMachine = typed(value)?;
            if from == ApiVersion::V1alpha5 {
                // vm-operator's v1alpha5 -> v1alpha6: `dhcp4: false` is unset (the
                // resolver reads v1alpha5 documents the same way).
                for f in vm.spec.network.iter_mut().flat_map(|n| &mut n.interfaces) {
                    f.dhcp4 = f.dhcp4.filter(|b| *b);
                    f.dhcp6 = f.dhcp6.filter(|b| *b);
                }
            }
            vm
        }
    })
}

/// A model VM written as another served version.
#[derive(Debug, Clone)]
pub struct Down {
    /// The document, in that version's shape (`apiVersion` set, no `status`).
    pub value: Value,
    /// What does not survive (model paths): `GN330` for dropped values, `GN331` for values
    /// that read back differently (`dhcp4: false` becomes unset).
    pub findings: Vec<Diagnostic>,
}

/// Writes the model VM as version `to`, as vm-operator's hub -> `to` conversion does, and
/// reports every value that would not come back when converted up again.
pub fn down(vm: &VirtualMachine, to: ApiVersion) -> Result<Down, String> {
    let mut hub = vm.clone();
    hub.status = None;
    hub.api_version = ApiVersion::HUB.api_version().into();
    let mut value = match to {
        ApiVersion::V1alpha1 => v1alpha1::down(&hub),
        _ => {
            let mut v = serde_json::to_value(&hub).map_err(|e| e.to_string())?;
            match to {
                ApiVersion::V1alpha2 => v1alpha2::down(&mut v, &hub),
                ApiVersion::V1alpha3 | ApiVersion::V1alpha4 => v1alpha3::down(&mut v),
                _ => {}
            }
            if to <= ApiVersion::V1alpha5 {
                // Plain booleans below v1alpha6: Go's omitempty drops `false`.
                for f in interfaces_mut(&mut v) {
                    for k in ["dhcp4", "dhcp6"] {
                        if f.get(k) == Some(&Value::Bool(false)) {
                            f.shift_remove(k);
                        }
                    }
                }
            }
            history::prune(&mut v, to);
            v
        }
    };
    if let Some(o) = value.as_object_mut() {
        o.insert("apiVersion".into(), to.api_version().into());
        o.shift_remove("status");
    }
    if to <= ApiVersion::V1alpha2 {
        rename_annotation(&mut value, PAUSE_HUB, PAUSE_OLD);
    }
    let back = up_value(&value, to)?;
    let mut back = serde_json::to_value(&back).map_err(|e| e.to_string())?;
    if let Some(o) = back.as_object_mut() {
        o.insert("apiVersion".into(), ApiVersion::HUB.api_version().into());
    }
    let before = serde_json::to_value(&hub).map_err(|e| e.to_string())?;
    let mut lost = Vec::new();
    diff(&before, &back, String::new(), &mut lost);
    let findings = lost
        .into_iter()
        .map(|path| {
            let dhcp = path.ends_with(".dhcp4") || path.ends_with(".dhcp6");
            if dhcp {
                Diagnostic::new(
                    Code::ConversionRewritten,
                    path,
                    format!(
                        "{to} has no tri-state DHCP: false is written as unset, which lets the network decide"
                    ),
                )
            } else {
                Diagnostic::new(
                    Code::ConversionDropped,
                    path,
                    format!("{to} cannot express this value: vm-operator's conversion drops it"),
                )
            }
        })
        .collect();
    Ok(Down { value, findings })
}

fn interfaces_mut(v: &mut Value) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
    v.pointer_mut("/spec/network/interfaces")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

fn rename_annotation(v: &mut Value, from: &str, to: &str) {
    if let Some(a) = v
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        && let Some(val) = a.shift_remove(from)
    {
        a.insert(to.into(), val);
    }
}

/// Annotations as vm-operator's v1alpha1/v1alpha2 -> hub conversion leaves them: the pause
/// annotation renamed.
pub(crate) fn meta_up_pause(mut meta: ObjectMeta) -> ObjectMeta {
    if let Some(v) = meta.annotations.remove(PAUSE_OLD) {
        meta.annotations.insert(PAUSE_HUB.into(), v);
    }
    meta
}

/// A value Go's JSON encoding would leave out (its zero value), so losing it loses nothing.
fn is_empty(path: &str, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        // Plain Go booleans in the hub: false is absent.
        Value::Bool(false) => path == "spec.bootstrap.disabled" || path == "spec.network.disabled",
        _ => false,
    }
}

/// Paths (topmost) where `after` lost or changed a value of `before`.
fn diff(before: &Value, after: &Value, at: String, out: &mut Vec<String>) {
    let child = |k: &str| {
        if at.is_empty() {
            k.to_string()
        } else {
            format!("{at}.{k}")
        }
    };
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b {
                let p = child(k);
                match a.get(k) {
                    None if is_empty(&p, bv) => {}
                    None => out.push(p),
                    Some(av) => diff(bv, av, p, out),
                }
            }
        }
        (Value::Array(b), Value::Array(a)) if a.len() == b.len() => {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                diff(bv, av, format!("{at}[{i}]"), out);
            }
        }
        (b, a) if b == a => {}
        (b, a) if is_empty(&at, b) && is_empty(&at, a) => {}
        _ => out.push(at),
    }
}

#[cfg(test)]
mod tests;
