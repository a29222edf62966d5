//! v1alpha2 <-> hub, after vm-operator's `api/v1alpha2/zz_generated.conversion.go`,
//! `api/v1alpha2/virtualmachine_conversion.go` and
//! `api/v1alpha2/sysprep/conversion/{v1alpha2,v1alpha6}/sysprep_conversion.go`.
//! The interface conversion (`dhcp4: false` -> unset) is also v1alpha3's and v1alpha4's.

use super::{Up, meta_up_pause};
use crate::model::v1alpha2 as v2;
use crate::model::{
    BootstrapSpec, CloudInitSpec, GuiRunOnce, Identification, InterfaceSpec, LinuxPrepSpec,
    NetworkSpec, Sysprep, SysprepSpec, VirtualMachine, VirtualMachineSpec,
};
use serde_json::Value;

/// `Convert_v1alpha2_VirtualMachine_To_v1alpha6_VirtualMachine`.
pub(super) fn up(src: v2::VirtualMachine, cx: &mut Up) -> VirtualMachine {
    let v2::VirtualMachine {
        api_version: _,
        kind,
        metadata,
        spec: s,
        status,
    } = src;
    // For existing VMs (generation > 0) spec.image comes from status.image or imageName.
    let image = (metadata.generation.unwrap_or(0) > 0)
        .then(|| {
            let st = status.as_ref().and_then(|s| s.get("image"));
            let field = |k: &str| st.and_then(|i| i.get(k)).and_then(Value::as_str);
            match (field("kind"), field("name")) {
                (Some(k), Some(n)) if !k.is_empty() && !n.is_empty() => {
                    Some(serde_json::json!({"kind": k, "name": n}))
                }
                _ => s
                    .image_name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(|n| serde_json::json!({"name": n})),
            }
        })
        .flatten();
    let mut network = s.network.map(|n| NetworkSpec {
        host_name: n.host_name,
        domain_name: None,
        disabled: n.disabled,
        nameservers: n.nameservers,
        search_domains: n.search_domains,
        interfaces: interfaces_up(n.interfaces, cx),
        vlans: Vec::new(),
    });
    let join_domain = s
        .bootstrap
        .as_ref()
        .and_then(|b| b.sysprep.as_ref())
        .and_then(|s| s.sysprep.as_ref())
        .and_then(|s| s.identification.as_ref())
        .and_then(|i| i.join_domain.clone())
        .filter(|d| !d.is_empty());
    if let Some(d) = join_domain {
        const FROM: &str = "spec.bootstrap.sysprep.sysprep.identification.joinDomain";
        cx.rewritten(
            FROM,
            "vm-operator converts joinDomain to spec.network.domainName, which v1alpha6 also \
             uses as the guest's DNS domain (host name + domain)",
        );
        cx.paths.made_from("spec.network.domainName", FROM);
        network.get_or_insert_with(NetworkSpec::default).domain_name = Some(d);
    }
    VirtualMachine {
        api_version: crate::model::ApiVersion::HUB.api_version().into(),
        kind,
        metadata: meta_up_pause(metadata),
        spec: VirtualMachineSpec {
            network,
            bootstrap: s.bootstrap.map(bootstrap_up),
            image,
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
            group_name: s.group_name,
            ..VirtualMachineSpec::default()
        },
        status: None,
    }
}

/// `Convert_v1alpha{2,3,4}_VirtualMachineNetworkInterfaceSpec_To_v1alpha6_...`: the
/// generated copy, then `false` -> nil for DHCP ("old-version false ≡ hub nil").
pub(super) fn interfaces_up(ifaces: Vec<v2::InterfaceSpec>, cx: &mut Up) -> Vec<InterfaceSpec> {
    ifaces
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            for (k, v) in [("dhcp4", f.dhcp4), ("dhcp6", f.dhcp6)] {
                if v == Some(false) {
                    cx.rewritten(
                        format!("spec.network.interfaces[{i}].{k}"),
                        format!(
                            "vm-operator converts {k}: false to unset (v1alpha6's DHCP is \
                             tri-state): the network decides, and offers DHCP if it has it"
                        ),
                    );
                }
            }
            InterfaceSpec {
                name: f.name,
                network: f.network,
                guest_device_name: f.guest_device_name,
                mac_addr: f.mac_addr,
                addresses: f.addresses,
                dhcp4: f.dhcp4.filter(|b| *b),
                dhcp6: f.dhcp6.filter(|b| *b),
                gateway4: f.gateway4,
                gateway6: f.gateway6,
                mtu: f.mtu,
                nameservers: f.nameservers,
                routes: f.routes,
                search_domains: f.search_domains,
                ..InterfaceSpec::default()
            }
        })
        .collect()
}

pub(super) fn linux_prep_up(l: v2::LinuxPrepSpec) -> LinuxPrepSpec {
    LinuxPrepSpec {
        hardware_clock_is_utc: l.hardware_clock_is_utc,
        time_zone: l.time_zone,
        ..LinuxPrepSpec::default()
    }
}

fn bootstrap_up(b: v2::BootstrapSpec) -> BootstrapSpec {
    BootstrapSpec {
        cloud_init: b.cloud_init.map(|c| CloudInitSpec {
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

/// `api/v1alpha2/sysprep/conversion/v1alpha2.Convert_sysprep_Sysprep_To_sysprep_Sysprep`:
/// an unset guiRunOnce struct stays unset; joinDomain is handled at the VM level.
fn sysprep_up(s: v2::Sysprep) -> Sysprep {
    Sysprep {
        gui_run_once: s
            .gui_run_once
            .and_then(|g| g.commands)
            .map(|commands| GuiRunOnce { commands }),
        gui_unattended: s.gui_unattended,
        identification: s.identification.map(|i| Identification {
            domain_admin: i.domain_admin,
            domain_admin_password: i.domain_admin_password,
            domain_ou: i.domain_ou,
            join_workgroup: i.join_workgroup,
        }),
        license_file_print_data: s.license_file_print_data,
        user_data: s.user_data,
        expire_password_after_next_login: None,
        script_text: None,
    }
}

/// `Convert_v1alpha6_VirtualMachine_To_v1alpha2_VirtualMachine`'s hand-written part, on the
/// hub's JSON: `spec.network.domainName` goes to `identification.joinDomain` when the VM has
/// an inline Sysprep identification (and is dropped otherwise, with the other fields
/// v1alpha2 lacks, by the caller's prune).
pub(super) fn down(v: &mut Value, hub: &VirtualMachine) {
    let domain = hub
        .network()
        .and_then(|n| n.domain_name.clone())
        .filter(|d| !d.is_empty());
    if let (Some(d), Some(id)) = (
        domain,
        v.pointer_mut("/spec/bootstrap/sysprep/sysprep/identification")
            .and_then(Value::as_object_mut),
    ) {
        id.insert("joinDomain".into(), Value::String(d));
    }
}
