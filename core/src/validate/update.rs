//! Update-time rules: what vm-operator's webhook (`ValidateUpdate` in
//! `webhooks/virtualmachine/validation/virtualmachine_validator.go`) rejects when a
//! VirtualMachine that already exists changes, with its messages, and the one rule it
//! relaxes on update. No admission check runs offline on a single manifest, so these need
//! the previous revision (`guestnet validate --against REV`).
//!
//! The webhook also exempts privileged accounts from some of these; a GitOps controller
//! applies as an ordinary service account, so guestnet applies them all.

use super::ValidateOptions;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{PartialObjectRef, VirtualMachine};

/// `validation.FieldImmutableErrorMsg` (k8s.io/apimachinery).
const IMMUTABLE: &str = "field is immutable";
const FAILED_OVER: &str = "vmoperator.vmware.com/failed-over-vm";
const CHECK_POWER_ON: &str = "poweron.check.vmoperator.vmware.com";
const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
const POWERED_ON: &str = "PoweredOn";
const POWERED_OFF: &str = "PoweredOff";

/// Findings for changing `old` into `new`.
pub fn check(
    old: &VirtualMachine,
    new: &VirtualMachine,
    opts: &ValidateOptions,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    immutable_fields(old, new, opts, &mut out);
    power_state(old, new, &mut out);
    zone(old, new, &mut out);
    bootstrap_provider(old, new, &mut out);
    if opts.feature_enabled("MutableNetworks") {
        macs_kept(old, new, &mut out);
    }
    hardware_version(old, new, &mut out);
    out
}

/// Whether a finding of the create-time rules does not apply to this update:
/// `validateNetworkHostAndDomainName` lets a Windows host name over 15 characters stand
/// when the previous revision was a Sysprep VM whose host name was already that long.
pub fn relaxed(old: &VirtualMachine, d: &Diagnostic) -> bool {
    if d.code != Code::WindowsHostName {
        return false;
    }
    let was_sysprep = old.bootstrap().is_some_and(|b| b.sysprep.is_some());
    let old_host = old
        .network()
        .and_then(|n| n.host_name.as_deref())
        .filter(|h| !h.is_empty())
        .unwrap_or(old.name());
    was_sysprep && old_host.len() > 15
}

fn forbidden(path: impl Into<String>, detail: &str) -> Diagnostic {
    Diagnostic::forbidden(Code::UpdateForbidden, path, detail)
}

fn immutable(path: impl Into<String>, new: &str) -> Diagnostic {
    Diagnostic::invalid(Code::UpdateForbidden, path, new, IMMUTABLE)
}

/// `validation.ValidateImmutableField` on a string.
fn same(out: &mut Vec<Diagnostic>, path: &str, old: Option<&str>, new: Option<&str>) {
    let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
    if old != new {
        out.push(immutable(path, new));
    }
}

