//! vm-operator's conversion annotation: when the apiserver hands out a VM at an older version
//! (`kubectl get -o yaml` of a v1alpha6-stored VM at v1alpha2), `ConvertFrom` saves the whole
//! hub object in `metadata.annotations["vmoperator.vmware.com/conversion"]`, and `ConvertTo`
//! restores the fields the older version cannot carry from it (the `restore_v1alpha6_*`
//! functions of each `api/v1alpha{1..5}/virtualmachine_conversion.go`). Exported manifests
//! carry this annotation, so a guestnet reading them must restore the same fields; what it
//! restores is reported (GN332) and placed at the annotation.

use super::Up;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    ApiVersion, BootstrapSpec, CloudInitSpec, NetworkSpec, VirtualMachine, VirtualMachineSpec,
};
use crate::source::de::{self, Sink};
use crate::source::{Limits, Node, yaml};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `utilconversion.AnnotationKey`.
pub const ANNOTATION: &str = "vmoperator.vmware.com/conversion";
/// How findings name the annotation (Kubernetes' notation for a map key).
const PATH: &str = "metadata.annotations[vmoperator.vmware.com/conversion]";

/// What `json.Unmarshal` reads from the annotation (unknown fields are ignored, as Go does).
#[derive(Debug, Default, Deserialize)]
struct Saved {
    #[serde(default)]
    spec: VirtualMachineSpec,
}

/// `ConvertTo`'s "Manually restore data" part for a document of version `from`.
pub(super) fn apply(vm: &mut VirtualMachine, from: ApiVersion, root: &Node, cx: &mut Up) {
    // UnmarshalData deletes the annotation whether or not it restores anything.
    let Some(text) = vm.metadata.annotations.remove(ANNOTATION) else {
        return;
    };
    let span = root
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(ANNOTATION))
        .map(|n| n.span)
        .unwrap_or_default();
    let saved = match read(&text) {
        Ok(s) => s,
        Err(why) => {
            cx.findings.push(
                Diagnostic::new(
                    Code::WrongType,
                    PATH,
                    format!(
                        "vm-operator cannot read its conversion annotation ({why}): every \
                         conversion of this VirtualMachine fails"
                    ),
                )
                .with_help("remove the annotation, or restore it from the cluster")
                .with_span(span),
            );
            return;
        }
    };
    let before = serde_json::to_value(&*vm).unwrap_or(Value::Null);
    let src = &saved.spec;
    let dst = &mut vm.spec;
    match from {
        ApiVersion::V1alpha1 => v1alpha1(dst, src),
        ApiVersion::V1alpha2 => v1alpha2(dst, src),
        ApiVersion::V1alpha3 | ApiVersion::V1alpha4 => v1alpha3(dst, src, from),
        ApiVersion::V1alpha5 => v1alpha5(dst, src),
        ApiVersion::V1alpha6 => {}
    }
    let after = serde_json::to_value(&*vm).unwrap_or(Value::Null);
    let mut restored = Vec::new();
    super::diff(&after, &before, String::new(), &mut restored);
    if restored.is_empty() {
        return;
    }
    for p in &restored {
        cx.paths.from_span(p.clone(), span.into(), PATH);
    }
    cx.findings.push(
        Diagnostic::new(
            Code::ConversionRestored,
            PATH,
            format!(
                "vm-operator restores {} from this annotation (the hub object saved when the VM \
                 was read as {from}); edits to those fields in the {from} spec do not take effect",
                restored.join(", ")
            ),
        )
        .with_span(span),
    );
}

/// Parses the annotation as `json.Unmarshal` would: unknown fields ignored, a value of the
/// wrong type an error.
fn read(text: &str) -> Result<Saved, String> {
    let docs = yaml::parse_documents(text, &Limits::default()).map_err(|d| d.message)?;
    let Some(doc) = docs.first() else {
        return Err("it is empty".into());
    };
    let sink = Sink::default();
    let saved: Saved = de::from_node(&doc.root, &sink).map_err(|d| d.message)?;
    let diags = sink.diagnostics.into_inner();
    match diags.iter().find(|d| d.code != Code::UnknownField) {
        Some(d) => Err(format!("{}: {}", d.path, d.message)),
        None => Ok(saved),
    }
}

