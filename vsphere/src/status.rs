//! Guest customization state in vCloud Director's five words (seed 002): GC_PENDING,
//! REBOOT_PENDING, GC_FAILED, POST_GC_PENDING, GC_COMPLETE.
//!
//! vCD does not publish how it computes them; guestnet derives them from what vCenter shows:
//! the VM's customization events (`CustomizationStartedEvent`, `CustomizationSucceeded`,
//! `CustomizationFailed` and its subtypes), `config.tools.pendingCustomization`,
//! `guest.customizationInfo` (API 7.0.2+), VMware Tools' running state and the guest's own
//! `guestinfo.gc.status` (written by cloud-init and the Perl GOSC engine when cust.cfg has
//! `POST-GC-STATUS = yes`: `Started`, `Successful`, or an error text). In order:
//!
//! 1. a customization pending (applied at the next power-on) -> GC_PENDING;
//! 2. the latest customization event a failure, `customizationInfo` FAILED, or an error text
//!    in `guestinfo.gc.status` -> GC_FAILED;
//! 3. the latest event `CustomizationStartedEvent`, or `customizationInfo` PENDING/RUNNING ->
//!    GC_PENDING;
//! 4. succeeded (event or `customizationInfo`): Tools not running (the guest is restarting)
//!    -> REBOOT_PENDING; `guestinfo.gc.status` still in progress -> POST_GC_PENDING; else
//!    GC_COMPLETE;
//! 5. no event, but `guestinfo.gc.status` = `Successful` -> GC_COMPLETE, in progress ->
//!    GC_PENDING; nothing recorded -> GC_PENDING ("not started", as vCD says).

use crate::soap::returnvals;
use guestnet_core::vim25::xml::Element;
use serde::Serialize;

/// Event types `QueryEvents` is asked for.
pub const EVENT_TYPES: &[&str] = &[
    "CustomizationStartedEvent",
    "CustomizationSucceeded",
    "CustomizationFailed",
    "CustomizationSysprepFailed",
    "CustomizationLinuxIdentityFailed",
    "CustomizationNetworkSetupFailed",
    "CustomizationUnknownFailure",
];

pub const GC_STATUS_KEY: &str = "guestinfo.gc.status";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GcState {
    #[serde(rename = "GC_PENDING")]
    Pending,
    #[serde(rename = "REBOOT_PENDING")]
    RebootPending,
    #[serde(rename = "GC_FAILED")]
    Failed,
    #[serde(rename = "POST_GC_PENDING")]
    PostGcPending,
    #[serde(rename = "GC_COMPLETE")]
    Complete,
}

impl GcState {
    pub fn as_str(self) -> &'static str {
        match self {
            GcState::Pending => "GC_PENDING",
            GcState::RebootPending => "REBOOT_PENDING",
            GcState::Failed => "GC_FAILED",
            GcState::PostGcPending => "POST_GC_PENDING",
            GcState::Complete => "GC_COMPLETE",
        }
    }

    /// `--wait` stops here.
    pub fn is_final(self) -> bool {
        matches!(self, GcState::Complete | GcState::Failed)
    }
}

/// A customization event of the VM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The vim25 type, e.g. `CustomizationSucceeded`.
    pub kind: String,
    pub key: i64,
    pub created: String,
    pub message: String,
    /// `CustomizationFailed.reason` (API 7.0+), when given.
    pub reason: String,
}

impl Event {
    fn failed(&self) -> bool {
        self.kind.ends_with("Failed") || self.kind == "CustomizationUnknownFailure"
    }
}

/// Everything the state is derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub events: Vec<Event>,
    pub pending: Option<String>,
    pub gc_status: Option<String>,
    /// `guest.customizationInfo.customizationStatus` and `errorMsg`.
    pub customization_info: Option<(String, String)>,
    pub tools_running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: GcState,
    /// Why, in a sentence.
    pub reason: String,
}

/// The events of a `QueryEvents` response, oldest first.
pub fn events(resp: &Element) -> Vec<Event> {
    let t = |e: &Element, n: &str| {
        e.child(n)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    };
    let mut out: Vec<Event> = returnvals(resp)
        .map(|e| Event {
            kind: e
                .xsi_type
                .as_ref()
                .map(|x| x.local.clone())
                .unwrap_or_default(),
            key: t(e, "key").parse().unwrap_or(0),
            created: t(e, "createdTime"),
            message: t(e, "fullFormattedMessage"),
            reason: t(e, "reason"),
        })
        .collect();
    out.sort_by_key(|e| e.key);
    out
}

enum Gc {
    Absent,
    Progress,
    Success,
    Error,
}

fn gc_kind(v: Option<&str>) -> Gc {
    match v.map(str::trim) {
        None | Some("") => Gc::Absent,
        Some("Successful") => Gc::Success,
        Some("Started") | Some("Start to load cloud-init meta data and user data") => Gc::Progress,
        Some(_) => Gc::Error,
    }
}

fn at(e: &Event) -> String {
    if e.created.is_empty() {
        String::new()
    } else {
        format!(" at {}", e.created)
    }
}

