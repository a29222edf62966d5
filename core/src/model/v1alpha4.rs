//! `vmoperator.vmware.com/v1alpha4` VirtualMachine: v1alpha3 plus `promoteDisksMode`; its
//! network and bootstrap are v1alpha3's.

use super::ObjectMeta;
use super::v1alpha3::{BootstrapSpec, NetworkSpec};
use serde::{Deserialize, Serialize};
use serde_json::Value;

schema! {
/// A v1alpha4 VirtualMachine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha4VirtualMachine"))]
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

/// v1alpha4 `spec`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[cfg_attr(feature = "schema", schemars(rename = "V1alpha4VirtualMachineSpec"))]
pub struct VirtualMachineSpec {
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
    pub promote_disks_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}
}

impl From<VirtualMachineSpec> for super::v1alpha3::VirtualMachineSpec {
    /// v1alpha4's spec minus `promoteDisksMode`, which the caller carries over on its own:
    /// the two versions convert identically otherwise.
    fn from(s: VirtualMachineSpec) -> Self {
        super::v1alpha3::VirtualMachineSpec {
            cdrom: s.cdrom,
            image: s.image,
            image_name: s.image_name,
            class_name: s.class_name,
            affinity: s.affinity,
            crypto: s.crypto,
            storage_class: s.storage_class,
            bootstrap: s.bootstrap,
            network: s.network,
            power_state: s.power_state,
            power_off_mode: s.power_off_mode,
            suspend_mode: s.suspend_mode,
            next_restart_time: s.next_restart_time,
            restart_mode: s.restart_mode,
            volumes: s.volumes,
            readiness_probe: s.readiness_probe,
            advanced: s.advanced,
            reserved: s.reserved,
            min_hardware_version: s.min_hardware_version,
            instance_uuid: s.instance_uuid,
            bios_uuid: s.bios_uuid,
            guest_id: s.guest_id,
            group_name: s.group_name,
        }
    }
}
