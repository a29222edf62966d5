//! `spec.advanced.extraConfig` (`validateAdvancedExtraConfig`, under TelcoVMServiceAPI): the
//! keys vm-operator manages itself, and the per-NIC `ethernetN.*` keys that belong in
//! `spec.network.interfaces[]`. `guestinfo.*` is among them because guest customization
//! (cloud-init's metadata and user-data, the OVF environment) travels there.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use serde_json::Value;

/// The `vmx:` tags of `VirtualMachineAdvancedSpec` (first-class VM settings).
const FIRST_CLASS: &[&str] = &[
    "numa.vcpu.preferHT",
    "sched.mem.lpage.enable1GPage",
    "timeTracker.lowLatency",
    "sched.cpu.affinity.exclusiveNoStats",
    "sched.swap.vmxSwapEnabled",
    "numa.nodeAffinity",
];

/// `systemReservedExtraConfigKeys`.
const RESERVED: &[&str] = &[
    "disk.enableUUID",
    "vmx.reboot.powerCycle",
    "resourcepool.vmResourceProfileId",
    "RUN.container",
    "vmservice.namespacedName",
    "tools.deployPkg.fileName",
    "vmware.tools.gosc.ignoretoolscheck",
    "maintenance.vm.evacuation.poweroff",
    "pciPassthru.use64bitMMIO",
    "pciPassthru.64bitMMIOSizeGB",
];

pub(super) fn check(cx: &mut Ctx<'_>) {
    if !cx.opts.features.telco_api {
        return;
    }
    let Some(items) = cx
        .vm
        .spec
        .advanced
        .as_ref()
        .and_then(|a| a.get("extraConfig"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let mut found = Vec::new();
    for (i, kv) in items.iter().enumerate() {
        let key = kv.get("key").and_then(Value::as_str).unwrap_or("");
        let detail = if FIRST_CLASS.contains(&key) {
            "use the corresponding first-class field in spec.advanced instead"
        } else if super::network::ethernet_key(key).is_some() {
            "use spec.network.interfaces[].vmxnet3 or advancedProperties instead"
        } else if RESERVED.contains(&key)
            || key.starts_with("vmservice.")
            || key.starts_with("guestinfo.")
        {
            "this key is reserved for the system"
        } else {
            continue;
        };
        found.push(Diagnostic::forbidden(
            Code::ExtraConfig,
            format!("spec.advanced.extraConfig[{i}].key"),
            &format!("{key}: {detail}"),
        ));
    }
    for d in found {
        cx.push(d);
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn reserved_and_nic_keys() {
        let r = run(&format!(
            "{HEAD}spec:\n  advanced:\n    extraConfig:\n    - {{key: guestinfo.metadata, value: x}}\n    - {{key: ethernet0.ctxPerDev, value: '1'}}\n    - {{key: user.setting, value: x}}\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN147 spec.advanced.extraConfig[0].key: Forbidden: guestinfo.metadata: this key is reserved for the system",
                "GN147 spec.advanced.extraConfig[1].key: Forbidden: ethernet0.ctxPerDev: use spec.network.interfaces[].vmxnet3 or advancedProperties instead",
            ]
        );
    }
}
