//! Values that a guest artifact format cannot carry (design §5 "Injection-proof output").
//! Renderers escape or quote what their format can express; what it cannot express at all
//! (a control character in an OVF property, a `%` in a cust.cfg value, a VMX key with a
//! space) is rejected here, before anything is rendered.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};

/// Characters that end a line or cannot appear in a text file a guest parses line by line:
/// C0 controls (TAB included), DEL, C1 controls and the Unicode line/paragraph separators.
pub fn is_line_breaking(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

pub use crate::vim25::xml::is_xml_char;

/// A VMX key as libvirt's virconf reads it: `[A-Za-z.][A-Za-z0-9_:.-]*`.
pub fn is_vmx_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_:.-".contains(c))
}

/// A tz database name (`Area/Location`, `UTC`, `Etc/GMT+5`): terraform-provider-vsphere's
/// `^[-+/_a-zA-Z0-9]+$` without empty path segments.
pub fn is_tz_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.split('/').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-+_".contains(c))
        })
}

fn describe(c: char) -> String {
    if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let vm = cx.vm;
    if let Some(b) = vm.bootstrap() {
        let tzs = [
            (
                "spec.bootstrap.linuxPrep.timeZone",
                b.linux_prep.as_ref().and_then(|l| l.time_zone.as_deref()),
            ),
            (
                "spec.bootstrap.cloudInit.cloudConfig.timezone",
                b.cloud_init
                    .as_ref()
                    .and_then(|c| c.cloud_config.as_ref())
                    .and_then(|c| c.timezone.as_deref()),
            ),
        ];
        for (path, tz) in tzs {
            if let Some(tz) = tz
                && !is_tz_name(tz)
            {
                cx.push(
                    Diagnostic::invalid(
                        Code::TimeZone,
                        path,
                        tz,
                        "time zone must be a tz database name such as America/Los_Angeles",
                    )
                    .with_help(
                        "letters, digits, '-', '+', '_' in '/'-separated parts; cust.cfg and cloud-config carry it verbatim",
                    ),
                );
            }
        }
        if let Some(v) = &b.vapp_config {
            for (i, p) in v.properties.iter().enumerate() {
                let path = format!("spec.bootstrap.vAppConfig.properties[{i}]");
                if let Some(c) = p
                    .key
                    .chars()
                    .find(|c| c.is_whitespace() || !is_xml_char(*c) || c.is_control())
                {
                    cx.push(
                        Diagnostic::invalid(
                            Code::VAppPropertyKey,
                            format!("{path}.key"),
                            &p.key,
                            &format!(
                                "an OVF property id may not contain white space or control characters (found {})",
                                describe(c)
                            ),
                        )
                        .with_help("the key is the property's id in the OVF descriptor and ovf-env.xml"),
                    );
                }
                if let Some(val) = p.value.as_ref().and_then(|v| v.value.as_deref())
                    && let Some(c) = val.chars().find(|c| !is_xml_char(*c))
                {
                    cx.push(
                        Diagnostic::invalid(
                            Code::UnsafeValue,
                            format!("{path}.value.value"),
                            val,
                            &format!(
                                "{} cannot appear in an XML document, so the OVF environment cannot carry this value",
                                describe(c)
                            ),
                        )
                        .with_help("only TAB, LF and CR of the control characters are allowed in XML 1.0"),
                    );
                }
            }
        }
    }
    for (i, f) in vm.interfaces().iter().enumerate() {
        let p = format!("spec.network.interfaces[{i}]");
        if let Some(n) = &f.network
            && let Some(c) = n.name.chars().find(|c| is_line_breaking(*c))
        {
            cx.push(Diagnostic::invalid(
                Code::UnsafeValue,
                format!("{p}.network.name"),
                &n.name,
                &format!(
                    "{} cannot be carried by a VMX networkName or an OVF environment",
                    describe(c)
                ),
            ));
        }
        for (j, kv) in f.advanced_properties.iter().enumerate() {
            if !kv.key.is_empty() && !is_vmx_key(&kv.key) {
                cx.push(
                    Diagnostic::invalid(
                        Code::UnsafeValue,
                        format!("{p}.advancedProperties[{j}].key"),
                        &kv.key,
                        "a VMX key is a letter or '.' followed by letters, digits, '_', ':', '.' or '-'",
                    )
                    .with_help("it becomes the VMX key ethernetN.<key>"),
                );
            }
            if let Some(c) = kv
                .value
                .as_deref()
                .and_then(|v| v.chars().find(|c| *c == '\0'))
            {
                cx.push(Diagnostic::invalid(
                    Code::UnsafeValue,
                    format!("{p}.advancedProperties[{j}].value"),
                    kv.value.as_deref().unwrap_or_default(),
                    &format!("{} cannot be carried by a VMX value", describe(c)),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn predicates() {
        assert!(is_tz_name("America/Los_Angeles"));
        assert!(is_tz_name("Etc/GMT+5"));
        assert!(is_tz_name("UTC"));
        assert!(!is_tz_name("Europe//Berlin"));
        assert!(!is_tz_name("UTC\n[NETWORK]"));
        assert!(!is_tz_name("a%b"));
        assert!(is_vmx_key("ctxPerDev"));
        assert!(is_vmx_key(".encoding"));
        assert!(!is_vmx_key("a b"));
        assert!(!is_vmx_key("1abc"));
        assert!(is_xml_char('\n') && !is_xml_char('\u{1}') && !is_xml_char('\u{fffe}'));
    }

    #[test]
    fn hostile_timezone_and_vapp_values() {
        let y = format!(
            "{HEAD}spec:\n  bootstrap:\n    linuxPrep: {{timeZone: \"UTC\\n[NETWORK]\\nHOSTNAME = x\"}}\n    vAppConfig:\n      properties:\n      - {{key: \"a b\", value: {{value: \"x\\u0001y\"}}}}\n"
        );
        let got = run(&y);
        assert!(
            got.iter()
                .any(|d| d.starts_with("GN231 spec.bootstrap.linuxPrep.timeZone")),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|d| d.starts_with("GN232 spec.bootstrap.vAppConfig.properties[0].key")),
            "{got:?}"
        );
        assert!(got.iter().any(|d| d.starts_with("GN230 spec.bootstrap.vAppConfig.properties[0].value.value")), "{got:?}");
    }
}
