//! vim25 faults as sentences a person can act on. The server's own text (`faultstring`,
//! `localizedMessage`) is often empty or a Go type name (vcsim: `*types.NicSettingMismatch`),
//! so the sentence is built from the fault's type and fields, with the server's text added
//! only when it says something.

use crate::soap::Fault;

fn or<'a>(v: Option<&'a str>, d: &'a str) -> &'a str {
    v.filter(|s| !s.is_empty()).unwrap_or(d)
}

/// Whether the server's message adds anything to the sentence.
fn useful(msg: &str) -> bool {
    let m = msg.trim();
    !m.is_empty() && !m.starts_with("*types.") && !m.starts_with("fault.")
}

/// The sentence for a fault, without a trailing period.
pub fn sentence(f: &Fault) -> String {
    let s = match f.kind.as_str() {
        "NicSettingMismatch" => format!(
            "the customization spec has {} network adapter setting(s) but the VM has {} network adapter(s) (NicSettingMismatch)",
            or(f.field("numberOfNicsInSpec"), "?"),
            or(f.field("numberOfNicsInVM"), "?")
        ),
        "CustomizationPending" => "a customization is already pending on this VM: it is applied at the next power-on; power the VM on (or wait for the guest to finish) before customizing again (CustomizationPending)".into(),
        "InvalidPowerState" => format!(
            "the VM is {} but the operation needs it {} (InvalidPowerState)",
            or(f.field("existingState"), "in another power state"),
            or(f.field("requestedState"), "in another power state")
        ),
        "InvalidLogin" => "vCenter rejected the user name or password (InvalidLogin)".into(),
        "NotAuthenticated" => "the vCenter session is not (or no longer) logged in (NotAuthenticated)".into(),
        "NoPermission" => format!(
            "the user lacks the privilege {} on {} (NoPermission)",
            or(f.field("privilegeId"), "needed"),
            or(f.field("object"), "the object")
        ),
        "InvalidGuestLogin" => "the guest rejected the user name or password given for in-guest customization (InvalidGuestLogin)".into(),
        "GuestPermissionDenied" => "the guest user may not run the customization (GuestPermissionDenied)".into(),
        "ToolsUnavailable" | "GuestOperationsUnavailable" => format!(
            "VMware Tools are not running in the guest ({})",
            f.kind
        ),
        "TaskInProgress" => "another task is running on the VM; try again when it has finished (TaskInProgress)".into(),
        "InvalidState" => "the VM is in a state that does not allow this operation (InvalidState)".into(),
        "NotFound" => "vCenter has no such object (NotFound)".into(),
        "ManagedObjectNotFound" => format!(
            "vCenter has no object {} (deleted meanwhile?) (ManagedObjectNotFound)",
            or(f.field("obj"), "of that id")
        ),
        "MethodNotFound" => format!(
            "the server does not implement {} (MethodNotFound)",
            or(f.field("method"), "this method")
        ),
        "InvalidArgument" => format!(
            "vCenter says a parameter was not correct: {} (InvalidArgument)",
            or(f.field("invalidProperty"), "(not named)")
        ),
        "InvalidRequest" => "vCenter could not decode the request (InvalidRequest)".into(),
        "AlreadyExists" => format!("{} already exists (AlreadyExists)", or(f.field("name"), "the object")),
        "CannotDecryptPasswords" => "vCenter cannot decrypt the passwords in the customization spec (CannotDecryptPasswords)".into(),
        "UnrecognizedHost" => "the VM's host is not recognized for customization (UnrecognizedHost)".into(),
        "CustomizationFault" => "guest customization failed (CustomizationFault)".into(),
        "VmConfigFault" | "InvalidVmConfig" => "vCenter rejected the VM configuration change".to_string() + &format!(" ({})", f.kind),
        "RequestCanceled" => "the task was cancelled (RequestCanceled)".into(),
        "Timedout" => "the operation timed out on the server (Timedout)".into(),
        "HostNotConnected" => "the VM's host is not connected (HostNotConnected)".into(),
        "" => "the server reported a fault".into(),
        other => format!("vCenter reported {other}"),
    };
    if useful(&f.message) && !s.contains(f.message.trim()) {
        format!("{s}: {}", f.message.trim())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: &str, fields: &[(&str, &str)], message: &str) -> Fault {
        Fault {
            kind: kind.into(),
            message: message.into(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn sentences_carry_the_fields() {
        let s = sentence(&fault(
            "NicSettingMismatch",
            &[("numberOfNicsInSpec", "2"), ("numberOfNicsInVM", "1")],
            "*types.NicSettingMismatch",
        ));
        assert_eq!(
            s,
            "the customization spec has 2 network adapter setting(s) but the VM has 1 network adapter(s) (NicSettingMismatch)"
        );
        let s = sentence(&fault(
            "InvalidPowerState",
            &[
                ("requestedState", "poweredOff"),
                ("existingState", "poweredOn"),
            ],
            "",
        ));
        assert_eq!(
            s,
            "the VM is poweredOn but the operation needs it poweredOff (InvalidPowerState)"
        );
        let s = sentence(&fault("InvalidLogin", &[], "Login failure"));
        assert_eq!(
            s,
            "vCenter rejected the user name or password (InvalidLogin): Login failure"
        );
        let s = sentence(&fault("SomethingNew", &[], "it broke"));
        assert_eq!(s, "vCenter reported SomethingNew: it broke");
    }
}
