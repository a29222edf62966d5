//! `vmoperator.vmware.com/v1alpha2` VirtualMachine: the first "VM Service" API, and what most
//! existing manifests are. Against the model it lacks `network.domainName` (Sysprep carries
//! `identification.joinDomain` instead), `cloudInit.instanceID`, `guestID`, `biosUUID`, and
//! every later addition; `dhcp4`/`dhcp6` are plain booleans. Types identical to the model's
//! are the model's.

use super::{
    CloudConfig, GuiUnattended, LicenseFilePrintData, ObjectMeta, PartialObjectRef, RouteSpec,
    SecretKeySelector, SysprepUserData, VAppConfigSpec,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

schema! {
/// A v1alpha2 VirtualMachine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2VirtualMachine"))]
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

/// v1alpha2 `spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2VirtualMachineSpec"))]
pub struct VirtualMachineSpec {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

/// v1alpha2 `spec.network`: no `domainName`, no VLANs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2NetworkSpec"))]
pub struct NetworkSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
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

/// `spec.network.interfaces[]` of v1alpha2 to v1alpha4: the model's interface without the
/// v1alpha6 NIC fields, with boolean (not tri-state) DHCP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2InterfaceSpec"))]
pub struct InterfaceSpec {
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^[a-z0-9]{2,}$")))]
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<PartialObjectRef>,
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^\w\w+$")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_device_name: Option<String>,
    #[cfg_attr(feature = "schema", schemars(regex(pattern = r"^([0-9A-Fa-f]{2}:){5}([0-9A-Fa-f]{2})$")))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_addr: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
    /// A plain boolean in these versions: `false` and absent are the same value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp4: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp6: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_domains: Vec<String>,
}

/// v1alpha2 `spec.bootstrap`: no `disabled`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2BootstrapSpec"))]
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

/// v1alpha2 `spec.bootstrap.cloudInit`: no `instanceID`, no `waitOnNetwork4/6`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2CloudInitSpec"))]
pub struct CloudInitSpec {
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

/// `spec.bootstrap.linuxPrep` of v1alpha2 to v1alpha4.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2LinuxPrepSpec"))]
pub struct LinuxPrepSpec {
    #[serde(default, rename = "hardwareClockIsUTC", skip_serializing_if = "Option::is_none")]
    pub hardware_clock_is_utc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// v1alpha2 `spec.bootstrap.sysprep`: no `customizeAtNextPowerOn`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2SysprepSpec"))]
pub struct SysprepSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysprep: Option<Sysprep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sysprep: Option<SecretKeySelector>,
}

/// v1alpha2 inline Sysprep: `identification.joinDomain`, no `expirePasswordAfterNextLogin`
/// or `scriptText`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2Sysprep"))]
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

/// v1alpha2 `guiRunOnce`: a struct value in Go, so only a present `commands` list (even an
/// empty one) survives conversion.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2GuiRunOnce"))]
pub struct GuiRunOnce {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<String>>,
}

/// v1alpha2 `identification`: `joinDomain` becomes the model's `spec.network.domainName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha2Identification"))]
pub struct Identification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_admin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_admin_password: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_domain: Option<String>,
    #[serde(default, rename = "domainOU", skip_serializing_if = "Option::is_none")]
    pub domain_ou: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_workgroup: Option<String>,
}
}
