//! JSON Schemas for editors and CI, generated from the Rust types (the types are the
//! source of truth; `schemas/` holds the checked-in copies and a test keeps them fresh).
//!
//! One schema per apiVersion, in draft-07 (what yaml-language-server fully supports),
//! each with a stable `$id`, so an editor validates a v1alpha5 file against v1alpha5 —
//! `vlans` is not a v1alpha5 field, and `kind` is `VirtualMachine`, nothing else.

use crate::config::ConfigFile;
use guestnet_core::model::{
    NetworkCatalog, VirtualMachine, v1alpha1, v1alpha2, v1alpha3, v1alpha4,
};
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// Where the schemas are published; the `$id` of each is this plus its file name.
pub const ID_BASE: &str = "https://guestnet.dev/schemas/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// The storage version, v1alpha6.
    #[value(name = "virtualmachine")]
    VirtualMachine,
    #[value(name = "virtualmachine-v1alpha6")]
    VirtualMachineV1alpha6,
    #[value(name = "virtualmachine-v1alpha5")]
    VirtualMachineV1alpha5,
    /// The older served versions, each with its own fields (converted up when read).
    #[value(name = "virtualmachine-v1alpha4")]
    VirtualMachineV1alpha4,
    #[value(name = "virtualmachine-v1alpha3")]
    VirtualMachineV1alpha3,
    #[value(name = "virtualmachine-v1alpha2")]
    VirtualMachineV1alpha2,
    #[value(name = "virtualmachine-v1alpha1")]
    VirtualMachineV1alpha1,
    #[value(name = "network")]
    Network,
    /// `.guestnet.yaml`
    #[value(name = "config")]
    Config,
}

impl Kind {
    /// The kinds with a file under `schemas/`.
    pub const ALL: &'static [Kind] = &[
        Kind::VirtualMachineV1alpha6,
        Kind::VirtualMachineV1alpha5,
        Kind::VirtualMachineV1alpha4,
        Kind::VirtualMachineV1alpha3,
        Kind::VirtualMachineV1alpha2,
        Kind::VirtualMachineV1alpha1,
        Kind::Network,
        Kind::Config,
    ];

    /// File name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::VirtualMachine | Kind::VirtualMachineV1alpha6 => {
                "virtualmachine-v1alpha6.schema.json"
            }
            Kind::VirtualMachineV1alpha5 => "virtualmachine-v1alpha5.schema.json",
            Kind::VirtualMachineV1alpha4 => "virtualmachine-v1alpha4.schema.json",
            Kind::VirtualMachineV1alpha3 => "virtualmachine-v1alpha3.schema.json",
            Kind::VirtualMachineV1alpha2 => "virtualmachine-v1alpha2.schema.json",
            Kind::VirtualMachineV1alpha1 => "virtualmachine-v1alpha1.schema.json",
            Kind::Network => "network.schema.json",
            Kind::Config => "guestnet-config.schema.json",
        }
    }

    /// The schema for a document's `apiVersion` and `kind`, if guestnet has one.
    pub fn for_document(api_version: &str, kind: &str) -> Option<Kind> {
        match (api_version, kind) {
            ("vmoperator.vmware.com/v1alpha6", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha6)
            }
            ("vmoperator.vmware.com/v1alpha5", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha5)
            }
            ("vmoperator.vmware.com/v1alpha4", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha4)
            }
            ("vmoperator.vmware.com/v1alpha3", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha3)
            }
            ("vmoperator.vmware.com/v1alpha2", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha2)
            }
            ("vmoperator.vmware.com/v1alpha1", "VirtualMachine") => {
                Some(Kind::VirtualMachineV1alpha1)
            }
            ("guestnet.dev/v1alpha1", "Network") => Some(Kind::Network),
            _ => None,
        }
    }
}

/// Fields that exist only in v1alpha6, by definition name.
const V1ALPHA6_ONLY: &[(&str, &str)] = &[
    ("NetworkSpec", "vlans"),
    ("InterfaceSpec", "type"),
    ("InterfaceSpec", "vnumaNodeID"),
    ("InterfaceSpec", "vmxnet3"),
    ("InterfaceSpec", "advancedProperties"),
    ("InterfaceSpec", "ipamModes"),
    ("BootstrapSpec", "disabled"),
];

/// Required fields the types default for the tolerant loader (which reports their
/// absence with the webhook's message instead of failing the document).
const REQUIRED: &[(&str, &[&str])] = &[("InterfaceSpec", &["name"]), ("RouteSpec", &["to", "via"])];

