//! v1alpha1 <-> hub, after vm-operator's `api/v1alpha1/virtualmachine_conversion.go` and
//! `api/v1alpha1/zz_generated.conversion.go`.
//!
//! v1alpha1 has no addressing at all: `networkInterfaces[i]` becomes an interface named
//! `eth<i>` on the named network (its `networkType` picks the reference's kind), and the
//! `vmMetadata` transport becomes a bootstrap provider reading the same ConfigMap or
//! Secret. `providerRef`, `ethernetCardType`, `ports` and most of `vSphereVolume` have no
//! place in later versions and are dropped.

use super::Up;
use crate::diagnostic::{Code, Diagnostic, go_quote};
use crate::model::v1alpha1 as v1;
use crate::model::{
    ApiVersion, BootstrapSpec, CloudInitSpec, InterfaceSpec, LinuxPrepSpec, NetworkSpec,
    ObjectMeta, PartialObjectRef, SecretKeySelector, SysprepSpec, VAppConfigSpec, VirtualMachine,
    VirtualMachineSpec,
};
use serde_json::{Map, Value, json};

/// Set on a converted VM whose v1alpha1 `vmMetadata` named a ConfigMap: vm-operator's
/// provider then reads the bootstrap data from a ConfigMap instead of a Secret.
pub const CONFIG_MAP_ANNOTATION: &str = "vmoperator.vmware.com/v1a1-configmap-md-transport";

/// The device key v1alpha1 used for the boot disk (`bootDiskDeviceKey`).
const BOOT_DISK_DEVICE_KEY: i64 = 2000;

/// networkType -> the hub reference's (apiVersion, kind).
const NETWORK_TYPES: &[(&str, &str, &str)] = &[
    (
        "vsphere-distributed",
        "netoperator.vmware.com/v1alpha1",
        "Network",
    ),
    ("nsx-t", "vmware.com/v1alpha1", "VirtualNetwork"),
    ("nsx-t-subnet", "crd.nsx.vmware.com/v1alpha1", "Subnet"),
    (
        "nsx-t-subnetset",
        "crd.nsx.vmware.com/v1alpha1",
        "SubnetSet",
    ),
];

/// The v1alpha1 transports, as the CRD's enum lists them.
const TRANSPORTS: &[&str] = &[
    "ExtraConfig",
    "OvfEnv",
    "vAppConfig",
    "CloudInit",
    "Sysprep",
];

/// `Convert_v1alpha1_VirtualMachine_To_v1alpha6_VirtualMachine`.
pub(super) fn up(src: v1::VirtualMachine, cx: &mut Up) -> VirtualMachine {
    let v1::VirtualMachine {
        api_version: _,
        kind,
        metadata,
        spec: s,
        status: _,
    } = src;
    let mut metadata = super::meta_up_pause(metadata);
    let image = (metadata.generation.unwrap_or(0) > 0)
        .then(|| s.image_name.as_deref().filter(|n| !n.is_empty()))
        .flatten()
        .map(|n| json!({ "name": n }));
    if let Some(md) = &s.vm_metadata
        && md.config_map_name.as_deref().is_some_and(|n| !n.is_empty())
    {
        metadata
            .annotations
            .entry(CONFIG_MAP_ANNOTATION.into())
            .or_insert_with(|| "true".into());
        cx.rewritten(
            "spec.vmMetadata.configMapName",
            format!(
                "later versions name only Secrets: vm-operator keeps reading this ConfigMap \
                 because the conversion sets annotation {CONFIG_MAP_ANNOTATION}"
            ),
        );
    }
    let network = network_up(&s.network_interfaces, cx);
    let bootstrap = s.vm_metadata.as_ref().and_then(|m| bootstrap_up(m, cx));
    if s.ports.is_some() {
        cx.dropped(
            "spec.ports",
            "ports was deprecated in v1alpha1 and no later version has it (use a \
             VirtualMachineService)",
        );
    }
    let advanced = advanced_up(s.advanced_options.as_ref(), &s.volumes, cx);
    let volumes = volumes_up(&s.volumes, cx);
    let reserved = s
        .resource_policy_name
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| {
            cx.paths.made_from(
                "spec.reserved.resourcePolicyName",
                "spec.resourcePolicyName",
            );
            json!({ "resourcePolicyName": n })
        });
    // The generated conversion keeps an empty probe; the hand-written one drops it.
    let readiness_probe = s
        .readiness_probe
        .filter(|p| !matches!(p, Value::Null) && p.as_object().is_none_or(|o| !o.is_empty()));
    VirtualMachine {
        api_version: ApiVersion::HUB.api_version().into(),
        kind,
        metadata,
        spec: VirtualMachineSpec {
            network,
            bootstrap,
            image,
            image_name: s.image_name,
            class_name: s.class_name,
            storage_class: s.storage_class,
            power_state: s.power_state.map(|p| power_state_up(&p)),
            power_off_mode: s.power_off_mode.map(|m| power_mode_up(&m)),
            suspend_mode: s.suspend_mode.map(|m| power_mode_up(&m)),
            restart_mode: s.restart_mode.map(|m| power_mode_up(&m)),
            next_restart_time: s.next_restart_time,
            volumes,
            readiness_probe,
            advanced,
            reserved,
            min_hardware_version: s.min_hardware_version,
            ..VirtualMachineSpec::default()
        },
        status: None,
    }
}

