//! Reverse translators: a guest artifact -> the model, so every format can be translated into
//! every other through the same pipeline (`guestnet convert --from F`). Each format module
//! is tolerant of what real files contain and strict about what would change meaning; it
//! returns diagnostics with positions in *its* input.

pub mod custcfg;
pub mod netplan;
pub mod vapp;
pub mod vmx;

use crate::diagnostic::Diagnostic;
use crate::model::VirtualMachine;
use crate::render::yaml_out;

/// Formats `guestnet convert --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Netplan,
    Custcfg,
    Vapp,
    Vmx,
}

impl Format {
    pub const ALL: &'static [Format] =
        &[Format::Netplan, Format::Custcfg, Format::Vapp, Format::Vmx];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Netplan => "netplan",
            Format::Custcfg => "custcfg",
            Format::Vapp => "vapp",
            Format::Vmx => "vmx",
        }
    }

    pub fn parse_name(s: &str) -> Option<Format> {
        Self::ALL.iter().copied().find(|f| f.as_str() == s)
    }
}

/// What a reverse parser produced: VirtualMachines (possibly several, e.g. a SOAP batch) and
/// findings. Errors mean the VMs must not be used.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub vms: Vec<VirtualMachine>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `text` as `format`. `name` is the VM name to use when the format carries none.
pub fn parse(format: Format, text: &str, name: &str) -> Parsed {
    match format {
        Format::Netplan => netplan::parse(text, name),
        Format::Custcfg => custcfg::parse(text, name),
        Format::Vapp => vapp::parse(text, name),
        Format::Vmx => vmx::parse(text, name),
    }
}

/// A VirtualMachine as YAML (block style, the API's field order, empty fields omitted).
pub fn to_yaml(vm: &VirtualMachine) -> String {
    let v = serde_json::to_value(vm).unwrap_or(serde_json::Value::Null);
    yaml_out::to_string(&yaml_out::from_json_ordered(&v))
}
