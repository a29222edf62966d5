//! `cust.cfg`, the file vCenter's guest customization hands to the guest (read by cloud-init's
//! IMC path and by VMware's own engine). Emission follows the intersection of both parsers
//! (reference guest-formats §1.2): one `KEY = VALUE` per line, no indentation, no inline
//! comments, no `%`, no duplicates, `NICS` without spaces, `|n` indices contiguous from 1,
//! booleans `yes`/`no`, and exactly one `PRIMARY = yes` on the NIC that owns the default route
//! ([`Resolved::primary_interface`]). A value either format would misread is never emitted:
//! the renderer returns a diagnostic instead of the file.

use super::{Artifact, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::VirtualMachine;
use crate::resolve::{Resolved, Source};
use crate::validate::guest::is_line_breaking;
use std::fmt::Write as _;

/// Why `v` cannot be a cust.cfg value, if it cannot.
pub fn unsafe_reason(v: &str) -> Option<String> {
    if v.is_empty() {
        return Some("an empty value".into());
    }
    if v.trim() != v {
        return Some("leading or trailing white space, which both parsers strip".into());
    }
    if let Some(c) = v.chars().find(|c| is_line_breaking(*c)) {
        return Some(format!("U+{:04X}, which ends or breaks the line", c as u32));
    }
    if v.contains('%') {
        return Some("'%', which cloud-init's configparser treats as interpolation".into());
    }
    None
}

struct Writer {
    out: String,
    errors: Vec<Diagnostic>,
}

impl Writer {
    fn section(&mut self, name: &str) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        let _ = writeln!(self.out, "[{name}]");
    }

    fn kv(&mut self, key: &str, value: &str, path: &str) {
        if let Some(why) = unsafe_reason(value) {
            self.errors.push(
                Diagnostic::invalid(
                    Code::UnsafeValue,
                    path,
                    value,
                    &format!("cust.cfg cannot carry {key} with {why}"),
                )
                .with_help("cust.cfg is line based: one KEY = VALUE per line, read by configparser and by VMware's engine"),
            );
            return;
        }
        let _ = writeln!(self.out, "{key} = {value}");
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn lossy(path: impl Into<String>, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::LossyTranslation, path, msg)
}

pub fn render(vm: &VirtualMachine, r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut diags = Vec::new();
    let mut w = Writer {
        out: String::new(),
        errors: Vec::new(),
    };
    // An error only when the guest would read cust.cfg; for a preview, a warning.
    let severity = if super::Target::Custcfg.used_by(vm, r.provider) {
        Severity::Error
    } else {
        Severity::Warning
    };
    if r.interfaces.is_empty() {
        // cloud-init reads [NIC-CONFIG] NICS unconditionally (KeyError without it) and an
        // empty list names a NIC "" that has no MACADDR.
        return Rendered {
            artifacts: Vec::new(),
            diagnostics: vec![
                Diagnostic::new(
                    Code::CustCfgNoNics,
                    "spec.network",
                    "cust.cfg cannot describe a VM without network interfaces: cloud-init requires [NIC-CONFIG] NICS to name at least one NIC",
                )
                .with_severity(severity),
            ],
        };
    }
    let missing: Vec<&str> = r
        .interfaces
        .iter()
        .filter(|f| f.mac.is_none())
        .map(|f| f.name.as_str())
        .collect();
    if !missing.is_empty() {
        let first = r
            .interfaces
            .iter()
            .find(|f| f.mac.is_none())
            .map(|f| f.index)
            .unwrap_or(0);
        return Rendered {
            artifacts: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                Code::CustCfgNeedsMac,
                format!("spec.network.interfaces[{first}]"),
                format!(
                    "cust.cfg matches every NIC by MACADDR, and no MAC is known for {}",
                    missing.join(", ")
                ),
            )
            .with_help("set macAddr, or render with --mac-policy derive for stable MACs that every artifact shares")
            // Only an error when the guest would read cust.cfg; otherwise a preview is skipped.
            .with_severity(severity)],
        };
    }

    w.section("NETWORK");
    w.kv("NETWORKING", "yes", "");
    w.kv("BOOTPROTO", "dhcp", "");
    let host_path = match &r.host_name.source {
        Source::Global(p) | Source::Metadata(p) => p.clone(),
        _ => "spec.network.hostName".into(),
    };
    w.kv("HOSTNAME", &r.host_name.value, &host_path);
    if let Some(d) = &r.domain_name {
        w.kv("DOMAINNAME", &d.value, "spec.network.domainName");
    }

    let primary = r.primary_interface.as_ref().map(|p| p.value.as_str());
    if !r.interfaces.is_empty() {
        w.section("NIC-CONFIG");
        let nics: Vec<String> = (1..=r.interfaces.len())
            .map(|i| format!("NIC{i}"))
            .collect();
        w.kv("NICS", &nics.join(","), "spec.network.interfaces");
    }
    for (n, f) in r.interfaces.iter().enumerate() {
        let p = format!("spec.network.interfaces[{}]", f.index);
        let is_primary = primary == Some(f.name.as_str());
        w.section(&format!("NIC{}", n + 1));
        if let Some(mac) = &f.mac {
            w.kv("MACADDR", &mac.value, &format!("{p}.macAddr"));
        }
        w.kv("ONBOOT", "yes", "");
        let v4: Vec<_> = f.ipv4().collect();
        if f.dhcp4.value {
            w.kv("IPv4_MODE", "BACKWARDS_COMPATIBLE", "");
            w.kv("BOOTPROTO", "dhcp", "");
        } else if let Some(a) = v4.first() {
            w.kv("IPv4_MODE", "BACKWARDS_COMPATIBLE", "");
            w.kv("BOOTPROTO", "static", "");
            w.kv("IPADDR", &a.addr.to_string(), &format!("{p}.addresses"));
            if let Some(m) = a.dotted_mask() {
                w.kv("NETMASK", &m.to_string(), &format!("{p}.addresses"));
            }
            for extra in v4.iter().skip(1) {
                diags.push(lossy(
                    format!("{p}.addresses"),
                    format!("cust.cfg carries one IPv4 address per NIC; {extra} is left out"),
                ));
            }
        } else {
            w.kv("IPv4_MODE", "DISABLED", "");
            w.kv("BOOTPROTO", "static", "");
            diags.push(
                lossy(
                    p.clone(),
                    format!(
                        "interface {} has no IPv4 configuration: cust.cfg says IPv4_MODE = DISABLED, which VMware's engine honours but cloud-init reads as DHCPv4",
                        f.name
                    ),
                )
                .with_help("reference guest-formats §1.3: cloud-init only looks for IPv4_MODE = DISABLED and then falls back to DHCP"),
            );
        }
        if let Some(gw) = &f.gateway4 {
            if is_primary {
                if !v4.is_empty() {
                    w.kv("GATEWAY", &gw.value.to_string(), &format!("{p}.gateway4"));
                }
            } else {
                diags.push(
                    Diagnostic::new(
                        Code::CustCfgPrimary,
                        format!("{p}.gateway4"),
                        format!(
                            "gateway4 {} is left out: cust.cfg gives the default route only to the PRIMARY NIC ({})",
                            gw.value,
                            primary.unwrap_or("none")
                        ),
                    )
                    .with_help("cloud-init ignores GATEWAY on a non-primary NIC while another NIC is primary"),
                );
            }
        }
        for (k, a) in f.ipv6().enumerate() {
            let path = format!("{p}.addresses");
            w.kv(&format!("IPv6ADDR|{}", k + 1), &a.addr.to_string(), &path);
            w.kv(
                &format!("IPv6NETMASK|{}", k + 1),
                &a.prefix.to_string(),
                &path,
            );
        }
        if let Some(gw) = &f.gateway6 {
            if is_primary && f.ipv6().next().is_some() {
                w.kv(
                    "IPv6GATEWAY|1",
                    &gw.value.to_string(),
                    &format!("{p}.gateway6"),
                );
                diags.push(Diagnostic::new(
                    Code::ConsumerNote,
                    format!("{p}.gateway6"),
                    "cloud-init before 25.1 ignores IPv6GATEWAY; only newer cloud-init and VMware's engine install this default route",
                ));
            } else if !is_primary {
                diags.push(Diagnostic::new(
                    Code::CustCfgPrimary,
                    format!("{p}.gateway6"),
                    format!(
                        "gateway6 {} is left out: cust.cfg gives the default route only to the PRIMARY NIC ({})",
                        gw.value,
                        primary.unwrap_or("none")
                    ),
                ));
            }
        }
        if is_primary {
            w.kv("PRIMARY", "yes", "");
        }
        if f.dhcp6.value {
            diags.push(lossy(
                format!("{p}.dhcp6"),
                "cust.cfg cannot request DHCPv6; cloud-init configures only static IPv6 from it",
            ));
        }
        if !f.routes.is_empty() {
            diags.push(lossy(
                format!("{p}.routes"),
                "cust.cfg cannot carry static routes",
            ));
        }
        if let Some(m) = &f.mtu {
            diags.push(lossy(
                format!("{p}.mtu"),
                format!("cust.cfg cannot carry the MTU {}", m.value),
            ));
        }
        for (field, own, global) in [
            ("nameservers", &f.nameservers, &r.nameservers),
            ("searchDomains", &f.search_domains, &r.search_domains),
        ] {
            if matches!(own.source, Source::Interface(_)) && own.value != global.value {
                diags.push(lossy(
                    format!("{p}.{field}"),
                    format!(
                        "cust.cfg has only global DNS; the {field} of interface {} are left out",
                        f.name
                    ),
                ));
            }
        }
    }
    for v in &r.vlans {
        diags.push(lossy(
            "spec.network.vlans",
            format!("cust.cfg cannot carry VLAN {}", v.name),
        ));
    }

    let dns = !r.nameservers.value.is_empty() || !r.search_domains.value.is_empty();
    let any_dhcp = r.interfaces.iter().any(|f| f.dhcp4.value);
    if dns || any_dhcp {
        w.section("DNS");
        w.kv(
            "DNSFROMDHCP",
            yes_no(r.nameservers.value.is_empty() && any_dhcp),
            "",
        );
        for (i, s) in r.search_domains.value.iter().enumerate() {
            w.kv(
                &format!("SUFFIX|{}", i + 1),
                s,
                &format!("spec.network.searchDomains[{i}]"),
            );
        }
        for (i, s) in r.nameservers.value.iter().enumerate() {
            w.kv(
                &format!("NAMESERVER|{}", i + 1),
                s,
                &format!("spec.network.nameservers[{i}]"),
            );
        }
    }

    let lp = vm.bootstrap().and_then(|b| b.linux_prep.as_ref());
    let tz = lp
        .and_then(|l| l.time_zone.as_deref())
        .filter(|t| !t.is_empty());
    let utc = lp.and_then(|l| l.hardware_clock_is_utc);
    if tz.is_some() || utc.is_some() {
        w.section("DATETIME");
        if let Some(tz) = tz {
            w.kv("TIMEZONE", tz, "spec.bootstrap.linuxPrep.timeZone");
        }
        if let Some(u) = utc {
            w.kv(
                "UTC",
                yes_no(u),
                "spec.bootstrap.linuxPrep.hardwareClockIsUTC",
            );
        }
    }
    if opts.custcfg_marker_id.is_some() || opts.custcfg_post_gc_status {
        w.section("MISC");
        if let Some(m) = &opts.custcfg_marker_id {
            w.kv("MARKER-ID", m, "--custcfg-marker-id");
        }
        if opts.custcfg_post_gc_status {
            w.kv("POST-GC-STATUS", "yes", "");
        }
    }
    if let Some(l) = lp
        && l.password.is_some()
    {
        diags.push(Diagnostic::new(
            Code::Placeholder,
            "spec.bootstrap.linuxPrep.password",
            "the root password comes from a Secret and is not written to this preview",
        ));
    }

    if !w.errors.is_empty() {
        return Rendered {
            artifacts: Vec::new(),
            diagnostics: w.errors,
        };
    }
    Rendered {
        artifacts: vec![Artifact {
            name: "cust.cfg".into(),
            content: w.out,
        }],
        diagnostics: diags,
    }
}
