//! Targets. Each renderer reads only [`Resolved`](crate::resolve::Resolved) (plus the spec
//! for bootstrap payloads that are not network configuration) and returns artifacts, or the
//! diagnostics explaining why it cannot — never a partial artifact.

pub mod cloudinit;
pub mod gosc;
pub mod netplan;
pub mod status;
pub mod yaml_out;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Provider, VirtualMachine};
use crate::resolve::Resolved;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    Netplan,
    CloudInit,
    Status,
    Gosc,
}

impl Target {
    pub const ALL: &'static [Target] = &[
        Target::Netplan,
        Target::CloudInit,
        Target::Status,
        Target::Gosc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Netplan => "netplan",
            Target::CloudInit => "cloud-init",
            Target::Status => "status",
            Target::Gosc => "gosc",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// Whether the VM's bootstrap provider makes the guest read this artifact.
    fn used_by(self, vm: &VirtualMachine, p: Provider) -> bool {
        match self {
            Target::Netplan | Target::CloudInit => p == Provider::CloudInit,
            Target::Status => true,
            Target::Gosc => gosc::used_by(vm, p),
        }
    }
}

/// How vm-operator-compatible the netplan output should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayStyle {
    /// `routes: [{to: default, via}]` — what netplan recommends.
    #[default]
    Routes,
    /// Deprecated `gateway4`/`gateway6` keys, byte-compatible with vm-operator.
    Gateway4,
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub gateway_style: GatewayStyle,
    pub gosc: gosc::GoscOptions,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// File name inside the VM's output folder, e.g. `netplan.yaml`.
    pub name: String,
    pub content: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub artifacts: Vec<Artifact>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn render(target: Target, vm: &VirtualMachine, r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut out = match target {
        Target::Netplan => netplan::render(r, opts),
        Target::CloudInit => cloudinit::render(vm, r, opts),
        Target::Status => status::render(r),
        Target::Gosc => gosc::render(vm, r, opts),
    };
    if !target.used_by(vm, r.provider) {
        let mut d = Diagnostic::new(
            Code::TargetUnused,
            "spec.bootstrap",
            format!(
                "the {} target is a preview: with bootstrap provider {:?} the guest does not read it",
                target.as_str(),
                r.provider
            ),
        );
        if target == Target::Gosc && r.provider == Provider::CloudInit {
            d = d.with_help(format!(
                "vm-operator sends CustomizationCloudinitPrep only with the annotation {}: cloudinitprep",
                gosc::CLOUDINIT_TYPE_ANNOTATION
            ));
        }
        out.diagnostics.push(d);
    }
    out
}
