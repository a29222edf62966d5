//! Reading what `guestnet status` derives the customization state from.

use super::session::{NetError, Session, body};
use crate::soap::{self, MoRef, PropSpec};
use crate::status::{EVENT_TYPES, GC_STATUS_KEY, Observed, events};
use crate::vm::VmInfo;
use guestnet_core::vim25::VimVersion;

/// `guest.customizationInfo` exists from API 7.0.2.0; older servers reject the path.
const CUSTOMIZATION_INFO_SINCE: VimVersion = VimVersion([7, 0, 2, 0]);

/// The VM's customization events, pending customization, Tools state and `guestinfo.gc.status`.
pub fn observe(s: &Session, vm: &MoRef) -> Result<(VmInfo, Observed), NetError> {
    let mut paths = vec![
        "name",
        "runtime.powerState",
        "guest.toolsRunningStatus",
        "config.guestId",
        "config.extraConfig",
        "config.tools.pendingCustomization",
    ];
    let with_info = s.server().api_version >= CUSTOMIZATION_INFO_SINCE;
    if with_info {
        paths.push("guest.customizationInfo");
    }
    let objs = s.retrieve(&[PropSpec {
        obj: vm,
        paths: &paths,
    }])?;
    let oc = objs
        .iter()
        .find(|o| &o.obj == vm)
        .ok_or_else(|| NetError::Other(format!("VM {} is gone", vm.value)))?;
    let info = VmInfo::from_content(oc);
    let customization_info = oc.get("guest.customizationInfo").map(|v| {
        let t = |n: &str| {
            v.child(n)
                .map(|e| e.text.trim().to_string())
                .unwrap_or_default()
        };
        (t("customizationStatus"), t("errorMsg"))
    });
    let evs = match &s.content.event_manager {
        Some(em) => {
            let req = soap::query_events(em, vm, EVENT_TYPES).map_err(body)?;
            events(&s.call(&req)?)
        }
        None => Vec::new(),
    };
    let observed = Observed {
        events: evs,
        pending: info.pending_customization.clone(),
        gc_status: info.extra(GC_STATUS_KEY).map(str::to_string),
        customization_info,
        tools_running: info.tools_running == "guestToolsRunning",
    };
    Ok((info, observed))
}
