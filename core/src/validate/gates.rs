//! vm-operator's feature gates (`pkg/config.FeatureStates`). A supervisor runs with some
//! gates off, and the webhook then rejects the gated fields ("the VLAN Sub Interface feature
//! is not enabled"); offline we cannot see the gates, so every one is on unless the user says
//! otherwise (`--feature-gates VMVlanSubinterface=false,...`).

use serde::Serialize;

/// Every gate name vm-operator has. Only the ones with a field in [`FeatureGates`] change
/// what guestnet checks or renders; the others are accepted so that a supervisor's whole
/// gate list can be passed as is.
pub const KNOWN: &[&str] = &[
    "InstanceStorage",
    "K8sWorkloadMgmtAPI",
    "PodVMOnStretchedSupervisor",
    "TKGMultipleCL",
    "VMResize",
    "VMResizeCPUMemory",
    "VMImportNewNet",
    "WorkloadDomainIsolation",
    "VMIncrementalRestore",
    "BringYourOwnEncryptionKey",
    "SVAsyncUpgrade",
    "FastDeploy",
    "MutableNetworks",
    "VMGroups",
    "ImmutableClasses",
    "VMSnapshots",
    "InventoryContentLibrary",
    "VMPlacementPolicies",
    "VSpherePolicies",
    "VMWaitForFirstConsumerPVC",
    "VMSharedDisks",
    "GuestCustomizationVCDParity",
    "AllDisksArePVCs",
    "VMAffinityDuringExecution",
    "StoragePolicyMutability",
    "VMVlanSubinterface",
    "TelcoVMServiceAPI",
    "PerNamespaceNetworkProvider",
    "WorkloadIPv6",
    "VirtualMachineConfigPolicy",
    "WorkloadNetworkConfiguration",
    "ExtensionCompatConstraint",
];

/// The gates that change guestnet's rules or output.
///
/// Two defaults, on purpose. Gates that admit a *field* (`vlans`, `ipamModes`, the VCD parity
/// fields, `advancedProperties`) default on: only someone whose supervisor has the gate writes
/// those fields, and rejecting them offline would be a false alarm. Gates that *relax an
/// update* (`MutableNetworks`, `VMResize`, `VMResizeCPUMemory`, `VMIncrementalRestore`, read
/// by `--against`) default off, as vm-operator ships them: a change to a running VM is
/// assumed immutable unless the repository's `.guestnet.yaml` or `--feature-gates` says the
/// cluster allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureGates {
    /// `VMVlanSubinterface`: `spec.network.vlans`.
    pub vlan_subinterface: bool,
    /// `WorkloadIPv6`: `interfaces[].ipamModes`.
    pub workload_ipv6: bool,
    /// `GuestCustomizationVCDParity`: LinuxPrep/Sysprep password, scriptText,
    /// expirePasswordAfterNextLogin, and the vCFA hash key in the CustomizationSpec.
    pub vcd_parity: bool,
    /// `TelcoVMServiceAPI`: `advancedProperties` checks, and the mutating webhook's default
    /// `type: VMXNet3`.
    pub telco_api: bool,
    /// `MutableNetworks`: interfaces may be added, removed or moved on an existing VM.
    pub mutable_networks: bool,
    /// `VMResize`: `className` may change on an existing VM.
    pub vm_resize: bool,
    /// `VMResizeCPUMemory`: CPU and memory may change on an existing VM.
    pub vm_resize_cpu_memory: bool,
    /// `VMIncrementalRestore`: a restored VM may change otherwise immutable fields.
    pub incremental_restore: bool,
    /// The gates the command line set, which a configuration file may not change (bit per
    /// [`TRACKED`] entry).
    #[serde(skip)]
    pinned: u16,
}

/// The tracked gates, in the order of [`FeatureGates::slot`].
const TRACKED: &[&str] = &[
    "VMVlanSubinterface",
    "WorkloadIPv6",
    "GuestCustomizationVCDParity",
    "TelcoVMServiceAPI",
    "MutableNetworks",
    "VMResize",
    "VMResizeCPUMemory",
    "VMIncrementalRestore",
];

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates {
            vlan_subinterface: true,
            workload_ipv6: true,
            vcd_parity: true,
            telco_api: true,
            mutable_networks: false,
            vm_resize: false,
            vm_resize_cpu_memory: false,
            incremental_restore: false,
            pinned: 0,
        }
    }
}