fn bootstrap(dst: &mut VirtualMachineSpec) -> &mut BootstrapSpec {
    dst.bootstrap.get_or_insert_with(BootstrapSpec::default)
}

fn network(dst: &mut VirtualMachineSpec) -> &mut NetworkSpec {
    dst.network.get_or_insert_with(NetworkSpec::default)
}

/// `restore_v1alpha6_VirtualMachineBootstrapCloudInitInstanceID` (v1alpha1, v1alpha2).
fn cloud_init_instance_id(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let iid = src
        .bootstrap
        .as_ref()
        .and_then(|b| b.cloud_init.as_ref())
        .and_then(|c| c.instance_id.clone())
        .filter(|i| !i.is_empty());
    if let Some(iid) = iid {
        bootstrap(dst)
            .cloud_init
            .get_or_insert_with(CloudInitSpec::default)
            .instance_id = Some(iid);
    }
}

/// `restore_v1alpha6_VirtualMachineBootstrapCloudInitWaitOnNetwork` (v1alpha2–v1alpha4).
fn wait_on_network(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(ci) = src.bootstrap.as_ref().and_then(|b| b.cloud_init.as_ref()) else {
        return;
    };
    if ci.wait_on_network4.is_none() && ci.wait_on_network6.is_none() {
        return;
    }
    if let Some(d) = dst.bootstrap.as_mut().and_then(|b| b.cloud_init.as_mut()) {
        d.wait_on_network4 = ci.wait_on_network4;
        d.wait_on_network6 = ci.wait_on_network6;
    }
}

/// `restore_v1alpha6_VirtualMachineBootstrapLinuxPrep` (v1alpha2–v1alpha4).
fn linux_prep(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(lp) = src.bootstrap.as_ref().and_then(|b| b.linux_prep.as_ref()) else {
        return;
    };
    if let Some(d) = dst.bootstrap.as_mut().and_then(|b| b.linux_prep.as_mut()) {
        d.expire_password_after_next_login = lp.expire_password_after_next_login;
        d.password = lp.password.clone();
        d.script_text = lp.script_text.clone();
        d.customize_at_next_power_on = lp.customize_at_next_power_on;
    }
}

/// `restore_v1alpha6_VirtualMachineBootstrapSysprep` (v1alpha2–v1alpha4).
fn sysprep(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(sp) = src.bootstrap.as_ref().and_then(|b| b.sysprep.as_ref()) else {
        return;
    };
    if let Some(d) = dst.bootstrap.as_mut().and_then(|b| b.sysprep.as_mut()) {
        if let (Some(s), Some(ds)) = (&sp.sysprep, &mut d.sysprep) {
            ds.expire_password_after_next_login = s.expire_password_after_next_login;
            ds.script_text = s.script_text.clone();
        }
        d.customize_at_next_power_on = sp.customize_at_next_power_on;
    }
}

/// `restore_v1alpha6_VirtualMachineBootstrapDisabled` (v1alpha2–v1alpha5).
fn bootstrap_disabled(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    if src
        .bootstrap
        .as_ref()
        .is_some_and(|b| b.disabled == Some(true))
    {
        bootstrap(dst).disabled = Some(true);
    }
}

/// `restore_v1alpha6_VirtualMachineNetworkVLANs` (v1alpha2–v1alpha5).
fn vlans(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(v) = src
        .network
        .as_ref()
        .map(|n| &n.vlans)
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    network(dst).vlans = v.clone();
}

/// `restore_v1alpha6_VirtualMachineNetworkInterfaces` (v1alpha2–v1alpha5): the v1alpha6 NIC
/// fields of same-named interfaces, and an explicit `dhcp: false` the old version lost.
fn network_interfaces(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(src) = src.network.as_ref().filter(|n| !n.interfaces.is_empty()) else {
        return;
    };
    let Some(dst) = dst.network.as_mut().filter(|n| !n.interfaces.is_empty()) else {
        return;
    };
    for d in &mut dst.interfaces {
        // The last source interface of a name wins, as a Go map built in order does.
        let Some(s) = src.interfaces.iter().rev().find(|s| s.name == d.name) else {
            continue;
        };
        d.ipam_modes = s.ipam_modes.clone();
        d.nic_type = s.nic_type.clone();
        d.vnuma_node_id = s.vnuma_node_id;
        d.vmxnet3 = s.vmxnet3.clone();
        d.advanced_properties = s.advanced_properties.clone();
        if d.dhcp4.is_none() && s.dhcp4 == Some(false) {
            d.dhcp4 = Some(false);
        }
        if d.dhcp6.is_none() && s.dhcp6 == Some(false) {
            d.dhcp6 = Some(false);
        }
    }
}

