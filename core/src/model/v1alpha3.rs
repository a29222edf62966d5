//! `vmoperator.vmware.com/v1alpha3` VirtualMachine. Against v1alpha2 it adds
//! `network.domainName` (replacing Sysprep's `joinDomain`), `cloudInit.instanceID`,
//! `guestID`, `biosUUID`, `instanceUUID`, `image` and `cdrom`. Its network and bootstrap are
//! also v1alpha4's ([`super::v1alpha4`] reuses them).

use super::v1alpha2::{InterfaceSpec, LinuxPrepSpec};
use super::{
    CloudConfig, GuiRunOnce, GuiUnattended, Identification, LicenseFilePrintData, ObjectMeta,
    SecretKeySelector, SysprepUserData, VAppConfigSpec,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

schema! {
/// A v1alpha3 VirtualMachine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3VirtualMachine"))]
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

/// v1alpha3 `spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3VirtualMachineSpec"))]
pub struct VirtualMachineSpec {
    /// Moves to `spec.hardware.cdrom` in v1alpha5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdrom: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_off_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_restart_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_hardware_version: Option<i64>,
    #[serde(default, rename = "instanceUUID", skip_serializing_if = "Option::is_none")]
    pub instance_uuid: Option<String>,
    #[serde(default, rename = "biosUUID", skip_serializing_if = "Option::is_none")]
    pub bios_uuid: Option<String>,
    #[serde(default, rename = "guestID", skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

/// `spec.network` of v1alpha3 and v1alpha4: v1alpha2's plus `domainName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3NetworkSpec"))]
pub struct NetworkSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub disabled: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_domains: Vec<String>,
    #[cfg_attr(feature = "schema", schemars(length(max = 10)))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<InterfaceSpec>,
}

/// `spec.bootstrap` of v1alpha3 and v1alpha4.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3BootstrapSpec"))]
pub struct BootstrapSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInitSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_prep: Option<LinuxPrepSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysprep: Option<SysprepSpec>,
    #[serde(default, rename = "vAppConfig", skip_serializing_if = "Option::is_none")]
    pub vapp_config: Option<VAppConfigSpec>,
}

/// `spec.bootstrap.cloudInit` of v1alpha3 and v1alpha4: v1alpha2's plus `instanceID`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3CloudInitSpec"))]
pub struct CloudInitSpec {
    #[serde(default, rename = "instanceID", skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_config: Option<CloudConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_cloud_config: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_authorized_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_global_nameservers_as_default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_global_search_domains_as_default: Option<bool>,
}

/// `spec.bootstrap.sysprep` of v1alpha3 and v1alpha4: no `customizeAtNextPowerOn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3SysprepSpec"))]
pub struct SysprepSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysprep: Option<Sysprep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sysprep: Option<SecretKeySelector>,
}

/// Inline Sysprep of v1alpha3 and v1alpha4: the model's without
/// `expirePasswordAfterNextLogin` and `scriptText`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha3Sysprep"))]
pub struct Sysprep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gui_run_once: Option<GuiRunOnce>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gui_unattended: Option<GuiUnattended>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<Identification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_file_print_data: Option<LicenseFilePrintData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<SysprepUserData>,
}
}