fn network_up(ifaces: &[v1::NetworkInterface], cx: &mut Up) -> Option<NetworkSpec> {
    if ifaces.is_empty() {
        return None;
    }
    cx.paths.made_from("spec.network", "spec.networkInterfaces");
    let mut out = Vec::with_capacity(ifaces.len());
    for (i, f) in ifaces.iter().enumerate() {
        let src = format!("spec.networkInterfaces[{i}]");
        let hub = format!("spec.network.interfaces[{i}]");
        cx.paths.made_from(hub.clone(), src.clone());
        let name = f.network_name.clone().unwrap_or_default();
        let ty = f.network_type.as_deref().unwrap_or("");
        let network = (!name.is_empty() || !ty.is_empty()).then(|| {
            if f.network_name.is_some() {
                cx.paths
                    .made_from(format!("{hub}.network.name"), format!("{src}.networkName"));
            }
            let known = NETWORK_TYPES.iter().find(|(t, _, _)| *t == ty);
            if !ty.is_empty() {
                for k in ["apiVersion", "kind"] {
                    cx.paths
                        .made_from(format!("{hub}.network.{k}"), format!("{src}.networkType"));
                }
                if known.is_none() {
                    cx.dropped(
                        format!("{src}.networkType"),
                        format!(
                            "vm-operator's conversion knows the network types {}; \"{ty}\" \
                             leaves the network reference with a name only",
                            NETWORK_TYPES
                                .iter()
                                .map(|t| t.0)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            PartialObjectRef {
                api_version: known.map(|k| k.1.to_string()),
                kind: known.map(|k| k.2.to_string()),
                name: name.clone(),
            }
        });
        let target = match &network {
            Some(PartialObjectRef {
                api_version: Some(a),
                kind: Some(k),
                name,
            }) => format!(" on {k} {name} ({a})"),
            Some(n) => format!(" on network {}", n.name),
            None => " on the namespace's default network".into(),
        };
        cx.rewritten(
            src.clone(),
            format!("vm-operator converts this to {hub}, named eth{i}{target}"),
        );
        if f.provider_ref.is_some() {
            cx.dropped(
                format!("{src}.providerRef"),
                "no later version has a network interface provider reference: vm-operator's \
                 conversion drops it",
            );
        }
        if f.ethernet_card_type.is_some() {
            cx.dropped(
                format!("{src}.ethernetCardType"),
                "vm-operator's conversion drops ethernetCardType: the NIC is created with \
                 the default device (vmxnet3); v1alpha6 sets it with interfaces[].type",
            );
        }
        out.push(InterfaceSpec {
            name: format!("eth{i}"),
            network,
            ..InterfaceSpec::default()
        });
    }
    Some(NetworkSpec {
        interfaces: out,
        ..NetworkSpec::default()
    })
}

/// `convert_v1alpha1_VmMetadata_To_v1alpha6_BootstrapSpec`.
fn bootstrap_up(m: &v1::VmMetadata, cx: &mut Up) -> Option<BootstrapSpec> {
    let secret = m.secret_name.as_deref().filter(|n| !n.is_empty());
    let config_map = m.config_map_name.as_deref().filter(|n| !n.is_empty());
    let transport = m.transport.as_deref().filter(|t| !t.is_empty());
    if secret.is_none() && config_map.is_none() && transport.is_none() {
        return None;
    }
    // The Secret wins when both are named.
    let (object, object_field) = match (secret, config_map) {
        (Some(s), _) => (Some(s), "spec.vmMetadata.secretName"),
        (None, Some(c)) => (Some(c), "spec.vmMetadata.configMapName"),
        (None, None) => (None, "spec.vmMetadata"),
    };
    if secret.is_some() && config_map.is_some() {
        cx.dropped(
            "spec.vmMetadata.configMapName",
            "secretName and configMapName are both set: vm-operator's conversion uses the Secret",
        );
    }
    cx.paths.made_from("spec.bootstrap", "spec.vmMetadata");
    let transport_field = "spec.vmMetadata.transport";
    let selector = |key: &str| {
        object.map(|name| SecretKeySelector {
            name: name.to_string(),
            key: Some(key.to_string()),
        })
    };
    let mut out = BootstrapSpec::default();
    let (provider, selector_path, key) = match transport {
        Some("ExtraConfig") => {
            out.cloud_init = Some(CloudInitSpec {
                raw_cloud_config: selector("guestinfo.userdata"),
                ..CloudInitSpec::default()
            });
            if let Some(o) = object {
                cx.dropped(
                    transport_field,
                    format!(
                        "the ExtraConfig transport set every guestinfo.* key of {o}; vm-operator \
                         converts it to CloudInit, which reads only the user data (key \
                         guestinfo.userdata, else user-data or value) and writes \
                         guestinfo.metadata itself from spec.network"
                    ),
                );
            }
            (
                "spec.bootstrap.cloudInit",
                "spec.bootstrap.cloudInit.rawCloudConfig",
                "guestinfo.userdata",
            )
        }
        Some("OvfEnv") => {
            out.linux_prep = Some(LinuxPrepSpec {
                hardware_clock_is_utc: Some(true),
                ..LinuxPrepSpec::default()
            });
            out.vapp_config = Some(VAppConfigSpec {
                raw_properties: object.map(str::to_string),
                ..VAppConfigSpec::default()
            });
            cx.paths
                .made_from("spec.bootstrap.linuxPrep", transport_field);
            (
                "spec.bootstrap.vAppConfig",
                "spec.bootstrap.vAppConfig.rawProperties",
                "",
            )
        }
        Some("vAppConfig") => {
            out.vapp_config = Some(VAppConfigSpec {
                raw_properties: object.map(str::to_string),
                ..VAppConfigSpec::default()
            });
            (
                "spec.bootstrap.vAppConfig",
                "spec.bootstrap.vAppConfig.rawProperties",
                "",
            )
        }
        Some("CloudInit") => {
            out.cloud_init = Some(CloudInitSpec {
                raw_cloud_config: selector("user-data"),
                ..CloudInitSpec::default()
            });
            (
                "spec.bootstrap.cloudInit",
                "spec.bootstrap.cloudInit.rawCloudConfig",
                "user-data",
            )
        }
        Some("Sysprep") => {
            out.sysprep = Some(SysprepSpec {
                raw_sysprep: selector("unattend"),
                ..SysprepSpec::default()
            });
            (
                "spec.bootstrap.sysprep",
                "spec.bootstrap.sysprep.rawSysprep",
                "unattend",
            )
        }
        // No transport (or one the CRD rejects): an empty bootstrap.
        _ => {
            if let Some(t) = transport {
                let supported: Vec<String> = TRANSPORTS.iter().map(|t| go_quote(t)).collect();
                cx.findings.push(Diagnostic::new(
                    Code::WrongType,
                    transport_field,
                    format!(
                        "Unsupported value: {}: supported values: {}",
                        go_quote(t),
                        supported.join(", ")
                    ),
                ));
            }
            if let Some(o) = object {
                cx.dropped(
                    object_field,
                    format!(
                        "without a transport vm-operator's conversion makes an empty bootstrap: \
                         {o} is not read"
                    ),
                );
            }
            return Some(out);
        }
    };
    cx.paths.made_from(provider, transport_field);
    let kind = if secret.is_some() {
        "Secret"
    } else {
        "ConfigMap"
    };
    let lead = if transport == Some("OvfEnv") {
        "spec.bootstrap.linuxPrep (hardwareClockIsUTC: true) and spec.bootstrap.vAppConfig"
            .to_string()
    } else {
        provider.to_string()
    };
    let field = selector_path.rsplit('.').next().unwrap_or(selector_path);
    let reads = match object {
        Some(o) if key.is_empty() => {
            format!(", whose {field} names {kind} {o} (its keys become vApp properties)")
        }
        Some(o) => format!(", whose {field} reads key {key} of {kind} {o}"),
        None => String::new(),
    };
    if object.is_some() {
        cx.paths.made_from(selector_path, object_field);
    }
    cx.rewritten(
        "spec.vmMetadata",
        format!("vm-operator converts this to {lead}{reads}"),
    );
    Some(out)
}

fn power_state_up(p: &str) -> String {
    match p {
        "poweredOff" => "PoweredOff",
        "poweredOn" => "PoweredOn",
        "suspended" => "Suspended",
        other => other,
    }
    .to_string()
}

fn power_mode_up(m: &str) -> String {
    match m {
        "hard" => "Hard",
        "soft" => "Soft",
        "trySoft" => "TrySoft",
        other => other,
    }
    .to_string()
}

fn power_state_down(p: &str) -> String {
    match p {
        "PoweredOff" => "poweredOff",
        "PoweredOn" => "poweredOn",
        "Suspended" => "suspended",
        other => other,
    }
    .to_string()
}

fn power_mode_down(m: &str) -> String {
    match m {
        "Hard" => "hard",
        "Soft" => "soft",
        "TrySoft" => "trySoft",
        other => other,
    }
    .to_string()
}

/// `convert_v1alpha1_VsphereVolumes_To_v1alpha6_BootDiskCapacity`: the first vSphereVolume
/// with the boot disk's device key gives its `ephemeral-storage` capacity — a zero quantity
/// when it names none (Kubernetes' `ResourceList.StorageEphemeral` never returns nil).
fn boot_disk_capacity(volumes: &[v1::Volume]) -> Option<(usize, Value)> {
    volumes.iter().enumerate().find_map(|(i, v)| {
        let vs = v.vsphere_volume.as_ref()?;
        (vs.device_key == Some(BOOT_DISK_DEVICE_KEY)).then(|| {
            (
                i,
                vs.capacity
                    .get("ephemeral-storage")
                    .cloned()
                    .unwrap_or_else(|| Value::String("0".into())),
            )
        })
    })
}

/// `convert_v1alpha1_VirtualMachineAdvancedOptions_To_v1alpha6_VirtualMachineAdvancedSpec`.
fn advanced_up(
    opts: Option<&v1::AdvancedOptions>,
    volumes: &[v1::Volume],
    cx: &mut Up,
) -> Option<Value> {
    let boot = boot_disk_capacity(volumes);
    let opts = opts.filter(|o| **o != v1::AdvancedOptions::default());
    if opts.is_none() && boot.is_none() {
        return None;
    }
    let mut out = Map::new();
    if let Some((i, cap)) = boot {
        cx.paths.made_from(
            "spec.advanced.bootDiskCapacity",
            format!("spec.volumes[{i}].vSphereVolume"),
        );
        out.insert("bootDiskCapacity".into(), cap);
    }
    if let Some(o) = opts {
        cx.paths.made_from("spec.advanced", "spec.advancedOptions");
        if let Some(p) = &o.default_volume_provisioning_options {
            let mode = match (p.thin_provisioned, p.eager_zeroed) {
                (Some(true), _) => Some("Thin"),
                (Some(false), _) => Some("Thick"),
                (None, Some(true)) => Some("ThickEagerZero"),
                _ => None,
            };
            if let Some(m) = mode {
                out.insert("defaultVolumeProvisioningMode".into(), m.into());
            }
        }
        if let Some(c) = o.change_block_tracking {
            out.insert("changeBlockTracking".into(), c.into());
        }
    }
    Some(Value::Object(out))
}

/// `Convert_v1alpha1_VirtualMachineVolume_To_v1alpha6_VirtualMachineVolume`: the claim is
/// kept, `vSphereVolume` dropped.
fn volumes_up(volumes: &[v1::Volume], cx: &mut Up) -> Option<Value> {
    if volumes.is_empty() {
        return None;
    }
    let boot = boot_disk_capacity(volumes).map(|(i, _)| i);
    let out = volumes
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if v.vsphere_volume.is_some() {
                let p = format!("spec.volumes[{i}].vSphereVolume");
                if boot == Some(i) {
                    cx.rewritten(
                        p,
                        "vm-operator drops vSphereVolume; the boot disk's capacity becomes \
                         spec.advanced.bootDiskCapacity",
                    );
                } else {
                    cx.dropped(
                        p,
                        "vm-operator's conversion drops vSphereVolume (only the boot disk's \
                         capacity, device key 2000, survives)",
                    );
                }
            }
            let mut o = Map::new();
            o.insert("name".into(), v.name.clone().into());
            if let Some(c) = &v.persistent_volume_claim {
                o.insert("persistentVolumeClaim".into(), c.clone());
            }
            Value::Object(o)
        })
        .collect();
    Some(Value::Array(out))
}

/// `Convert_v1alpha6_VirtualMachine_To_v1alpha1_VirtualMachine`, building v1alpha1's JSON.
pub(super) fn down(hub: &VirtualMachine) -> Value {
    let s = &hub.spec;
    let mut meta: ObjectMeta = hub.metadata.clone();
    let config_map = meta.annotations.remove(CONFIG_MAP_ANNOTATION).is_some();
    let mut spec = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v.filter(|v| !matches!(v, Value::Null)) {
            spec.insert(k.into(), v);
        }
    };
    let image_name = s.image_name.clone().filter(|n| !n.is_empty()).or_else(|| {
        s.image
            .as_ref()
            .and_then(|i| i.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    put("imageName", image_name.map(Value::from));
    put("className", s.class_name.clone().map(Value::from));
    put(
        "powerState",
        s.power_state.as_deref().map(|p| power_state_down(p).into()),
    );
    put(
        "powerOffMode",
        s.power_off_mode
            .as_deref()
            .map(|p| power_mode_down(p).into()),
    );
    put(
        "suspendMode",
        s.suspend_mode.as_deref().map(|p| power_mode_down(p).into()),
    );
    put(
        "nextRestartTime",
        s.next_restart_time.clone().map(Value::from),
    );
    put(
        "restartMode",
        s.restart_mode.as_deref().map(|p| power_mode_down(p).into()),
    );
    put(
        "vmMetadata",
        s.bootstrap
            .as_ref()
            .and_then(|b| vm_metadata_down(b, config_map)),
    );
    put("storageClass", s.storage_class.clone().map(Value::from));
    put(
        "networkInterfaces",
        s.network.as_ref().map(|n| {
            Value::Array(
                n.interfaces
                    .iter()
                    .map(|f| network_interface_down(f.network.as_ref()))
                    .collect(),
            )
        }),
    );
    put(
        "resourcePolicyName",
        s.reserved
            .as_ref()
            .and_then(|r| r.get("resourcePolicyName"))
            .filter(|n| n.as_str().is_some_and(|n| !n.is_empty()))
            .cloned(),
    );
    put("volumes", volumes_down(s));
    put(
        "readinessProbe",
        s.readiness_probe.as_ref().and_then(|p| {
            let mut p = p.as_object()?.clone();
            p.shift_remove("guestInfo");
            (!p.is_empty()).then_some(Value::Object(p))
        }),
    );
    put(
        "advancedOptions",
        s.advanced.as_ref().and_then(advanced_down),
    );
    put(
        "minHardwareVersion",
        s.min_hardware_version.map(Value::from),
    );
    json!({
        "apiVersion": ApiVersion::V1alpha1.api_version(),
        "kind": hub.kind,
        "metadata": serde_json::to_value(&meta).unwrap_or(Value::Null),
        "spec": Value::Object(spec),
    })
}

/// `convert_v1alpha6_NetworkInterfaceSpec_To_v1alpha1_NetworkInterface`.
fn network_interface_down(n: Option<&PartialObjectRef>) -> Value {
    let Some(n) = n else { return json!({}) };
    let mut o = Map::new();
    if !n.name.is_empty() {
        o.insert("networkName".into(), n.name.clone().into());
    }
    let ty = match n.kind.as_deref() {
        Some("Network") => Some("vsphere-distributed"),
        Some("VirtualNetwork") => Some("nsx-t"),
        Some("SubnetSet") => Some("nsx-t-subnetset"),
        Some("Subnet") => Some("nsx-t-subnet"),
        _ => None,
    };
    if let Some(t) = ty {
        o.insert("networkType".into(), t.into());
    }
    Value::Object(o)
}

/// `convert_v1alpha6_BootstrapSpec_To_v1alpha1_VmMetadata`.
fn vm_metadata_down(b: &BootstrapSpec, config_map: bool) -> Option<Value> {
    if *b == BootstrapSpec::default() {
        return None;
    }
    let mut transport = None;
    let mut object = None;
    if let Some(ci) = &b.cloud_init {
        transport = Some(match &ci.raw_cloud_config {
            Some(raw) => {
                object = Some(raw.name.clone());
                if raw.key.as_deref() == Some("guestinfo.userdata") {
                    "ExtraConfig"
                } else {
                    "CloudInit"
                }
            }
            None => "CloudInit",
        });
    } else if let Some(sp) = &b.sysprep {
        transport = Some("Sysprep");
        object = sp.raw_sysprep.as_ref().map(|r| r.name.clone());
    } else if let Some(va) = &b.vapp_config {
        object = va.raw_properties.clone();
        transport = Some(if b.linux_prep.is_some() {
            "OvfEnv"
        } else {
            "vAppConfig"
        });
    }
    let mut o = Map::new();
    if let Some(t) = transport {
        o.insert("transport".into(), t.into());
    }
    if let Some(name) = object.filter(|n| !n.is_empty()) {
        let k = if config_map {
            "configMapName"
        } else {
            "secretName"
        };
        o.insert(k.into(), name.into());
    }
    Some(Value::Object(o))
}

/// `convert_v1alpha6_VirtualMachineAdvancedSpec_To_v1alpha1_VirtualMachineAdvancedOptions`.
fn advanced_down(a: &Value) -> Option<Value> {
    let mut o = Map::new();
    if let Some(c) = a.get("changeBlockTracking").filter(|c| c.is_boolean()) {
        o.insert("changeBlockTracking".into(), c.clone());
    }
    let opts = match a
        .get("defaultVolumeProvisioningMode")
        .and_then(Value::as_str)
    {
        Some("Thin") => Some(json!({"thinProvisioned": true})),
        Some("Thick") => Some(json!({"thinProvisioned": false})),
        Some("ThickEagerZero") => Some(json!({"eagerZeroed": true})),
        _ => None,
    };
    if let Some(p) = opts {
        o.insert("defaultVolumeProvisioningOptions".into(), p);
    }
    (!o.is_empty()).then_some(Value::Object(o))
}

/// Claims as they are, plus the boot disk size as v1alpha1's well-known vSphereVolume.
fn volumes_down(s: &VirtualMachineSpec) -> Option<Value> {
    let mut out: Vec<Value> = s
        .volumes
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let mut o = Map::new();
            if let Some(n) = v.get("name") {
                o.insert("name".into(), n.clone());
            }
            if let Some(c) = v.get("persistentVolumeClaim") {
                let mut c = c.as_object().cloned().unwrap_or_default();
                // v1alpha1's claim is Kubernetes' plus instanceVolumeClaim.
                c.retain(|k, _| {
                    matches!(k.as_str(), "claimName" | "readOnly" | "instanceVolumeClaim")
                });
                o.insert("persistentVolumeClaim".into(), Value::Object(c));
            }
            Value::Object(o)
        })
        .collect();
    if let Some(cap) = s.advanced.as_ref().and_then(|a| a.get("bootDiskCapacity")) {
        out.push(json!({
            "name": "vmoperator-vm-boot-disk",
            "vSphereVolume": {
                "capacity": {"ephemeral-storage": cap},
                "deviceKey": BOOT_DISK_DEVICE_KEY
            }
        }));
    }
    (!out.is_empty()).then_some(Value::Array(out))
}
