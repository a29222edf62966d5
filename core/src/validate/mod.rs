//! Validation: vm-operator parity rules (same limits, same message text) and checks
//! vm-operator lacks. Which fields a version has is decided when the document is loaded
//! ([`crate::convert::fields_of_other_versions`]). Rules only produce diagnostics with field
//! paths; positions are attached by the pipeline from the source tree, so rules stay
//! independent of the syntax.

mod advanced;
mod bootstrap;
mod compute;
pub mod gates;
pub mod guest;
mod hostname;
mod jinja;
pub mod names;
mod network;
mod stricter;
pub mod update;
mod xmlchars;

pub use gates::FeatureGates;
pub use hostname::{is_valid_domain_name, is_valid_host_name};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{ApiVersion, NetworkCatalog, VirtualMachine};
use serde::Serialize;

/// The cluster's network provider, when the user tells us (offline we cannot see it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NetworkProvider {
    Vds,
    Nsxt,
    Vpc,
}

#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// With a provider, provider-dependent rules are the webhook's errors; without, warnings.
    pub provider: Option<NetworkProvider>,
    /// A namespace's legacy provider (NetworkSettings `legacyProvider`), whose networks the
    /// webhook accepts besides the primary provider's.
    pub legacy_provider: Option<NetworkProvider>,
    /// vm-operator's feature gates (default: all on).
    pub features: FeatureGates,
}

impl ValidateOptions {
    /// Whether a vm-operator feature gate is on (see [`FeatureGates`] for the defaults).
    pub fn feature_enabled(&self, gate: &str) -> bool {
        self.features.enabled(gate)
    }
}

pub(crate) struct Ctx<'a> {
    pub vm: &'a VirtualMachine,
    pub version: ApiVersion,
    pub opts: &'a ValidateOptions,
    pub catalogs: &'a [NetworkCatalog],
    pub out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub fn push(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    /// Severity for rules that depend on the network provider.
    pub fn provider_severity(&self) -> Severity {
        if self.opts.provider.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

/// Runs every rule over one VirtualMachine.
pub fn validate(
    vm: &VirtualMachine,
    version: ApiVersion,
    catalogs: &[NetworkCatalog],
    opts: &ValidateOptions,
) -> Vec<Diagnostic> {
    let mut cx = Ctx {
        vm,
        version,
        opts,
        catalogs,
        out: Vec::new(),
    };
    if vm.kind != "VirtualMachine" {
        cx.push(Diagnostic::invalid(
            Code::UnsupportedKind,
            "kind",
            &vm.kind,
            "kind must be VirtualMachine",
        ));
    }
    names::check(&mut cx);
    hostname::check(&mut cx);
    network::check(&mut cx);
    compute::check(&mut cx);
    advanced::check(&mut cx);
    bootstrap::check(&mut cx);
    stricter::check(&mut cx);
    guest::check(&mut cx);
    jinja::check(&mut cx);
    xmlchars::check_all(&mut cx);
    cx.out
}

/// `a,b,c` — how vm-operator prints a list value inside `Invalid value: "..."`.
pub(crate) fn joined(items: &[String]) -> String {
    items.join(",")
}

/// `spec.network.interfaces[i]`.
pub(crate) fn iface_path(i: usize) -> String {
    format!("spec.network.interfaces[{i}]")
}

/// The CRD's pattern error text (apiserver OpenAPI validation).
pub(crate) fn pattern_detail(path: &str, pattern: &str) -> String {
    format!("{path} in body should match '{pattern}'")
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::source::{de, yaml};

    pub fn vm(yaml_text: &str) -> VirtualMachine {
        let docs = yaml::parse_documents(yaml_text, &yaml::Limits::default()).unwrap();
        let sink = de::Sink::default();
        let vm: VirtualMachine = de::from_node(&docs[0].root, &sink).unwrap();
        assert!(
            sink.diagnostics.borrow().is_empty(),
            "{:?}",
            sink.diagnostics
        );
        vm
    }

    pub fn run(yaml_text: &str) -> Vec<String> {
        let vm = vm(yaml_text);
        let v = ApiVersion::parse(&vm.api_version).unwrap_or(ApiVersion::V1alpha6);
        validate(&vm, v, &[], &ValidateOptions::default())
            .iter()
            .map(|d| format!("{} {}", d.code, d.webhook_text()))
            .collect()
    }

    /// A CloudInit VM around the given `interfaces:` items.
    pub fn ci(iface: &str) -> String {
        format!(
            "{HEAD}spec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    interfaces:\n{iface}"
        )
    }

    pub const HEAD: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: my-vm, namespace: ns}\n";
}