/// The v1alpha6-only `spec.advanced` fields (`restore_v1alpha6_VirtualMachineAdvanced` of
/// v1alpha2–v1alpha5; v1alpha1's also restores the provisioning mode).
fn advanced(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec, with_mode: bool) {
    let Some(s) = src.advanced.as_ref().and_then(Value::as_object) else {
        return;
    };
    let d = dst
        .advanced
        .get_or_insert_with(|| Value::Object(Map::new()));
    let Some(d) = d.as_object_mut() else { return };
    let mut keys = vec![
        "preferHtEnabled",
        "hugePages1GEnabled",
        "timeTrackerLowLatencyEnabled",
        "cpuAffinityExclusiveNoStatsEnabled",
        "vmxSwapEnabled",
        "pnumaNodeAffinity",
        "extraConfig",
    ];
    if with_mode {
        keys.insert(0, "defaultVolumeProvisioningMode");
    }
    for k in keys {
        match s.get(k) {
            Some(v) => d.insert(k.into(), v.clone()),
            None => d.shift_remove(k),
        };
    }
}

/// `restore_v1alpha6_VirtualMachineVolumes`: the v1alpha5 placement fields of same-named
/// volumes (v1alpha1 also drops volumes that are neither claims nor placed).
fn volumes(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec, filter: bool) {
    const KEYS: [&str; 7] = [
        "applicationType",
        "controllerBusNumber",
        "controllerType",
        "diskMode",
        "sharingMode",
        "unitNumber",
        "removable",
    ];
    let by_name = |name: &Value| {
        src.volumes
            .as_ref()
            .and_then(Value::as_array)
            .and_then(|a| a.iter().rev().find(|v| v.get("name") == Some(name)))
    };
    let Some(list) = dst.volumes.as_mut().and_then(Value::as_array_mut) else {
        return;
    };
    for v in list.iter_mut() {
        let Some(s) = v.get("name").and_then(by_name).cloned() else {
            continue;
        };
        if let Some(o) = v.as_object_mut() {
            for k in KEYS {
                match s.get(k) {
                    Some(x) => o.insert(k.into(), x.clone()),
                    None => o.shift_remove(k),
                };
            }
        }
    }
    if filter {
        list.retain(|v| {
            v.get("persistentVolumeClaim").is_some()
                || (v
                    .get("controllerType")
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty())
                    && v.get("controllerBusNumber").is_some()
                    && v.get("unitNumber").is_some())
        });
        if list.is_empty() {
            dst.volumes = None;
        }
    }
}

/// `restore_v1alpha6_VirtualMachineHardware` of v1alpha3/v1alpha4: the saved hardware with
/// the document's CD-ROMs, keeping their saved controller placement.
fn hardware_keeping_cdrom(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(saved) = src.hardware.clone() else {
        return;
    };
    let cdrom = dst
        .hardware
        .as_ref()
        .and_then(|h| h.get("cdrom"))
        .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()))
        .cloned();
    let mut hw = saved.clone();
    if let Some(o) = hw.as_object_mut() {
        match cdrom {
            Some(mut c) => {
                for d in c.as_array_mut().into_iter().flatten() {
                    let s = saved
                        .get("cdrom")
                        .and_then(Value::as_array)
                        .and_then(|a| a.iter().find(|s| s.get("name") == d.get("name")));
                    if let (Some(s), Some(d)) = (s, d.as_object_mut()) {
                        for k in ["controllerBusNumber", "controllerType", "unitNumber"] {
                            match s.get(k) {
                                Some(x) => d.insert(k.into(), x.clone()),
                                None => d.shift_remove(k),
                            };
                        }
                    }
                }
                o.insert("cdrom".into(), c);
            }
            None => {
                o.shift_remove("cdrom");
            }
        }
    }
    dst.hardware = Some(hw);
}

