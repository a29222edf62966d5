//! Input kinds: vm-operator's `VirtualMachine` (v1alpha5 and v1alpha6 as one superset; the
//! validator flags v1alpha6-only fields in a v1alpha5 document) and guestnet's own network
//! catalog. Field names are the API's JSON names. Fields guestnet does not read are still
//! declared (as opaque JSON) so that real manifests are accepted and typos are not.
//!
//! Enum-like strings stay `String`: the validator reports a bad value with the webhook's text
//! instead of the deserializer aborting the whole document.

pub mod catalog;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub use catalog::NetworkCatalog;

/// `vmoperator.vmware.com` API versions guestnet reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ApiVersion {
    V1alpha5,
    V1alpha6,
}

impl ApiVersion {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vmoperator.vmware.com/v1alpha5" => Some(Self::V1alpha5),
            "vmoperator.vmware.com/v1alpha6" => Some(Self::V1alpha6),
            _ => None,
        }
    }
}

macro_rules! schema {
    ($($item:item)*) => {$(
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        $item
    )*};
}

schema! {
/// A vm-operator VirtualMachine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

/// Kubernetes object metadata (the fields a manifest may carry).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_references: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_fields: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
}

/// `spec`. guestnet reads network, bootstrap, guestID and biosUUID; the rest is accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VirtualMachineSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapSpec>,
    #[serde(default, rename = "guestID", skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<String>,
    #[serde(default, rename = "biosUUID", skip_serializing_if = "Option::is_none")]
    pub bios_uuid: Option<String>,
    #[serde(default, rename = "instanceUUID", skip_serializing_if = "Option::is_none")]
    pub instance_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_hardware_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_options: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_advanced: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crypto: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_snapshot_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_advanced: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_restart_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_off_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promote_disks_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_attributes_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Value>,
}

/// `spec.network`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "schema", schemars(length(max = 10)))]
    pub interfaces: Vec<InterfaceSpec>,
    /// v1alpha6 only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vlans: Vec<VlanSpec>,
}

/// `spec.network.interfaces[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    /// Tri-state in v1alpha6 (absent: the network provider decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp4: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp6: Option<bool>,
    /// An IPv4 address, or `None` to suppress the network provider's gateway.
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
    /// v1alpha6 only: VMXNet3, SRIOV, E1000, E1000e, VMXNet2, PCNet32.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub nic_type: Option<String>,
    #[serde(default, rename = "vnumaNodeID", skip_serializing_if = "Option::is_none")]
    pub vnuma_node_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vmxnet3: Option<Vmxnet3Spec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advanced_properties: Vec<KeyValuePair>,
    #[cfg_attr(feature = "schema", schemars(length(max = 2)))]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipam_modes: Vec<String>,
}

/// Reference to the network an interface is attached to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartialObjectRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: String,
}

/// `interfaces[].routes[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteSpec {
    /// `default` or a CIDR.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub via: String,
    #[cfg_attr(feature = "schema", schemars(range(min = 1)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<i64>,
}

/// `spec.network.vlans[]` (v1alpha6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VlanSpec {
    #[cfg_attr(feature = "schema", schemars(length(min = 1, max = 15), regex(pattern = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")))]
    #[serde(default)]
    pub name: String,
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 4094)))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(default)]
    pub link: String,
}

/// `interfaces[].vmxnet3` (v1alpha6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Vmxnet3Spec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctx_per_dev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_offload_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udp_rss_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pnic_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalescing_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalescing_params: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uptv2_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyValuePair {
    #[serde(default)]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `spec.bootstrap`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootstrapSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_init: Option<CloudInitSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_prep: Option<LinuxPrepSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysprep: Option<SysprepSpec>,
    #[serde(default, rename = "vAppConfig", skip_serializing_if = "Option::is_none")]
    pub vapp_config: Option<VAppConfigSpec>,
    /// v1alpha6 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeySelector {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Either an inline value or a Secret reference.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValueOrSecret {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<SecretKeySelector>,
}

/// `spec.bootstrap.cloudInit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_on_network4: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_on_network6: Option<bool>,
}

/// The inline cloud-config subset vm-operator accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, rename = "defaultUserEnabled", skip_serializing_if = "Option::is_none")]
    pub default_user_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<CloudConfigUser>,
    /// Schemaless in the API: a list of strings or of lists of strings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runcmd: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub write_files: Vec<WriteFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_pwauth: Option<bool>,
}

