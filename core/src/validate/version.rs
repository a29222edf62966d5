//! API version rules: fields that exist only in v1alpha6 are unknown in a v1alpha5 document
//! (the apiserver would prune or reject them, and the guest would silently not get them).

use super::{Ctx, iface_path};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::ApiVersion;

pub(super) fn check(cx: &mut Ctx<'_>) {
    if cx.version != ApiVersion::V1alpha5 {
        return;
    }
    let mut found: Vec<String> = Vec::new();
    if let Some(net) = cx.vm.network() {
        if !net.vlans.is_empty() {
            found.push("spec.network.vlans".into());
        }
        for (i, f) in net.interfaces.iter().enumerate() {
            let p = iface_path(i);
            if f.nic_type.is_some() {
                found.push(format!("{p}.type"));
            }
            if f.vnuma_node_id.is_some() {
                found.push(format!("{p}.vnumaNodeID"));
            }
            if f.vmxnet3.is_some() {
                found.push(format!("{p}.vmxnet3"));
            }
            if !f.advanced_properties.is_empty() {
                found.push(format!("{p}.advancedProperties"));
            }
            if !f.ipam_modes.is_empty() {
                found.push(format!("{p}.ipamModes"));
            }
        }
    }
    if cx.vm.bootstrap().is_some_and(|b| b.disabled.is_some()) {
        found.push("spec.bootstrap.disabled".into());
    }
    for path in found {
        let field = path.rsplit('.').next().unwrap_or("").to_string();
        cx.push(
            Diagnostic::new(Code::UnknownField, path, format!("unknown field `{field}`"))
                .with_help(
                    "this field exists only in vmoperator.vmware.com/v1alpha6; change apiVersion",
                ),
        );
    }
}