pub fn derive(o: &Observed) -> Status {
    let st = |state, reason: String| Status { state, reason };
    if o.pending.is_some() {
        return st(
            GcState::Pending,
            "a customization is pending: vSphere applies it at the next power-on".into(),
        );
    }
    let last = o.events.last();
    let gc = gc_kind(o.gc_status.as_deref());
    let gc_text = o.gc_status.clone().unwrap_or_default();
    if let Some(e) = last.filter(|e| e.failed()) {
        let why = [e.message.as_str(), e.reason.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("; ");
        return st(
            GcState::Failed,
            format!(
                "{}{}{}",
                e.kind,
                at(e),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(": {why}")
                }
            ),
        );
    }
    let ci = o
        .customization_info
        .as_ref()
        .map(|(s, m)| (s.as_str(), m.as_str()));
    if let Some(("TOOLSDEPLOYPKG_FAILED", msg)) = ci {
        return st(
            GcState::Failed,
            format!("guest.customizationInfo says TOOLSDEPLOYPKG_FAILED: {msg}"),
        );
    }
    if let Gc::Error = gc {
        return st(
            GcState::Failed,
            format!("the guest reports {GC_STATUS_KEY} = {gc_text:?}"),
        );
    }
    if let Some(e) = last.filter(|e| e.kind == "CustomizationStartedEvent") {
        return st(
            GcState::Pending,
            format!("customization started{} and has not finished", at(e)),
        );
    }
    if let Some((s @ ("TOOLSDEPLOYPKG_PENDING" | "TOOLSDEPLOYPKG_RUNNING"), _)) = ci {
        return st(
            GcState::Pending,
            format!("guest.customizationInfo says {s}"),
        );
    }
    let succeeded = last.filter(|e| e.kind == "CustomizationSucceeded");
    if succeeded.is_some() || matches!(ci, Some(("TOOLSDEPLOYPKG_SUCCEEDED", _))) {
        let when = succeeded.map(at).unwrap_or_default();
        if !o.tools_running {
            return st(
                GcState::RebootPending,
                format!(
                    "customization succeeded{when}; VMware Tools are not running yet (the guest is restarting)"
                ),
            );
        }
        if let Gc::Progress = gc {
            return st(
                GcState::PostGcPending,
                format!(
                    "customization succeeded{when}; the guest still reports {GC_STATUS_KEY} = {gc_text:?}"
                ),
            );
        }
        return st(GcState::Complete, format!("customization succeeded{when}"));
    }
    match gc {
        Gc::Success => st(
            GcState::Complete,
            format!("the guest reports {GC_STATUS_KEY} = \"Successful\""),
        ),
        Gc::Progress => st(
            GcState::Pending,
            format!("the guest reports {GC_STATUS_KEY} = {gc_text:?}"),
        ),
        _ => st(
            GcState::Pending,
            "no customization is recorded for this VM yet (not started)".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, key: i64) -> Event {
        Event {
            kind: kind.into(),
            key,
            created: format!("t{key}"),
            message: format!("msg {key}"),
            reason: String::new(),
        }
    }

    fn state(o: &Observed) -> GcState {
        derive(o).state
    }

    #[test]
    fn the_table() {
        let mut o = Observed {
            tools_running: true,
            ..Observed::default()
        };
        assert_eq!(state(&o), GcState::Pending);
        o.events = vec![ev("CustomizationStartedEvent", 1)];
        assert_eq!(state(&o), GcState::Pending);
        o.events.push(ev("CustomizationSucceeded", 2));
        assert_eq!(state(&o), GcState::Complete);
        o.tools_running = false;
        assert_eq!(state(&o), GcState::RebootPending);
        o.tools_running = true;
        o.gc_status = Some("Started".into());
        assert_eq!(state(&o), GcState::PostGcPending);
        o.gc_status = Some("Successful".into());
        assert_eq!(state(&o), GcState::Complete);
        o.gc_status = Some("Error executing post-customization script".into());
        let s = derive(&o);
        assert_eq!(s.state, GcState::Failed);
        assert!(s.reason.contains("post-customization"), "{}", s.reason);
        o.gc_status = None;
        o.events.push(ev("CustomizationNetworkSetupFailed", 3));
        let s = derive(&o);
        assert_eq!(s.state, GcState::Failed);
        assert_eq!(s.reason, "CustomizationNetworkSetupFailed at t3: msg 3");
        // A new customization after a failure starts over.
        o.events.push(ev("CustomizationStartedEvent", 4));
        assert_eq!(state(&o), GcState::Pending);
        o.pending = Some("uuid".into());
        assert_eq!(state(&o), GcState::Pending);
    }

    #[test]
    fn customization_info_alone() {
        let mut o = Observed {
            tools_running: true,
            customization_info: Some(("TOOLSDEPLOYPKG_RUNNING".into(), String::new())),
            ..Observed::default()
        };
        assert_eq!(state(&o), GcState::Pending);
        o.customization_info = Some(("TOOLSDEPLOYPKG_SUCCEEDED".into(), String::new()));
        assert_eq!(state(&o), GcState::Complete);
        o.customization_info = Some(("TOOLSDEPLOYPKG_FAILED".into(), "no network".into()));
        assert!(derive(&o).reason.contains("no network"));
        assert!(GcState::Failed.is_final() && !GcState::RebootPending.is_final());
        assert_eq!(
            serde_json::to_string(&GcState::PostGcPending).unwrap(),
            "\"POST_GC_PENDING\""
        );
    }
}
