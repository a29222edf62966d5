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

/// The gates that change guestnet's rules or output. Default: all on.
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
}

impl Default for FeatureGates {
    fn default() -> Self {
        FeatureGates {
            vlan_subinterface: true,
            workload_ipv6: true,
            vcd_parity: true,
            telco_api: true,
        }
    }
}

impl FeatureGates {
    /// Parses `Name=true|false[,Name=true|false...]` over the defaults. Names are
    /// vm-operator's, exactly; anything else is an error that lists them.
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
            match name {
                "VMVlanSubinterface" => g.vlan_subinterface = on,
                "WorkloadIPv6" => g.workload_ipv6 = on,
                "GuestCustomizationVCDParity" => g.vcd_parity = on,
                "TelcoVMServiceAPI" => g.telco_api = on,
                _ => {}
            }
        }
        Ok(g)
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
        assert!(FeatureGates::parse("MutableNetworks=true").is_ok());
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
}