/// `restore_v1alpha6_VirtualMachineCryptoVTPM` (v1alpha2–v1alpha4).
fn crypto_vtpm(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let (Some(d), Some(s)) = (
        dst.crypto.as_mut().and_then(Value::as_object_mut),
        src.crypto.as_ref(),
    ) else {
        return;
    };
    match s.get("vTPMMode") {
        Some(m) => d.insert("vTPMMode".into(), m.clone()),
        None => d.shift_remove("vTPMMode"),
    };
}

/// Fields every version up to v1alpha5 restores as they are.
fn v1alpha6_only(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    dst.resources = src.resources.clone();
    dst.cpu_advanced = src.cpu_advanced.clone();
    dst.memory_advanced = src.memory_advanced.clone();
    if src
        .volume_attributes_class_name
        .as_deref()
        .is_some_and(|n| !n.is_empty())
    {
        dst.volume_attributes_class_name = src.volume_attributes_class_name.clone();
    }
}

/// Fields v1alpha1–v1alpha4 restore as they are.
fn v1alpha5_only(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    dst.boot_options = src.boot_options.clone();
    dst.policies = src.policies.clone();
    dst.current_snapshot_name = src.current_snapshot_name.clone();
}

/// `v1alpha5.VirtualMachine.ConvertTo`.
fn v1alpha5(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    bootstrap_disabled(dst, src);
    vlans(dst, src);
    advanced(dst, src, false);
    network_interfaces(dst, src);
    v1alpha6_only(dst, src);
}

/// `v1alpha3.VirtualMachine.ConvertTo` and v1alpha4's (which also restores nothing more:
/// promoteDisksMode exists in v1alpha4; v1alpha3 restores it).
fn v1alpha3(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec, from: ApiVersion) {
    wait_on_network(dst, src);
    linux_prep(dst, src);
    sysprep(dst, src);
    bootstrap_disabled(dst, src);
    if from == ApiVersion::V1alpha3 {
        dst.promote_disks_mode = src.promote_disks_mode.clone();
    }
    volumes(dst, src, false);
    hardware_keeping_cdrom(dst, src);
    crypto_vtpm(dst, src);
    dst.affinity = src.affinity.clone();
    vlans(dst, src);
    advanced(dst, src, false);
    network_interfaces(dst, src);
    v1alpha5_only(dst, src);
    v1alpha6_only(dst, src);
}

/// `v1alpha2.VirtualMachine.ConvertTo`.
fn v1alpha2(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    dst.image = src.image.clone();
    dst.image_name = src.image_name.clone();
    dst.instance_uuid = src.instance_uuid.clone();
    dst.bios_uuid = src.bios_uuid.clone();
    cloud_init_instance_id(dst, src);
    wait_on_network(dst, src);
    linux_prep(dst, src);
    sysprep(dst, src);
    bootstrap_disabled(dst, src);
    let saved_domain = src
        .network
        .as_ref()
        .and_then(|n| n.domain_name.clone())
        .filter(|d| !d.is_empty());
    let has_domain = dst
        .network
        .as_ref()
        .and_then(|n| n.domain_name.as_deref())
        .is_some_and(|d| !d.is_empty());
    if let (Some(d), false) = (saved_domain, has_domain) {
        network(dst).domain_name = Some(d);
    }
    dst.guest_id = src.guest_id.clone();
    dst.promote_disks_mode = src.promote_disks_mode.clone();
    volumes(dst, src, false);
    dst.hardware = src.hardware.clone();
    crypto_vtpm(dst, src);
    dst.affinity = src.affinity.clone();
    vlans(dst, src);
    advanced(dst, src, false);
    network_interfaces(dst, src);
    v1alpha5_only(dst, src);
    v1alpha6_only(dst, src);
}

