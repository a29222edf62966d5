//! v1alpha3 and v1alpha4 <-> hub, after vm-operator's
//! `api/v1alpha{3,4}/zz_generated.conversion.go`, `virtualmachine_conversion.go` and
//! `sysprep/conversion/{v1alpha3,v1alpha4}/sysprep_conversion.go`: the generated copies plus
//! `cdrom` -> `hardware.cdrom` and `dhcp4: false` -> unset.

use super::Up;
use super::v1alpha2::{interfaces_up, linux_prep_up};
use crate::model::v1alpha3 as v3;
use crate::model::v1alpha4 as v4;
use crate::model::{
    ApiVersion, BootstrapSpec, CloudInitSpec, NetworkSpec, Sysprep, SysprepSpec, VirtualMachine,
    VirtualMachineSpec,
};
use serde_json::Value;

/// `Convert_v1alpha3_VirtualMachine_To_v1alpha6_VirtualMachine` (generated; ObjectMeta as is).
pub(super) fn up(src: v3::VirtualMachine, cx: &mut Up) -> VirtualMachine {
    VirtualMachine {
        api_version: ApiVersion::HUB.api_version().into(),
        kind: src.kind,
        metadata: src.metadata,
        spec: spec_up(src.spec, cx),
        status: None,
    }
}

/// `Convert_v1alpha4_VirtualMachine_To_v1alpha6_VirtualMachine`: v1alpha3's plus
/// `promoteDisksMode`.
pub(super) fn up_v1alpha4(src: v4::VirtualMachine, cx: &mut Up) -> VirtualMachine {
    let promote = src.spec.promote_disks_mode.clone();
    let mut vm = VirtualMachine {
        api_version: ApiVersion::HUB.api_version().into(),
        kind: src.kind,
        metadata: src.metadata,
        spec: spec_up(src.spec.into(), cx),
        status: None,
    };
    vm.spec.promote_disks_mode = promote;
    vm
}

/// `Convert_v1alpha3_VirtualMachineSpec_To_v1alpha6_VirtualMachineSpec`.
fn spec_up(s: v3::VirtualMachineSpec, cx: &mut Up) -> VirtualMachineSpec {
    // A non-empty cdrom list becomes spec.hardware.cdrom.
    let hardware = s
        .cdrom
        .filter(|c| !matches!(c, Value::Null) && c.as_array().is_none_or(|a| !a.is_empty()))
        .map(|c| {
            cx.paths.moved("spec.hardware.cdrom", "spec.cdrom");
            serde_json::json!({ "cdrom": c })
        });
    VirtualMachineSpec {
        network: s.network.map(|n| NetworkSpec {
            host_name: n.host_name,
            domain_name: n.domain_name,
            disabled: n.disabled,
            nameservers: n.nameservers,
            search_domains: n.search_domains,
            interfaces: interfaces_up(n.interfaces, cx),
            vlans: Vec::new(),
        }),
        bootstrap: s.bootstrap.map(bootstrap_up),
        hardware,
        image: s.image,
        image_name: s.image_name,
        class_name: s.class_name,
        affinity: s.affinity,
        crypto: s.crypto,
        storage_class: s.storage_class,
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
        ..VirtualMachineSpec::default()
    }
}

fn bootstrap_up(b: v3::BootstrapSpec) -> BootstrapSpec {
    BootstrapSpec {
        cloud_init: b.cloud_init.map(|c| CloudInitSpec {
            instance_id: c.instance_id,
            cloud_config: c.cloud_config,
            raw_cloud_config: c.raw_cloud_config,
            ssh_authorized_keys: c.ssh_authorized_keys,
            use_global_nameservers_as_default: c.use_global_nameservers_as_default,
            use_global_search_domains_as_default: c.use_global_search_domains_as_default,
            ..CloudInitSpec::default()
        }),
        linux_prep: b.linux_prep.map(linux_prep_up),
        sysprep: b.sysprep.map(|s| SysprepSpec {
            sysprep: s.sysprep.map(sysprep_up),
            raw_sysprep: s.raw_sysprep,
            customize_at_next_power_on: None,
        }),
        vapp_config: b.vapp_config,
        disabled: None,
    }
}

/// `api/v1alpha3/sysprep/conversion/v1alpha3.Convert_sysprep_Sysprep_To_sysprep_Sysprep`.
fn sysprep_up(s: v3::Sysprep) -> Sysprep {
    Sysprep {
        gui_run_once: s.gui_run_once,
        gui_unattended: s.gui_unattended,
        identification: s.identification,
        license_file_print_data: s.license_file_print_data,
        user_data: s.user_data,
        expire_password_after_next_login: None,
        script_text: None,
    }
}

/// `Convert_v1alpha6_VirtualMachineSpec_To_v1alpha3_VirtualMachineSpec`'s hand-written part,
/// on the hub's JSON: `spec.hardware.cdrom` back to `spec.cdrom`, without the controller
/// placement v1alpha3 lacks (the rest of `hardware` is pruned by the caller).
pub(super) fn down(v: &mut Value) {
    let cdrom = v
        .pointer_mut("/spec/hardware")
        .and_then(Value::as_object_mut)
        .and_then(|h| h.get("cdrom").cloned())
        .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()));
    if let (Some(mut c), Some(spec)) = (cdrom, v.get_mut("spec").and_then(Value::as_object_mut)) {
        for d in c.as_array_mut().into_iter().flatten() {
            if let Some(o) = d.as_object_mut() {
                for k in ["controllerBusNumber", "controllerType", "unitNumber"] {
                    o.shift_remove(k);
                }
            }
        }
        spec.insert("cdrom".into(), c);
    }
}