impl FeatureGates {
    /// Parses `Name=true|false[,Name=true|false...]` over the defaults. Names are
    /// vm-operator's, exactly; anything else is an error that lists them. The gates named
    /// are pinned: [`FeatureGates::set_unless_pinned`] leaves them alone.
    pub fn parse(spec: &str) -> Result<FeatureGates, String> {
        let mut g = FeatureGates::default();
        for item in spec.split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let Some((name, value)) = item.split_once('=') else {
                return Err(format!(
                    "feature gate {item:?} has no value; write {item}=true or {item}=false"
                ));
            };
            let (name, value) = (name.trim(), value.trim());
            let on = match value {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(format!(
                        "feature gate {name}={value:?}: the value must be true or false"
                    ));
                }
            };
            g.set(name, on)?;
            if let Some(i) = TRACKED.iter().position(|t| *t == name) {
                g.pinned |= 1 << i;
            }
        }
        Ok(g)
    }

    /// Sets one gate by vm-operator's name; an unknown name is an error that lists them.
    pub fn set(&mut self, name: &str, on: bool) -> Result<(), String> {
        if !KNOWN.contains(&name) {
            let hint = KNOWN
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown feature gate {name:?}{hint}; vm-operator's gates are: {}",
                KNOWN.join(", ")
            ));
        }
        if let Some(slot) = self.slot(name) {
            *slot = on;
        }
        Ok(())
    }

    /// Sets a gate from a configuration file unless the command line named it.
    pub fn set_unless_pinned(&mut self, name: &str, on: bool) -> Result<(), String> {
        match TRACKED.iter().position(|t| *t == name) {
            Some(i) if self.pinned & (1 << i) != 0 => Ok(()),
            _ => self.set(name, on),
        }
    }

    /// Whether a gate is on; gates guestnet does not track count as on.
    pub fn enabled(&self, name: &str) -> bool {
        let mut g = *self;
        g.slot(name).map(|s| *s).unwrap_or(true)
    }

    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "VMVlanSubinterface" => &mut self.vlan_subinterface,
            "WorkloadIPv6" => &mut self.workload_ipv6,
            "GuestCustomizationVCDParity" => &mut self.vcd_parity,
            "TelcoVMServiceAPI" => &mut self.telco_api,
            "MutableNetworks" => &mut self.mutable_networks,
            "VMResize" => &mut self.vm_resize,
            "VMResizeCPUMemory" => &mut self.vm_resize_cpu_memory,
            "VMIncrementalRestore" => &mut self.incremental_restore,
            _ => return None,
        })
    }
}

/// vm-operator's `featureNotEnabled` text.
pub(crate) fn not_enabled(feature: &str) -> String {
    format!("the {feature} feature is not enabled")
}

/// vm-operator's `guestCustomizationVCDParityNotEnabled` text.
pub(crate) const VCD_PARITY_NOT_ENABLED: &str =
    "VC guest customization VCD parity capability is not enabled";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strictly() {
        let g = FeatureGates::parse("VMVlanSubinterface=false, WorkloadIPv6=false").unwrap();
        assert!(!g.vlan_subinterface && !g.workload_ipv6 && g.vcd_parity && g.telco_api);
        assert_eq!(FeatureGates::parse("").unwrap(), FeatureGates::default());
        assert!(
            FeatureGates::parse("MutableNetworks=true")
                .unwrap()
                .mutable_networks
        );
        assert!(!FeatureGates::default().enabled("VMResize"));
        assert!(FeatureGates::default().enabled("FastDeploy"));
        let e = FeatureGates::parse("vmvlansubinterface=false").unwrap_err();
        assert!(e.contains("did you mean VMVlanSubinterface?"), "{e}");
        assert!(
            FeatureGates::parse("Nope=true")
                .unwrap_err()
                .contains("unknown feature gate \"Nope\"")
        );
        assert!(
            FeatureGates::parse("WorkloadIPv6")
                .unwrap_err()
                .contains("has no value")
        );
        assert!(
            FeatureGates::parse("WorkloadIPv6=off")
                .unwrap_err()
                .contains("true or false")
        );
    }

    #[test]
    fn the_command_line_wins_over_a_configuration_file() {
        let mut g = FeatureGates::parse("VMResize=false").unwrap();
        g.set_unless_pinned("VMResize", true).unwrap();
        g.set_unless_pinned("MutableNetworks", true).unwrap();
        assert!(!g.vm_resize && g.mutable_networks);
        assert!(g.set_unless_pinned("Nope", true).is_err());
    }
}