/// `v1alpha1.VirtualMachine.ConvertTo`: v1alpha1 cannot express most of the hub, so whole
/// sections come back from the annotation (the network spec, the bootstrap's details).
fn v1alpha1(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    dst.image = src.image.clone();
    dst.image_name = src.image_name.clone();
    bootstrap_v1alpha1(dst, src);
    network_v1alpha1(dst, src);
    if let Some(s) = src.readiness_probe.as_ref() {
        let p = dst
            .readiness_probe
            .get_or_insert_with(|| Value::Object(Map::new()));
        if let Some(p) = p.as_object_mut() {
            match s.get("guestInfo") {
                Some(g) => p.insert("guestInfo".into(), g.clone()),
                None => p.shift_remove("guestInfo"),
            };
        }
    }
    dst.bios_uuid = src.bios_uuid.clone();
    cloud_init_instance_id(dst, src);
    dst.instance_uuid = src.instance_uuid.clone();
    dst.guest_id = src.guest_id.clone();
    dst.crypto = src.crypto.clone();
    dst.promote_disks_mode = src.promote_disks_mode.clone();
    dst.affinity = src.affinity.clone();
    dst.group_name = src.group_name.clone();
    volumes(dst, src, true);
    dst.hardware = src.hardware.clone();
    if src
        .volume_attributes_class_name
        .as_deref()
        .is_some_and(|n| !n.is_empty())
    {
        dst.volume_attributes_class_name = src.volume_attributes_class_name.clone();
    }
    advanced(dst, src, true);
    v1alpha5_only(dst, src);
    dst.resources = src.resources.clone();
    dst.cpu_advanced = src.cpu_advanced.clone();
    dst.memory_advanced = src.memory_advanced.clone();
}

/// `restore_v1alpha6_VirtualMachineNetworkSpec` (v1alpha1): the saved network, with the
/// saved interfaces whenever the document has any.
fn network_v1alpha1(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(s) = src.network.as_ref() else {
        return;
    };
    let d = network(dst);
    d.domain_name = s.domain_name.clone();
    d.host_name = s.host_name.clone();
    d.disabled = s.disabled;
    d.nameservers = s.nameservers.clone();
    d.search_domains = s.search_domains.clone();
    d.vlans = s.vlans.clone();
    if !d.interfaces.is_empty() {
        d.interfaces = s.interfaces.clone();
    }
}

/// `restore_v1alpha6_VirtualMachineBootstrapSpec` (v1alpha1).
fn bootstrap_v1alpha1(dst: &mut VirtualMachineSpec, src: &VirtualMachineSpec) {
    let Some(sb) = src.bootstrap.as_ref() else {
        return;
    };
    let Some(db) = dst.bootstrap.as_mut() else {
        // v1alpha1 cannot express an empty bootstrap, nor LinuxPrep alone or Disabled.
        if *sb == BootstrapSpec::default() {
            dst.bootstrap = Some(BootstrapSpec::default());
        } else if sb.linux_prep.is_some() || sb.disabled == Some(true) {
            dst.bootstrap = Some(BootstrapSpec {
                linux_prep: sb.linux_prep.clone(),
                disabled: sb.disabled,
                ..BootstrapSpec::default()
            });
        }
        return;
    };
    // The saved selector with the document's (possibly renamed) object.
    let merge = |d: &Option<crate::model::SecretKeySelector>,
                 s: &Option<crate::model::SecretKeySelector>| {
        match (d, s) {
            (Some(d), Some(s)) => Some(crate::model::SecretKeySelector {
                name: d.name.clone(),
                key: s.key.clone(),
            }),
            (d, _) => d.clone(),
        }
    };
    if let (Some(d), Some(s)) = (db.cloud_init.as_mut(), sb.cloud_init.as_ref()) {
        d.cloud_config = s.cloud_config.clone();
        d.raw_cloud_config = merge(&d.raw_cloud_config, &s.raw_cloud_config);
        d.ssh_authorized_keys = s.ssh_authorized_keys.clone();
        d.use_global_nameservers_as_default = s.use_global_nameservers_as_default;
        d.use_global_search_domains_as_default = s.use_global_search_domains_as_default;
        d.wait_on_network4 = s.wait_on_network4;
        d.wait_on_network6 = s.wait_on_network6;
    }
    if let (Some(d), Some(s)) = (db.linux_prep.as_mut(), sb.linux_prep.as_ref()) {
        *d = s.clone();
    }
    if let (Some(d), Some(s)) = (db.sysprep.as_mut(), sb.sysprep.as_ref()) {
        d.sysprep = s.sysprep.clone();
        d.raw_sysprep = merge(&d.raw_sysprep, &s.raw_sysprep);
        d.customize_at_next_power_on = s.customize_at_next_power_on;
        if db.vapp_config.is_none() && sb.vapp_config.is_some() {
            db.vapp_config = Some(Default::default());
        }
    }
    if let (Some(d), Some(s)) = (db.vapp_config.as_mut(), sb.vapp_config.as_ref()) {
        *d = s.clone();
    }
    db.disabled = sb.disabled;
}