/// A cloud-config user (field names as cloud-init spells them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfigUser {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_groups: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiredate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gecos: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<String>,
    /// A Secret reference: resolved by the submitter, never printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hashed_passwd: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub homedir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_passwd: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_create_home: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_log_init: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_user_group: Option<bool>,
    /// A Secret reference: resolved by the submitter, never printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passwd: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selinux_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapuser: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_authorized_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_import_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_redirect_user: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i64>,
}

/// A cloud-config `write_files` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteFile {
    #[serde(default)]
    pub path: String,
    /// A string, or a Secret reference `{name, key}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub append: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defer: Option<bool>,
}

/// `spec.bootstrap.linuxPrep`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LinuxPrepSpec {
    #[serde(default, rename = "hardwareClockIsUTC", skip_serializing_if = "Option::is_none")]
    pub hardware_clock_is_utc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_password_after_next_login: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_text: Option<ValueOrSecret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customize_at_next_power_on: Option<bool>,
}

/// `spec.bootstrap.sysprep`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SysprepSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysprep: Option<Sysprep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sysprep: Option<SecretKeySelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customize_at_next_power_on: Option<bool>,
}

/// Inline Sysprep answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_password_after_next_login: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_text: Option<ValueOrSecret>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuiRunOnce {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuiUnattended {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_logon: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_logon_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretKeySelector>,
    /// Windows time zone index; 85 (GMT) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Identification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_admin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_admin_password: Option<SecretKeySelector>,
    #[serde(default, rename = "domainOU", skip_serializing_if = "Option::is_none")]
    pub domain_ou: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_workgroup: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenseFilePrintData {
    /// `perSeat` or `perServer`.
    #[serde(default)]
    pub auto_mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_users: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SysprepUserData {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub org_name: String,
    #[serde(default, rename = "productID", skip_serializing_if = "Option::is_none")]
    pub product_id: Option<SecretKeySelector>,
}

/// `spec.bootstrap.vAppConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VAppConfigSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<VAppProperty>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_properties: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VAppProperty {
    #[serde(default)]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<ValueOrSecret>,
}
}

/// Which bootstrap provider a VM uses, as vm-operator decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Provider {
    CloudInit,
    LinuxPrep,
    Sysprep,
    VAppConfig,
    /// No bootstrap section: vm-operator defaults Linux guests to LinuxPrep at power-on.
    None,
}

impl VirtualMachine {
    /// The VirtualMachine a reverse parser rebuilds from a guest artifact: the storage
    /// version, the given name, and only what the artifact carried.
    pub fn reconstructed(
        name: &str,
        network: Option<NetworkSpec>,
        bootstrap: Option<BootstrapSpec>,
    ) -> VirtualMachine {
        VirtualMachine {
            api_version: "vmoperator.vmware.com/v1alpha6".into(),
            kind: "VirtualMachine".into(),
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..ObjectMeta::default()
            },
            spec: VirtualMachineSpec {
                network,
                bootstrap,
                ..VirtualMachineSpec::default()
            },
            status: None,
        }
    }

    pub fn network(&self) -> Option<&NetworkSpec> {
        self.spec.network.as_ref()
    }

    pub fn interfaces(&self) -> &[InterfaceSpec] {
        self.spec
            .network
            .as_ref()
            .map(|n| n.interfaces.as_slice())
            .unwrap_or(&[])
    }

    pub fn bootstrap(&self) -> Option<&BootstrapSpec> {
        self.spec.bootstrap.as_ref()
    }

    pub fn cloud_init(&self) -> Option<&CloudInitSpec> {
        self.bootstrap().and_then(|b| b.cloud_init.as_ref())
    }

    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }

    /// The provider whose artifacts the guest will actually read.
    pub fn provider(&self) -> Provider {
        match self.bootstrap() {
            Some(b) if b.cloud_init.is_some() => Provider::CloudInit,
            Some(b) if b.sysprep.is_some() => Provider::Sysprep,
            Some(b) if b.linux_prep.is_some() => Provider::LinuxPrep,
            Some(b) if b.vapp_config.is_some() => Provider::VAppConfig,
            _ => Provider::None,
        }
    }

    /// vm-operator's Windows test: guestID starts with `win`, or Sysprep is used.
    pub fn is_windows(&self) -> bool {
        self.spec
            .guest_id
            .as_deref()
            .is_some_and(|g| g.starts_with("win"))
            || self.bootstrap().is_some_and(|b| b.sysprep.is_some())
    }
}
