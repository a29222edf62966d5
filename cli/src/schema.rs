//! JSON Schemas for the input kinds, generated from the Rust types (the types are the
//! source of truth; `schemas/` holds the checked-in copies and a test keeps them fresh).

use guestnet_core::model::{NetworkCatalog, VirtualMachine};
use schemars::generate::SchemaSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    #[value(name = "virtualmachine")]
    VirtualMachine,
    #[value(name = "network")]
    Network,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[Kind::VirtualMachine, Kind::Network];

    /// File name under `schemas/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Kind::VirtualMachine => "virtualmachine.schema.json",
            Kind::Network => "network.schema.json",
        }
    }
}

pub fn schema(kind: Kind) -> serde_json::Value {
    match kind {
        Kind::VirtualMachine => virtual_machine(),
        Kind::Network => {
            let generator = SchemaSettings::draft2020_12().into_generator();
            let mut s = generator.into_root_schema_for::<NetworkCatalog>();
            s.insert(
                "title".into(),
                "Network catalog (guestnet.dev/v1alpha1)".into(),
            );
            if let Some(props) = s.get_mut("properties").and_then(|p| p.as_object_mut()) {
                props.insert(
                    "apiVersion".into(),
                    serde_json::json!({"const": "guestnet.dev/v1alpha1"}),
                );
            }
            s.to_value()
        }
    }
}

/// Every served version: the apiVersion selects the version's own type (v1alpha5 and
/// v1alpha6 share the model's), as the loader does.
fn virtual_machine() -> serde_json::Value {
    use guestnet_core::model::{ApiVersion, v1alpha1, v1alpha2, v1alpha3, v1alpha4};
    let mut g = SchemaSettings::draft2020_12().into_generator();
    let per_version = [
        (
            ApiVersion::V1alpha1,
            g.subschema_for::<v1alpha1::VirtualMachine>(),
        ),
        (
            ApiVersion::V1alpha2,
            g.subschema_for::<v1alpha2::VirtualMachine>(),
        ),
        (
            ApiVersion::V1alpha3,
            g.subschema_for::<v1alpha3::VirtualMachine>(),
        ),
        (
            ApiVersion::V1alpha4,
            g.subschema_for::<v1alpha4::VirtualMachine>(),
        ),
        (ApiVersion::V1alpha5, g.subschema_for::<VirtualMachine>()),
        (ApiVersion::V1alpha6, g.subschema_for::<VirtualMachine>()),
    ];
    let branches: Vec<serde_json::Value> = per_version
        .iter()
        .map(|(v, s)| {
            serde_json::json!({
                "if": {"properties": {"apiVersion": {"const": v.api_version()}}, "required": ["apiVersion"]},
                "then": s.clone().to_value(),
            })
        })
        .collect();
    let versions: Vec<&str> = ApiVersion::ALL.iter().map(|v| v.api_version()).collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "VirtualMachine (vmoperator.vmware.com v1alpha1-v1alpha6, as guestnet reads it)",
        "description": "A vm-operator VirtualMachine of any served version; the apiVersion selects the version's fields.",
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"apiVersion": {"enum": versions}},
        "allOf": branches,
        "$defs": g.take_definitions(true),
    })
}

pub fn schema_text(kind: Kind) -> String {
    serde_json::to_string_pretty(&schema(kind)).unwrap_or_default() + "\n"
}
