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
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut s = match kind {
        Kind::VirtualMachine => generator.into_root_schema_for::<VirtualMachine>(),
        Kind::Network => generator.into_root_schema_for::<NetworkCatalog>(),
    };
    let (title, api) = match kind {
        Kind::VirtualMachine => (
            "VirtualMachine (vmoperator.vmware.com v1alpha5/v1alpha6, as guestnet reads it)",
            serde_json::json!({"enum": ["vmoperator.vmware.com/v1alpha5", "vmoperator.vmware.com/v1alpha6"]}),
        ),
        Kind::Network => (
            "Network catalog (guestnet.dev/v1alpha1)",
            serde_json::json!({"const": "guestnet.dev/v1alpha1"}),
        ),
    };
    s.insert("title".into(), title.into());
    if let Some(props) = s.get_mut("properties").and_then(|p| p.as_object_mut()) {
        props.insert("apiVersion".into(), api);
    }
    s.to_value()
}

pub fn schema_text(kind: Kind) -> String {
    serde_json::to_string_pretty(&schema(kind)).unwrap_or_default() + "\n"
}
