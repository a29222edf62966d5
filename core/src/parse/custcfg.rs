//! cust.cfg -> VirtualMachine. Tolerant of what real files contain (comments, blank lines,
//! `KEY=VALUE` without spaces, `PRIMARY = true`, `NETMASK` as a prefix length, sections
//! guestnet does not model), strict about what makes cloud-init and VMware's engine disagree
//! or fail (reference guest-formats §1.2): indented continuation lines, duplicate sections
//! or keys, `%`, a `NICS` list with spaces, a missing MACADDR, gaps in `|n` indices, more
//! than one primary NIC, an IPv6 address without its netmask.
//!
//! Gateways are read as cloud-init reads them: the PRIMARY NIC's first GATEWAY is its default
//! gateway; with no PRIMARY NIC at all, each GATEWAY becomes a route to the NIC's subnet (and
//! a warning says VMware's engine would install a default route instead).

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ip::{Cidr, parse_ip, parse_mac};
use crate::model::{
    BootstrapSpec, InterfaceSpec, LinuxPrepSpec, NetworkSpec, RouteSpec, VirtualMachine,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// One `KEY = VALUE` entry with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

/// One `[SECTION]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: u32,
    pub entries: Vec<Entry>,
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

use super::at;

/// The lexical layer: sections and entries, as configparser reads them, with errors where
/// configparser and VMware's line-based reader would disagree. Fuzz entry point.
pub fn lex(text: &str) -> Result<(Vec<Section>, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut errs = Vec::new();
    let mut warns = Vec::new();
    let mut sections: Vec<Section> = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.split('\n').enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if l.contains('\r') {
            errs.push(at(line, Code::WrongType, "", "a carriage return inside a line: cloud-init starts a new line there, VMware's engine does not".into()));
            continue;
        }
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if l.starts_with([' ', '\t']) {
            errs.push(at(line, Code::WrongType, "", format!("indented line {t:?}: cloud-init appends it to the previous value, VMware's engine reads a new entry")));
            continue;
        }
        if t.starts_with('[') && t.ends_with(']') && t.len() >= 3 {
            let name = t[1..t.len() - 1].to_string();
            if sections.iter().any(|s| s.name == name) {
                errs.push(at(
                    line,
                    Code::DuplicateKey,
                    &name,
                    format!("section [{name}] appears twice (cloud-init: DuplicateSectionError)"),
                ));
            }
            sections.push(Section {
                name,
                line,
                entries: Vec::new(),
            });
            continue;
        }
        let delim = l.find(['=', ':']);
        let Some(pos) = delim else {
            errs.push(at(
                line,
                Code::WrongType,
                "",
                format!("line {t:?} is not KEY = VALUE"),
            ));
            continue;
        };
        let (k, v) = (l[..pos].trim(), l[pos + 1..].trim());
        if l.as_bytes().get(pos) == Some(&b':') {
            warns.push(at(line, Code::ConsumerDisagreement, k, format!("`{k}:` uses ':' as delimiter: cloud-init accepts it, VMware's engine only splits on '='")));
        }
        if k.is_empty() {
            errs.push(at(
                line,
                Code::WrongType,
                "",
                format!("line {t:?} has no key"),
            ));
            continue;
        }
        if v.contains('%') {
            errs.push(at(line, Code::UnsafeValue, k, format!("`{k}` contains '%': cloud-init's configparser fails with an interpolation error")));
            continue;
        }
        let Some(sec) = sections.last_mut() else {
            errs.push(at(
                line,
                Code::MissingField,
                k,
                format!("`{k}` comes before any [SECTION] (cloud-init: MissingSectionHeaderError)"),
            ));
            continue;
        };
        if sec.entries.iter().any(|e| e.key == k) {
            errs.push(at(
                line,
                Code::DuplicateKey,
                &format!("{}|{k}", sec.name),
                format!(
                    "`{k}` appears twice in [{}] (cloud-init: DuplicateOptionError)",
                    sec.name
                ),
            ));
            continue;
        }
        sec.entries.push(Entry {
            key: k.to_string(),
            value: v.to_string(),
            line,
        });
    }
    if errs.is_empty() {
        Ok((sections, warns))
    } else {
        Err(errs)
    }
}

fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

fn netmask_prefix(m: &str) -> Option<u8> {
    if let Ok(p) = m.parse::<u8>() {
        return (p <= 32).then_some(p);
    }
    let ip: Ipv4Addr = m.parse().ok()?;
    let bits = u32::from(ip);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then(|| u8::try_from(ones).unwrap_or(32))
}

