//! `vmoperator.vmware.com/v1alpha1` VirtualMachine: the pre-"VM Service" API. Its network is
//! a list of `networkInterfaces` (a network name and type, no addressing) and its bootstrap a
//! `vmMetadata` transport reading a ConfigMap or Secret. Field names and shapes follow the
//! served CRD; what guestnet does not read stays opaque JSON so real manifests load.

use super::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

schema! {
/// A v1alpha1 VirtualMachine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1VirtualMachine"))]
pub struct VirtualMachine {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: VirtualMachineSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// v1alpha1 `spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1VirtualMachineSpec"))]
pub struct VirtualMachineSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    /// `poweredOn`, `poweredOff` or `suspended` (the hub spells them `PoweredOn`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    /// `hard`, `soft` or `trySoft` (the hub: `Hard`, …); also suspendMode and restartMode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_off_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_restart_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_mode: Option<String>,
    /// Deprecated in v1alpha1 already; no later version has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ports: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_metadata: Option<VmMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[cfg_attr(feature = "schema", schemars(length(max = 10)))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_interfaces: Vec<NetworkInterface>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_options: Option<AdvancedOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_hardware_version: Option<i64>,
}

/// `spec.networkInterfaces[]`: which network a NIC joins; no addressing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1NetworkInterface"))]
pub struct NetworkInterface {
    /// `nsx-t`, `nsx-t-subnet`, `nsx-t-subnetset` or `vsphere-distributed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_ref: Option<ProviderRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethernet_card_type: Option<String>,
}

/// `networkInterfaces[].providerRef`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1ProviderRef"))]
pub struct ProviderRef {
    #[serde(default)]
    pub api_group: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// `spec.vmMetadata`: bootstrap data in a ConfigMap or Secret, and how it reaches the guest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1VmMetadata"))]
pub struct VmMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// `ExtraConfig`, `OvfEnv`, `vAppConfig`, `CloudInit` or `Sysprep`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
}

/// `spec.volumes[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1Volume"))]
pub struct Volume {
    #[serde(default)]
    pub name: String,
    /// Same shape as the hub's (claimName, readOnly, instanceVolumeClaim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim: Option<Value>,
    #[serde(default, rename = "vSphereVolume", skip_serializing_if = "Option::is_none")]
    pub vsphere_volume: Option<VsphereVolume>,
}

/// `volumes[].vSphereVolume`: only the boot disk's capacity survives conversion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1VsphereVolume"))]
pub struct VsphereVolume {
    /// A ResourceList: `ephemeral-storage` is the disk size.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<i64>,
}

/// `spec.advancedOptions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1AdvancedOptions"))]
pub struct AdvancedOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_volume_provisioning_options: Option<VolumeProvisioningOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_block_tracking: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha1VolumeProvisioningOptions"))]
pub struct VolumeProvisioningOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thin_provisioned: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eager_zeroed: Option<bool>,
}
}