fn immutable_fields(
    old: &VirtualMachine,
    new: &VirtualMachine,
    opts: &ValidateOptions,
    out: &mut Vec<Diagnostic>,
) {
    let (o, n) = (&old.spec, &new.spec);
    let failed_over = new.metadata.annotations.contains_key(FAILED_OVER);
    let restoring = opts.feature_enabled("VMIncrementalRestore")
        && failed_over
        && n.image.is_none()
        && n.image_name.as_deref().unwrap_or("").is_empty();
    if !restoring {
        same(
            out,
            "spec.imageName",
            o.image_name.as_deref(),
            n.image_name.as_deref(),
        );
        if o.image != n.image {
            let shown = n.image.as_ref().map(|v| v.to_string()).unwrap_or_default();
            out.push(immutable("spec.image", &shown));
        }
    }
    if o.class_name != n.class_name {
        let resize = opts.feature_enabled("VMResize") || opts.feature_enabled("VMResizeCPUMemory");
        if !resize {
            same(
                out,
                "spec.className",
                o.class_name.as_deref(),
                n.class_name.as_deref(),
            );
        } else if n.class_name.as_deref().unwrap_or("").is_empty() {
            out.push(Diagnostic::required(
                Code::UpdateForbidden,
                "spec.className",
                "",
            ));
        }
    }
    same(
        out,
        "spec.storageClass",
        o.storage_class.as_deref(),
        n.storage_class.as_deref(),
    );
    // New VMs always get these; VMs from older releases may have none yet.
    if o.bios_uuid.as_deref().is_some_and(|u| !u.is_empty()) {
        same(
            out,
            "spec.biosUUID",
            o.bios_uuid.as_deref(),
            n.bios_uuid.as_deref(),
        );
    }
    if o.instance_uuid.as_deref().is_some_and(|u| !u.is_empty()) {
        same(
            out,
            "spec.instanceUUID",
            o.instance_uuid.as_deref(),
            n.instance_uuid.as_deref(),
        );
    }
    let policy = |v: &Option<serde_json::Value>| {
        v.as_ref()
            .and_then(|r| r.get("resourcePolicyName"))
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (op, np) = (policy(&o.reserved), policy(&n.reserved));
    if op != np {
        out.push(immutable("spec.reserved.resourcePolicyName", &np));
    }
    network(old, new, opts, failed_over, out);
}

/// `validateImmutableNetwork`: interfaces cannot be added or removed, renamed, moved to
/// another network, or get another MAC (unless the MutableNetworks feature is on).
fn network(
    old: &VirtualMachine,
    new: &VirtualMachine,
    opts: &ValidateOptions,
    failed_over: bool,
    out: &mut Vec<Diagnostic>,
) {
    if old.network().is_none() && new.network().is_none() {
        return;
    }
    if opts.feature_enabled("MutableNetworks") {
        return;
    }
    let (oi, ni) = (old.interfaces(), new.interfaces());
    if oi.len() != ni.len() {
        out.push(forbidden(
            "spec.network.interfaces",
            "network interfaces cannot be added or removed",
        ));
        return;
    }
    // A failed-over VM may connect each interface to a test or production network.
    if failed_over {
        return;
    }
    for (i, (o, n)) in oi.iter().zip(ni).enumerate() {
        let p = format!("spec.network.interfaces[{i}]");
        if o.name != n.name {
            out.push(forbidden(format!("{p}.name"), IMMUTABLE));
        }
        if o.network != n.network {
            out.push(forbidden(format!("{p}.network"), IMMUTABLE));
        }
        same(
            out,
            &format!("{p}.macAddr"),
            o.mac_addr.as_deref(),
            n.mac_addr.as_deref(),
        );
    }
}

/// `validateNetworkInterfaceMacAddressNotChanged` (MutableNetworks): an interface that
/// keeps its name and network keeps its MAC.
fn macs_kept(old: &VirtualMachine, new: &VirtualMachine, out: &mut Vec<Diagnostic>) {
    let key = |name: &str, net: &PartialObjectRef| {
        format!(
            "{name}::{}::{}",
            net.name,
            net.kind.as_deref().unwrap_or("")
        )
    };
    let old_macs: std::collections::BTreeMap<String, &str> = old
        .interfaces()
        .iter()
        .filter_map(|f| {
            let net = f.network.as_ref()?;
            Some((key(&f.name, net), f.mac_addr.as_deref().unwrap_or("")))
        })
        .collect();
    for (i, f) in new.interfaces().iter().enumerate() {
        let Some(net) = &f.network else { continue };
        let mac = f.mac_addr.as_deref().unwrap_or("");
        if old_macs.get(&key(&f.name, net)).is_some_and(|m| *m != mac) {
            out.push(immutable(
                format!("spec.network.interfaces[{i}].macAddr"),
                mac,
            ));
        }
    }
}

/// `validateBootstrapProviderImmutable`.
fn bootstrap_provider(old: &VirtualMachine, new: &VirtualMachine, out: &mut Vec<Diagnostic>) {
    const MSG: &str = "bootstrap provider type cannot be changed";
    let Some(ob) = old.bootstrap() else { return };
    let Some(nb) = new.bootstrap() else {
        out.push(forbidden("spec.bootstrap", MSG));
        return;
    };
    if ob.cloud_init.is_some() && nb.cloud_init.is_none() {
        out.push(forbidden("spec.bootstrap.cloudInit", MSG));
    } else if ob.linux_prep.is_some() && nb.linux_prep.is_none() {
        out.push(forbidden("spec.bootstrap.linuxPrep", MSG));
    } else if ob.sysprep.is_some() && nb.sysprep.is_none() {
        out.push(forbidden("spec.bootstrap.sysprep", MSG));
    }
}

/// The desired power state; vm-operator's mutation webhook makes an empty one PoweredOn
/// on create, and a manifest applied later keeps the live value when it names none.
fn power(vm: &VirtualMachine) -> &str {
    vm.spec
        .power_state
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or(POWERED_ON)
}

/// `validatePowerStateOnUpdate` and `validateUpdatesWhenPoweredOn`.
fn power_state(old: &VirtualMachine, new: &VirtualMachine, out: &mut Vec<Diagnostic>) {
    match (power(old), power(new)) {
        (POWERED_ON, POWERED_ON) => {
            let halted = old
                .metadata
                .annotations
                .keys()
                .any(|k| k.starts_with(CHECK_POWER_ON));
            if !halted && old.spec.guest_id != new.spec.guest_id {
                out.push(forbidden(
                    "spec.guestID",
                    "updates to this field is not allowed when VM power is on",
                ));
            }
        }
        (POWERED_OFF, "Suspended") => out.push(Diagnostic::invalid(
            Code::UpdateForbidden,
            "spec.powerState",
            "Suspended",
            "cannot suspend a VM that is powered off",
        )),
        _ => {}
    }
}

/// `validateAvailabilityZone`: once set, the zone label stays.
fn zone(old: &VirtualMachine, new: &VirtualMachine, out: &mut Vec<Diagnostic>) {
    let Some(o) = old
        .metadata
        .labels
        .get(ZONE_LABEL)
        .filter(|z| !z.is_empty())
    else {
        return;
    };
    let n = new
        .metadata
        .labels
        .get(ZONE_LABEL)
        .map(String::as_str)
        .unwrap_or("");
    if o != n {
        out.push(immutable(format!("metadata.labels[{ZONE_LABEL}]"), n));
    }
}

/// `validateMinHardwareVersion` on update: no downgrade; an upgrade needs power off.
fn hardware_version(old: &VirtualMachine, new: &VirtualMachine, out: &mut Vec<Diagnostic>) {
    let (o, n) = (
        old.spec.min_hardware_version.unwrap_or(0),
        new.spec.min_hardware_version.unwrap_or(0),
    );
    let path = "spec.minHardwareVersion";
    if n < o {
        out.push(Diagnostic::invalid_int(
            Code::UpdateForbidden,
            path,
            n,
            "cannot downgrade hardware version",
        ));
    }
    if n > o && power(old) != POWERED_OFF && power(new) != POWERED_OFF {
        out.push(Diagnostic::invalid_int(
            Code::UpdateForbidden,
            path,
            n,
            "cannot upgrade hardware version unless powered off",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::vm;

    const BASE: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: my-vm, namespace: ns}\nspec:\n  className: small\n  storageClass: gold\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, network: {name: net1}, macAddr: \"00:50:56:00:00:01\"}\n    - {name: eth1, network: {name: net2}}\n";

    fn msgs(old: &str, new: &str, opts: &ValidateOptions) -> Vec<String> {
        check(&vm(old), &vm(new), opts)
            .iter()
            .map(|d| d.webhook_text())
            .collect()
    }

    fn run(new: &str) -> Vec<String> {
        msgs(BASE, new, &ValidateOptions::default())
    }

    /// Cases from vm-operator's `virtualmachine_validator_unit_test.go` ("update network").
    #[test]
    fn webhook_update_network_cases() {
        assert!(run(BASE).is_empty());
        assert_eq!(
            run(&BASE.replace("    - {name: eth1, network: {name: net2}}\n", "")),
            vec![
                "spec.network.interfaces: Forbidden: network interfaces cannot be added or removed"
            ]
        );
        assert_eq!(
            run(&BASE.replace("name: eth1,", "name: eth9,")),
            vec!["spec.network.interfaces[1].name: Forbidden: field is immutable"]
        );
        assert_eq!(
            run(&BASE.replace("{name: net2}", "{name: net99}")),
            vec!["spec.network.interfaces[1].network: Forbidden: field is immutable"]
        );
        assert_eq!(
            run(&BASE.replace("00:50:56:00:00:01", "00:50:56:00:00:02")),
            vec![
                "spec.network.interfaces[0].macAddr: Invalid value: \"00:50:56:00:00:02\": field is immutable"
            ]
        );
        // A failed-over VM may rewire its interfaces, but not add one.
        let failed_over = BASE.replace(
            "namespace: ns}",
            "namespace: ns, annotations: {vmoperator.vmware.com/failed-over-vm: foo}}",
        );
        assert!(run(&failed_over.replace("{name: net2}", "{name: net99}")).is_empty());
    }

    #[test]
    fn mutable_networks_keeps_macs_per_interface_and_network() {
        let mut opts = ValidateOptions::default();
        opts.features.mutable_networks = true;
        let added = BASE.replace(
            "    - {name: eth1, network: {name: net2}}\n",
            "    - {name: eth1, network: {name: net2}}\n    - {name: eth2, network: {name: net3}}\n",
        );
        assert!(msgs(BASE, &added, &opts).is_empty());
        assert_eq!(
            msgs(
                BASE,
                &BASE.replace("00:50:56:00:00:01", "00:50:56:00:00:02"),
                &opts
            ),
            vec![
                "spec.network.interfaces[0].macAddr: Invalid value: \"00:50:56:00:00:02\": field is immutable"
            ]
        );
        // Another network is another interface: its MAC may differ.
        let moved = BASE.replace(
            "{name: net1}, macAddr: \"00:50:56:00:00:01\"",
            "{name: net7}, macAddr: \"00:50:56:00:00:02\"",
        );
        assert!(msgs(BASE, &moved, &opts).is_empty());
    }

    #[test]
    fn immutable_spec_fields_and_bootstrap() {
        assert_eq!(
            run(&BASE.replace("storageClass: gold", "storageClass: silver")),
            vec!["spec.storageClass: Invalid value: \"silver\": field is immutable"]
        );
        assert_eq!(
            run(&BASE.replace("className: small", "className: large")),
            vec!["spec.className: Invalid value: \"large\": field is immutable"]
        );
        let mut resize = ValidateOptions::default();
        resize.features.vm_resize = true;
        assert!(
            msgs(
                BASE,
                &BASE.replace("className: small", "className: large"),
                &resize
            )
            .is_empty()
        );
        assert_eq!(
            run(&BASE.replace("{cloudInit: {}}", "{linuxPrep: {}}")),
            vec!["spec.bootstrap.cloudInit: Forbidden: bootstrap provider type cannot be changed"]
        );
        assert_eq!(
            run(&BASE.replace(
                "  className: small\n",
                "  className: small\n  guestID: ubuntu64Guest\n"
            )),
            vec![
                "spec.guestID: Forbidden: updates to this field is not allowed when VM power is on"
            ]
        );
        let off = BASE.replace(
            "  className: small\n",
            "  className: small\n  powerState: PoweredOff\n",
        );
        assert!(
            msgs(
                &off,
                &off.replace("small\n", "small\n  guestID: ubuntu64Guest\n"),
                &ValidateOptions::default()
            )
            .is_empty()
        );
        assert_eq!(
            msgs(
                &off,
                &off.replace("PoweredOff", "Suspended"),
                &ValidateOptions::default()
            ),
            vec![
                "spec.powerState: Invalid value: \"Suspended\": cannot suspend a VM that is powered off"
            ]
        );
    }

    #[test]
    fn hardware_version() {
        let v = |n: u32, p: &str| {
            BASE.replace(
                "  className: small\n",
                &format!("  className: small\n  minHardwareVersion: {n}\n  powerState: {p}\n"),
            )
        };
        let d = ValidateOptions::default();
        assert_eq!(
            msgs(&v(19, "PoweredOff"), &v(17, "PoweredOff"), &d),
            vec!["spec.minHardwareVersion: Invalid value: 17: cannot downgrade hardware version"]
        );
        assert_eq!(
            msgs(&v(17, "PoweredOn"), &v(19, "PoweredOn"), &d),
            vec![
                "spec.minHardwareVersion: Invalid value: 19: cannot upgrade hardware version unless powered off"
            ]
        );
        assert!(msgs(&v(17, "PoweredOn"), &v(19, "PoweredOff"), &d).is_empty());
    }

    /// "allow host name longer than 15 characters if sysprep and old VM has host name
    /// longer than 15 characters and is sysprep", and the two cases it does not cover.
    #[test]
    fn windows_host_name_relaxation() {
        let win = |host: &str, bootstrap: &str| {
            format!(
                "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: my-vm}}\nspec:\n  bootstrap: {bootstrap}\n  network: {{hostName: {host}}}\n"
            )
        };
        let long = "a".repeat(16);
        let d = Diagnostic::new(Code::WindowsHostName, "spec.network.hostName", "");
        assert!(relaxed(&vm(&win(&long, "{sysprep: {}}")), &d));
        assert!(!relaxed(&vm(&win(&long, "{vAppConfig: {}}")), &d));
        assert!(!relaxed(&vm(&win("short", "{sysprep: {}}")), &d));
        let other = Diagnostic::new(Code::HostName, "spec.network.hostName", "");
        assert!(!relaxed(&vm(&win(&long, "{sysprep: {}}")), &other));
    }
}