/// Values of `PREFIX|1..n` in a section, requiring contiguous indices from 1 (cloud-init
/// reads 1..count and fails on a gap).
fn indexed(sec: &Section, prefix: &str, errs: &mut Vec<Diagnostic>) -> Vec<Entry> {
    let mut found: BTreeMap<u32, Entry> = BTreeMap::new();
    for e in &sec.entries {
        if let Some(n) = e.key.strip_prefix(prefix).and_then(|r| r.strip_prefix('|')) {
            match n.parse::<u32>() {
                Ok(i) if i >= 1 => {
                    found.insert(i, e.clone());
                }
                _ => errs.push(at(
                    e.line,
                    Code::WrongType,
                    &e.key,
                    format!("`{}` needs an index 1, 2, …", e.key),
                )),
            }
        }
    }
    let mut out = Vec::new();
    for (want, (i, e)) in (1u32..).zip(found) {
        if i != want {
            errs.push(at(e.line, Code::MissingField, &e.key, format!("`{}` without `{prefix}|{want}`: indices must be contiguous from 1 (cloud-init fails with KeyError)", e.key)));
            break;
        }
        out.push(e);
    }
    out
}

/// Parses `text` into a VirtualMachine named `name` (cust.cfg carries no VM name).
pub fn parse(text: &str, name: &str) -> Parsed {
    let (sections, mut diags) = match lex(text) {
        Ok(x) => x,
        Err(e) => {
            return Parsed {
                vms: Vec::new(),
                diagnostics: e,
            };
        }
    };
    let mut errs: Vec<Diagnostic> = Vec::new();
    // First section of each name, looked up once per NIC (a NICS list may name thousands).
    let mut by_name: std::collections::HashMap<&str, &Section> = std::collections::HashMap::new();
    for s in &sections {
        by_name.entry(s.name.as_str()).or_insert(s);
    }
    let sec = |n: &str| by_name.get(n).copied();
    let lossy = |line: u32, path: &str, msg: String| at(line, Code::LossyTranslation, path, msg);
    let mut net = NetworkSpec::default();
    let mut lp = LinuxPrepSpec::default();

    for s in &sections {
        let known = matches!(
            s.name.as_str(),
            "NETWORK"
                | "NIC-CONFIG"
                | "DNS"
                | "DATETIME"
                | "MISC"
                | "PASSWORD"
                | "CUSTOM-SCRIPT"
                | "CLOUDINIT"
        ) || s.name.starts_with("NIC");
        if !known {
            diags.push(lossy(
                s.line,
                &s.name,
                format!(
                    "section [{}] is not read by cloud-init and has no VirtualMachine equivalent",
                    s.name
                ),
            ));
        }
    }
    if let Some(s) = sec("NETWORK") {
        for e in &s.entries {
            match e.key.as_str() {
                "HOSTNAME" => net.host_name = Some(e.value.clone()),
                "DOMAINNAME" => net.domain_name = Some(e.value.clone()),
                "NETWORKING" | "BOOTPROTO" => {}
                k => diags.push(lossy(
                    e.line,
                    &format!("NETWORK|{k}"),
                    format!("[NETWORK] {k} is not read by cloud-init"),
                )),
            }
        }
    }
    // NICs.
    let mut primary_seen: Vec<u32> = Vec::new();
    struct Nic {
        iface: InterfaceSpec,
        primary: bool,
        gateways: Vec<(IpAddr, u32)>,
        v4: Option<Cidr>,
        v6: Vec<(Cidr, Option<IpAddr>, u32)>,
    }
    let mut nics: Vec<Nic> = Vec::new();
    if let Some(nc) = sec("NIC-CONFIG")
        && let Some(list) = nc.get("NICS")
    {
        for item in list.value.split(',') {
            if item.trim() != item || item.is_empty() {
                errs.push(at(list.line, Code::WrongType, "NIC-CONFIG|NICS", format!("NICS = {:?}: names must be separated by ',' without spaces (cloud-init fails otherwise)", list.value)));
                break;
            }
            let Some(s) = sec(item) else {
                errs.push(at(
                    list.line,
                    Code::MissingField,
                    "NIC-CONFIG|NICS",
                    format!("NICS names [{item}], which the file does not have"),
                ));
                continue;
            };
            let mut f = InterfaceSpec {
                name: item
                    .to_ascii_lowercase()
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect(),
                ..InterfaceSpec::default()
            };
            if f.name.len() < 2 {
                f.name = format!("nic{}", nics.len() + 1);
            }
            match s.get("MACADDR") {
                Some(m) => match parse_mac(&m.value) {
                    Some(b) => f.mac_addr = Some(crate::ip::format_mac(&b)),
                    None => errs.push(at(
                        m.line,
                        Code::MacAddress,
                        &format!("{item}|MACADDR"),
                        format!("MACADDR {:?} is not a MAC address", m.value),
                    )),
                },
                None => errs.push(at(
                    s.line,
                    Code::MissingField,
                    &format!("{item}|MACADDR"),
                    format!("[{item}] has no MACADDR: cloud-init cannot match the NIC"),
                )),
            }
            let mut primary = false;
            if let Some(p) = s.get("PRIMARY") {
                match truthy(&p.value) {
                    Some(b) => primary = b,
                    None => diags.push(at(p.line, Code::ConsumerDisagreement, &format!("{item}|PRIMARY"), format!("PRIMARY = {:?}: cloud-init reads 'not primary', VMware's engine rejects it", p.value))),
                }
            }
            if primary {
                primary_seen.push(p_line(s, "PRIMARY"));
            }
            if let Some(o) = s.get("ONBOOT")
                && truthy(&o.value) == Some(false)
            {
                diags.push(lossy(
                    o.line,
                    &format!("{item}|ONBOOT"),
                    "ONBOOT = no has no VirtualMachine equivalent".into(),
                ));
            }
            let mode = s
                .get("IPv4_MODE")
                .map(|e| e.value.to_ascii_lowercase())
                .unwrap_or_default();
            let proto = s
                .get("BOOTPROTO")
                .map(|e| e.value.to_ascii_lowercase())
                .unwrap_or_default();
            let mut v4 = None;
            let mut gateways = Vec::new();
            if mode == "disabled" {
                if let Some(e) = s.get("IPv4_MODE") {
                    diags.push(at(e.line, Code::ConsumerDisagreement, &format!("{item}|IPv4_MODE"), "IPv4_MODE = DISABLED: read as no IPv4 (VMware's engine); cloud-init would use DHCPv4".into()));
                }
            } else if proto == "static" {
                if let Some(ip) = s.get("IPADDR") {
                    match ip.value.parse::<Ipv4Addr>() {
                        Ok(a) => {
                            let prefix = match s.get("NETMASK") {
                                Some(m) => match netmask_prefix(&m.value) {
                                    Some(p) => p,
                                    None => {
                                        errs.push(at(
                                            m.line,
                                            Code::InvalidCidr,
                                            &format!("{item}|NETMASK"),
                                            format!("NETMASK {:?} is not a netmask", m.value),
                                        ));
                                        32
                                    }
                                },
                                None => 32,
                            };
                            v4 = Some(Cidr {
                                addr: IpAddr::V4(a),
                                prefix,
                            });
                        }
                        Err(_) => errs.push(at(
                            ip.line,
                            Code::InvalidCidr,
                            &format!("{item}|IPADDR"),
                            format!("IPADDR {:?} is not an IPv4 address", ip.value),
                        )),
                    }
                }
                if let Some(g) = s.get("GATEWAY") {
                    for part in g.value.split(',') {
                        match parse_ip(part.trim()) {
                            Some(ip) if ip.is_ipv4() => gateways.push((ip, g.line)),
                            _ => errs.push(at(
                                g.line,
                                Code::Gateway4,
                                &format!("{item}|GATEWAY"),
                                format!("GATEWAY item {:?} is not an IPv4 address", part.trim()),
                            )),
                        }
                    }
                }
            } else {
                if proto != "dhcp"
                    && let Some(e) = s.get("BOOTPROTO")
                {
                    diags.push(at(e.line, Code::ConsumerDisagreement, &format!("{item}|BOOTPROTO"), format!("BOOTPROTO = {:?}: cloud-init reads anything but 'static' as DHCP, VMware's engine rejects it", e.value)));
                }
                f.dhcp4 = Some(true);
            }
            let mut v6 = Vec::new();
            for a in indexed(s, "IPv6ADDR", &mut errs) {
                let n = a.key.rsplit('|').next().unwrap_or("1").to_string();
                let Some(ip) = parse_ip(&a.value).filter(|i| !i.is_ipv4()) else {
                    errs.push(at(
                        a.line,
                        Code::InvalidCidr,
                        &a.key,
                        format!("{} {:?} is not an IPv6 address", a.key, a.value),
                    ));
                    continue;
                };
                let Some(mask) = s.get(&format!("IPv6NETMASK|{n}")) else {
                    errs.push(at(
                        a.line,
                        Code::MissingField,
                        &format!("{item}|IPv6NETMASK|{n}"),
                        format!("{} has no IPv6NETMASK|{n} (cloud-init: ValueError)", a.key),
                    ));
                    continue;
                };
                let Some(prefix) = mask.value.parse::<u8>().ok().filter(|p| *p <= 128) else {
                    errs.push(at(
                        mask.line,
                        Code::InvalidCidr,
                        &mask.key,
                        format!("{} {:?} is not a prefix length", mask.key, mask.value),
                    ));
                    continue;
                };
                let gw = s.get(&format!("IPv6GATEWAY|{n}")).and_then(|g| {
                    let ip = parse_ip(&g.value).filter(|i| !i.is_ipv4());
                    if ip.is_none() {
                        errs.push(at(
                            g.line,
                            Code::Gateway6,
                            &g.key,
                            format!("{} {:?} is not an IPv6 address", g.key, g.value),
                        ));
                    }
                    ip
                });
                v6.push((Cidr { addr: ip, prefix }, gw, a.line));
            }
            for e in &s.entries {
                let k = e.key.as_str();
                let known = matches!(
                    k,
                    "MACADDR"
                        | "ONBOOT"
                        | "PRIMARY"
                        | "BOOTPROTO"
                        | "IPv4_MODE"
                        | "IPADDR"
                        | "NETMASK"
                        | "GATEWAY"
                ) || ["IPv6ADDR|", "IPv6NETMASK|", "IPv6GATEWAY|"]
                    .iter()
                    .any(|p| k.starts_with(p));
                if !known {
                    diags.push(at(
                        e.line,
                        Code::NotConverted,
                        &format!("{item}|{k}"),
                        format!("[{item}] {k} has no VirtualMachine equivalent"),
                    ));
                }
            }
            nics.push(Nic {
                iface: f,
                primary,
                gateways,
                v4,
                v6,
            });
        }
    }
    if primary_seen.len() > 1 {
        errs.push(at(
            primary_seen[1],
            Code::CustCfgPrimaryConflict,
            "PRIMARY",
            "more than one NIC is PRIMARY (cloud-init: \"There can only be one primary nic\")"
                .into(),
        ));
    }
    let any_primary = nics.iter().any(|n| n.primary);
    for n in &mut nics {
        let f = &mut n.iface;
        if let Some(c) = n.v4 {
            f.addresses.push(c.to_string());
        }
        for (c, _, _) in &n.v6 {
            f.addresses.push(c.to_string());
        }
        if n.primary {
            if let Some((g, _)) = n.gateways.first() {
                f.gateway4 = Some(g.to_string());
            }
            if let Some((_, line)) = n.gateways.get(1) {
                diags.push(lossy(*line, &format!("{}|GATEWAY", f.name), "only the first GATEWAY of the PRIMARY NIC is used by cloud-init; the others are left out".into()));
            }
            if let Some((_, Some(g), _)) = n.v6.iter().find(|(_, g, _)| g.is_some()) {
                f.gateway6 = Some(g.to_string());
            }
        } else if any_primary {
            if let Some((_, line)) = n.gateways.first() {
                diags.push(lossy(*line, &format!("{}|GATEWAY", f.name), "GATEWAY on a non-primary NIC is ignored by cloud-init while another NIC is primary".into()));
            }
        } else {
            // No primary anywhere: cloud-init routes each gateway to the NIC's own subnet.
            let mut noted = false;
            let v4 = n.v4;
            for (g, line) in &n.gateways {
                if let Some(c) = v4 {
                    f.routes.push(subnet_route(&c, g));
                }
                if !noted {
                    diags.push(at(*line, Code::CustCfgPrimary, &format!("{}|GATEWAY", f.name), "no NIC is PRIMARY: cloud-init turns GATEWAY into a route to the NIC's subnet (read so), VMware's engine into a default route".into()).with_help("add PRIMARY = yes to the NIC that owns the default route"));
                    noted = true;
                }
            }
            for (c, g, _) in &n.v6 {
                if let Some(g) = g {
                    f.routes.push(subnet_route(c, g));
                }
            }
        }
    }
    net.interfaces = nics.into_iter().map(|n| n.iface).collect();

    if let Some(s) = sec("DNS") {
        let ns = indexed(s, "NAMESERVER", &mut errs);
        for e in &ns {
            if parse_ip(&e.value).is_none() {
                errs.push(at(
                    e.line,
                    Code::InvalidNameserver,
                    &e.key,
                    format!("{} {:?} is not an IP address", e.key, e.value),
                ));
            }
        }
        net.nameservers = ns.into_iter().map(|e| e.value).collect();
        net.search_domains = indexed(s, "SUFFIX", &mut errs)
            .into_iter()
            .map(|e| e.value)
            .collect();
    }
    if let Some(s) = sec("DATETIME") {
        if let Some(tz) = s.get("TIMEZONE") {
            lp.time_zone = Some(tz.value.clone());
        }
        if let Some(u) = s.get("UTC") {
            lp.hardware_clock_is_utc = truthy(&u.value);
        }
    }
    for (section, what) in [
        (
            "PASSWORD",
            "the root password (a Secret in a VirtualMachine) is not carried over",
        ),
        (
            "MISC",
            "marker, status and instance-id settings have no VirtualMachine equivalent",
        ),
        (
            "CUSTOM-SCRIPT",
            "the customization script is not in this file",
        ),
        (
            "CLOUDINIT",
            "raw cloud-init metadata/userdata files are not in this file",
        ),
    ] {
        if let Some(s) = sec(section) {
            diags.push(at(
                s.line,
                Code::NotConverted,
                section,
                format!("[{section}]: {what}"),
            ));
        }
    }
    if !errs.is_empty() {
        errs.extend(diags.into_iter().filter(|d| d.severity != Severity::Info));
        return Parsed {
            vms: Vec::new(),
            diagnostics: errs,
        };
    }
    let vm = VirtualMachine::reconstructed(
        name,
        Some(net),
        Some(BootstrapSpec {
            linux_prep: Some(lp),
            ..BootstrapSpec::default()
        }),
    );
    Parsed {
        vms: vec![vm],
        diagnostics: diags,
    }
}