pub fn schema(kind: Kind) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let root = match kind {
        Kind::VirtualMachine | Kind::VirtualMachineV1alpha6 | Kind::VirtualMachineV1alpha5 => {
            generator.into_root_schema_for::<VirtualMachine>()
        }
        Kind::VirtualMachineV1alpha4 => {
            generator.into_root_schema_for::<v1alpha4::VirtualMachine>()
        }
        Kind::VirtualMachineV1alpha3 => {
            generator.into_root_schema_for::<v1alpha3::VirtualMachine>()
        }
        Kind::VirtualMachineV1alpha2 => {
            generator.into_root_schema_for::<v1alpha2::VirtualMachine>()
        }
        Kind::VirtualMachineV1alpha1 => {
            generator.into_root_schema_for::<v1alpha1::VirtualMachine>()
        }
        Kind::Network => generator.into_root_schema_for::<NetworkCatalog>(),
        Kind::Config => generator.into_root_schema_for::<ConfigFile>(),
    };
    let mut s = root.to_value();
    let Some(obj) = s.as_object_mut() else {
        return s;
    };
    let (title, api, k) = match kind {
        Kind::VirtualMachine | Kind::VirtualMachineV1alpha6 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha6 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha6"),
            Some("VirtualMachine"),
        ),
        Kind::VirtualMachineV1alpha5 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha5 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha5"),
            Some("VirtualMachine"),
        ),
        Kind::VirtualMachineV1alpha4 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha4 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha4"),
            Some("VirtualMachine"),
        ),
        Kind::VirtualMachineV1alpha3 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha3 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha3"),
            Some("VirtualMachine"),
        ),
        Kind::VirtualMachineV1alpha2 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha2 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha2"),
            Some("VirtualMachine"),
        ),
        Kind::VirtualMachineV1alpha1 => (
            "VirtualMachine, vmoperator.vmware.com/v1alpha1 (as guestnet reads it)",
            Some("vmoperator.vmware.com/v1alpha1"),
            Some("VirtualMachine"),
        ),
        Kind::Network => (
            "Network catalog, guestnet.dev/v1alpha1",
            Some("guestnet.dev/v1alpha1"),
            Some("Network"),
        ),
        Kind::Config => (
            "guestnet repository configuration (.guestnet.yaml)",
            None,
            None,
        ),
    };
    obj.insert(
        "$id".into(),
        json!(format!("{ID_BASE}{}", kind.file_name())),
    );
    obj.insert("title".into(), json!(title));
    if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
        if let Some(api) = api {
            props.insert("apiVersion".into(), json!({"const": api}));
        }
        if let Some(k) = k {
            props.insert("kind".into(), json!({"const": k}));
        }
    }
    let defs_key = "definitions";
    if let Some(defs) = obj.get_mut(defs_key).and_then(Value::as_object_mut) {
        for (def, fields) in REQUIRED {
            if let Some(d) = defs.get_mut(*def).and_then(Value::as_object_mut) {
                d.insert("required".into(), json!(fields));
            }
        }
        if kind == Kind::VirtualMachineV1alpha5 {
            for (def, field) in V1ALPHA6_ONLY {
                if let Some(p) = defs
                    .get_mut(*def)
                    .and_then(|d| d.get_mut("properties"))
                    .and_then(Value::as_object_mut)
                {
                    p.remove(*field);
                }
            }
        }
    }
    if kind == Kind::Config {
        config_details(obj);
    }
    prune_definitions(obj);
    s
}

/// Enumerations the config type keeps as strings (so its loader can name a bad value).
fn config_details(obj: &mut Map<String, Value>) {
    let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    let set = |props: &mut Map<String, Value>, key: &str, extra: Value| {
        if let (Some(p), Value::Object(extra)) =
            (props.get_mut(key).and_then(Value::as_object_mut), extra)
        {
            p.extend(extra);
        }
    };
    set(
        props,
        "provider",
        json!({"enum": ["vds", "nsxt", "vpc", null]}),
    );
    set(
        props,
        "macPolicy",
        json!({"enum": ["spec", "derive", "pci-order", null]}),
    );
    let codes: Vec<&str> = guestnet_core::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    set(
        props,
        "rules",
        json!({
            "propertyNames": {"enum": codes},
            "additionalProperties": {"enum": ["error", "warning", "info", "off"]},
        }),
    );
}

/// Drops definitions nothing refers to any more (v1alpha5 has no VLANs).
fn prune_definitions(obj: &mut Map<String, Value>) {
    loop {
        let text = serde_json::to_string(&Value::Object(obj.clone())).unwrap_or_default();
        let Some(defs) = obj.get_mut("definitions").and_then(Value::as_object_mut) else {
            return;
        };
        let unused: Vec<String> = defs
            .keys()
            .filter(|k| !text.contains(&format!("\"#/definitions/{k}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for k in unused {
            defs.remove(&k);
        }
    }
}

pub fn schema_text(kind: Kind) -> String {
    serde_json::to_string_pretty(&schema(kind)).unwrap_or_default() + "\n"
}
