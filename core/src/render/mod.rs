//! Targets. Each renderer reads only [`Resolved`](crate::resolve::Resolved) (plus the spec
//! for bootstrap payloads that are not network configuration) and returns artifacts, or the
//! diagnostics explaining why it cannot — never a partial artifact.

pub mod cloudinit;
pub mod custcfg;
pub mod encode;
pub mod gosc;
pub mod gotemplate;
pub mod netplan;
pub mod status;
pub mod vapp;
pub mod vmx;
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
    Vapp,
    Custcfg,
    Vmx,
    Gosc,
}

impl Target {
    pub const ALL: &'static [Target] = &[
        Target::Netplan,
        Target::CloudInit,
        Target::Status,
        Target::Vapp,
        Target::Custcfg,
        Target::Vmx,
        Target::Gosc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Target::Netplan => "netplan",
            Target::CloudInit => "cloud-init",
            Target::Status => "status",
            Target::Vapp => "vapp",
            Target::Custcfg => "custcfg",
            Target::Vmx => "vmx",
            Target::Gosc => "gosc",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }

    /// Whether the VM's bootstrap makes the guest (or vSphere) read this artifact.
    pub(crate) fn used_by(self, vm: &VirtualMachine, p: Provider) -> bool {
        match self {
            Target::Netplan | Target::CloudInit => p == Provider::CloudInit,
            Target::Status | Target::Vmx => true,
            // vAppConfig may accompany LinuxPrep or Sysprep.
            Target::Vapp => vm.bootstrap().is_some_and(|b| b.vapp_config.is_some()),
            // Linux guest customization (also vm-operator's default for Linux guests), the
            // guest side of the LinuxPrep CustomizationSpec vm-operator may skip.
            Target::Custcfg => {
                matches!(p, Provider::LinuxPrep | Provider::None)
                    && gosc::customization_latched_off(vm).is_none()
            }
            Target::Gosc => gosc::used_by(vm, p),
        }
    }
}

/// How vm-operator-compatible the netplan output should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GatewayStyle {
    /// `routes: [{to: 0.0.0.0/0, via}]` for the IPv4 default gateway (netplan deprecated
    /// `gateway4`); the IPv6 one stays `gateway6`, which cloud-init 22.4 reads right.
    #[default]
    Routes,
    /// Deprecated `gateway4`/`gateway6` keys, byte-compatible with vm-operator.
    Gateway4,
}

#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub gateway_style: GatewayStyle,
    /// vm-operator's feature gates; GuestCustomizationVCDParity decides what the
    /// CustomizationSpec carries.
    pub features: crate::validate::FeatureGates,
    pub gosc: gosc::GoscOptions,
    /// cust.cfg `[MISC] MARKER-ID`: makes the guest run password and script customization
    /// once per new marker.
    pub custcfg_marker_id: Option<String>,
    /// cust.cfg `[MISC] POST-GC-STATUS = yes`: the guest reports progress in
    /// `guestinfo.gc.status`.
    pub custcfg_post_gc_status: bool,
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
        Target::Vapp => vapp::render(vm, r),
        Target::Custcfg => custcfg::render(vm, r, opts),
        Target::Vmx => vmx::render(vm, r, opts),
        Target::Gosc => gosc::render(vm, r, opts),
    };
    let latched = gosc::customization_latched_off(vm);
    if latched.is_some() && target == Target::Gosc {
        // GN402 from the renderer already says why there is no spec.
    } else if !target.used_by(vm, r.provider) {
        let why = match latched {
            Some(_) if target == Target::Custcfg => {
                "customizeAtNextPowerOn is false, so vm-operator does not customize the guest and the guest does not read it".to_string()
            }
            _ => format!(
                "with bootstrap provider {:?} the guest does not read it",
                r.provider
            ),
        };
        let mut d = Diagnostic::new(
            Code::TargetUnused,
            "spec.bootstrap",
            format!("the {} target is a preview: {why}", target.as_str()),
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

/// Renders several targets for one VM, all or nothing per target. A target in `strict` (named
/// explicitly by the user) that cannot be rendered keeps its errors; any other (`--target
/// all`) is left out with `GN313` warnings saying why, and the VM keeps the targets it can have.
pub fn render_targets(
    targets: &[Target],
    strict: &[Target],
    vm: &VirtualMachine,
    r: &Resolved,
    opts: &RenderOptions,
) -> Rendered {
    use crate::diagnostic::Severity;
    let mut out = Rendered::default();
    for t in targets {
        let mut one = render(*t, vm, r, opts);
        if one
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            one.artifacts.clear();
            if !strict.contains(t) {
                for d in one
                    .diagnostics
                    .iter_mut()
                    .filter(|d| d.severity == Severity::Error)
                {
                    let mut w = Diagnostic::new(
                        Code::TargetNotRendered,
                        d.path.clone(),
                        format!(
                            "the {} target is left out for this VM: {}",
                            t.as_str(),
                            d.message
                        ),
                    );
                    w.help = d.help.take();
                    *d = w;
                }
            }
        }
        out.artifacts.extend(one.artifacts);
        out.diagnostics.extend(one.diagnostics);
    }
    out
}