fn p_line(s: &Section, key: &str) -> u32 {
    s.get(key).map(|e| e.line).unwrap_or(s.line)
}

/// What cloud-init makes of a GATEWAY when no NIC is PRIMARY: a route to the NIC's own subnet.
fn subnet_route(c: &Cidr, via: &impl std::fmt::Display) -> RouteSpec {
    let net = Cidr {
        addr: c.network(),
        prefix: c.prefix,
    };
    RouteSpec {
        to: net.to_string(),
        via: via.to_string(),
        metric: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(String, crate::diagnostic::Severity)> {
        parse(text, "x")
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str().to_string(), d.severity))
            .collect()
    }

    const NICS: &str = "[NETWORK]\nNETWORKING = yes\nBOOTPROTO = dhcp\nHOSTNAME = web01\n\n[NIC-CONFIG]\nNICS = NIC1,NIC2\n\n[NIC1]\nMACADDR = 00:50:56:00:00:01\nONBOOT = yes\nBOOTPROTO = dhcp\nPRIMARY = yes\n\n[NIC2]\nMACADDR = 00:50:56:00:00:02\nONBOOT = yes\nBOOTPROTO = dhcp\n";

    #[test]
    fn consumer_disagreements_are_warnings_of_their_own_code() {
        use crate::diagnostic::Severity::Warning;
        let text = NICS.replace("HOSTNAME = web01", "HOSTNAME: web01");
        assert!(
            codes(&text).contains(&("GN222".into(), Warning)),
            "{:?}",
            codes(&text)
        );
        let text = NICS.replace("BOOTPROTO = dhcp\nPRIMARY", "BOOTPROTO = dhcpcd\nPRIMARY");
        assert!(
            codes(&text).contains(&("GN222".into(), Warning)),
            "{:?}",
            codes(&text)
        );
    }

    #[test]
    fn two_primary_nics_are_an_error_of_their_own_code() {
        use crate::diagnostic::Severity::Error;
        let text = format!("{NICS}PRIMARY = yes\n");
        assert!(
            codes(&text).contains(&("GN323".into(), Error)),
            "{:?}",
            codes(&text)
        );
    }

    #[test]
    fn keys_without_an_equivalent_are_notes() {
        use crate::diagnostic::Severity::Info;
        let text = format!("{NICS}MTU = 9000\n");
        assert!(
            codes(&text).contains(&("GN406".into(), Info)),
            "{:?}",
            codes(&text)
        );
    }
}
