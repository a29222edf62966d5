//! VMX -> VirtualMachine. The NICs are read with libvirt's rules (`virVMXParseEthernet`,
//! reference vsphere-api §4): `ethernetN.present`, `virtualDev` (+ `features` for vmxnet2),
//! `networkName`/`connectionType`/`vnet`/`dvs.*`, `addressType` with `address` or
//! `generatedAddress`, `checkMACAddress`. Keys are case-insensitive; values must be quoted;
//! `|XX` escapes (open-vm-tools) are decoded. `guestinfo.metadata` (any cloud-init encoding)
//! supplies addresses, gateways, DNS and routes through the netplan reader, matched by MAC;
//! `guestinfo.ovfEnv` supplies vApp properties.

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ip::{format_mac, parse_mac};
use crate::model::{
    BootstrapSpec, CloudInitSpec, InterfaceSpec, NetworkSpec, PartialObjectRef, VirtualMachine,
};
use crate::render::encode::decode_guestinfo;
use crate::validate::guest::is_vmx_key;
use std::collections::BTreeMap;

/// One `key = "value"` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmxEntry {
    pub key: String,
    pub value: String,
    pub line: u32,
}

/// A NIC as libvirt describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VmxNic {
    pub index: u32,
    /// libvirt's model name: `vlance`, `vmxnet`, `vmxnet2`, `vmxnet3`, `e1000`, `e1000e`;
    /// `None` when `virtualDev` is absent.
    pub model: Option<String>,
    pub network_name: Option<String>,
    pub connection_type: Option<String>,
    pub vnet: Option<String>,
    pub dvs_portgroup: Option<String>,
    /// `generated`, `static` or `vpx` (absent means generated).
    pub address_type: String,
    /// Lower-case MAC.
    pub mac: Option<String>,
    pub check_mac: Option<bool>,
}

use super::at;

/// open-vm-tools' `|XX` unescaping; a `|` not followed by two hex digits stays literal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'|'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The lexical layer. Fuzz entry point.
pub fn lex(text: &str) -> Result<Vec<VmxEntry>, Vec<Diagnostic>> {
    let mut out: Vec<VmxEntry> = Vec::new();
    let mut errs = Vec::new();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let l = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((k, rest)) = l.split_once('=') else {
            errs.push(at(
                line,
                Code::WrongType,
                "",
                format!("line {l:?} is not key = \"value\""),
            ));
            continue;
        };
        let k = k.trim();
        if !is_vmx_key(k) {
            errs.push(at(
                line,
                Code::WrongType,
                k,
                format!("{k:?} is not a VMX key"),
            ));
            continue;
        }
        let rest = rest.trim();
        let Some(body) = rest.strip_prefix('"') else {
            errs.push(at(
                line,
                Code::WrongType,
                k,
                format!("the value of {k} is not quoted (VMX values are strings)"),
            ));
            continue;
        };
        let Some(end) = body.find('"') else {
            errs.push(at(
                line,
                Code::WrongType,
                k,
                format!("the value of {k} has no closing quote"),
            ));
            continue;
        };
        let tail = body[end + 1..].trim();
        if !(tail.is_empty() || tail.starts_with('#')) {
            errs.push(at(
                line,
                Code::WrongType,
                k,
                format!("text after the value of {k}: {tail:?}"),
            ));
            continue;
        }
        let lower = k.to_ascii_lowercase();
        if let Some(prev) = seen.insert(lower, line) {
            errs.push(at(
                line,
                Code::DuplicateKey,
                k,
                format!("{k} is already set on line {prev}"),
            ));
            continue;
        }
        out.push(VmxEntry {
            key: k.to_string(),
            value: unescape(&body[..end]),
            line,
        });
    }
    if errs.is_empty() { Ok(out) } else { Err(errs) }
}

fn get<'a>(entries: &'a [VmxEntry], key: &str) -> Option<&'a VmxEntry> {
    entries.iter().find(|e| e.key.eq_ignore_ascii_case(key))
}

/// The NICs of a VMX, by libvirt's rules, in index order.
pub fn nics(entries: &[VmxEntry]) -> Result<Vec<VmxNic>, Diagnostic> {
    let mut idx: Vec<u32> = Vec::new();
    for e in entries {
        let lower = e.key.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("ethernet") {
            let Some((n, _)) = rest.split_once('.') else {
                continue;
            };
            let n: u32 = n.parse().map_err(|_| {
                at(
                    e.line,
                    Code::WrongType,
                    &e.key,
                    format!("failed to parse the index of the VMX key {:?}", e.key),
                )
            })?;
            if n > 9 {
                return Err(at(
                    e.line,
                    Code::TooManyInterfaces,
                    &e.key,
                    format!("Ethernet controller index {n} out of [0..9] range"),
                ));
            }
            if !idx.contains(&n) {
                idx.push(n);
            }
        }
    }
    idx.sort_unstable();
    let mut out = Vec::new();
    for n in idx {
        let g = |k: &str| get(entries, &format!("ethernet{n}.{k}"));
        let present = g("present").is_some_and(|e| e.value.eq_ignore_ascii_case("true"));
        if !present {
            continue;
        }
        let mut nic = VmxNic {
            index: n,
            ..VmxNic::default()
        };
        if let Some(d) = g("virtualDev") {
            let dev = d.value.to_ascii_lowercase();
            let model = match dev.as_str() {
                "vmxnet" if g("features").is_some_and(|f| f.value.trim() == "15") => "vmxnet2",
                "vlance" | "vmxnet" | "vmxnet3" | "e1000" | "e1000e" => dev.as_str(),
                _ => {
                    return Err(at(
                        d.line,
                        Code::WrongType,
                        &d.key,
                        format!(
                            "Expecting VMX entry '{}' to be 'vlance' or 'vmxnet' or 'vmxnet3' or 'e1000' or 'e1000e' but found '{}'",
                            d.key, d.value
                        ),
                    ));
                }
            };
            nic.model = Some(model.to_string());
        }
        nic.network_name = g("networkName").map(|e| e.value.clone());
        nic.connection_type = g("connectionType").map(|e| e.value.to_ascii_lowercase());
        nic.vnet = g("vnet").map(|e| e.value.clone());
        nic.dvs_portgroup = g("dvs.portgroupId").map(|e| e.value.clone());
        match nic.connection_type.as_deref() {
            None | Some("bridged" | "custom" | "nat") => {}
            Some(other) => {
                let e = g("connectionType").map(|e| e.line).unwrap_or(0);
                return Err(at(
                    e,
                    Code::WrongType,
                    &format!("ethernet{n}.connectionType"),
                    format!("connectionType {other:?} is not handled (bridged, custom, nat)"),
                ));
            }
        }
        let at_e = g("addressType");
        nic.address_type = at_e
            .map(|e| e.value.to_ascii_lowercase())
            .unwrap_or_else(|| "generated".into());
        let mac_key = match nic.address_type.as_str() {
            "generated" | "vpx" => "generatedAddress",
            "static" => "address",
            other => {
                return Err(at(
                    at_e.map(|e| e.line).unwrap_or(0),
                    Code::WrongType,
                    &format!("ethernet{n}.addressType"),
                    format!(
                        "Expecting VMX entry 'ethernet{n}.addressType' to be 'generated' or 'static' or 'vpx' but found '{other}'"
                    ),
                ));
            }
        };
        if let Some(m) = g(mac_key) {
            match parse_mac(&m.value) {
                Some(b) => nic.mac = Some(format_mac(&b)),
                None => {
                    return Err(at(
                        m.line,
                        Code::MacAddress,
                        &m.key,
                        format!("{:?} is not a MAC address", m.value),
                    ));
                }
            }
        }
        nic.check_mac = g("checkMACAddress").map(|e| e.value.eq_ignore_ascii_case("true"));
        out.push(nic);
    }
    Ok(out)
}

fn nic_type(model: &str) -> Option<&'static str> {
    match model {
        "vmxnet3" => Some("VMXNet3"),
        "e1000" => Some("E1000"),
        "e1000e" => Some("E1000e"),
        "vmxnet2" => Some("VMXNet2"),
        "vlance" => Some("PCNet32"),
        _ => None,
    }
}

pub fn parse(text: &str, name: &str) -> Parsed {
    let entries = match lex(text) {
        Ok(e) => e,
        Err(d) => {
            return Parsed {
                vms: Vec::new(),
                diagnostics: d,
            };
        }
    };
    let nics = match nics(&entries) {
        Ok(n) => n,
        Err(d) => {
            return Parsed::failed(d);
        }
    };
    let mut diags = Vec::new();
    let mut net = NetworkSpec::default();
    for nic in &nics {
        let mut f = InterfaceSpec {
            name: format!("eth{}", nic.index),
            mac_addr: nic.mac.clone(),
            ..InterfaceSpec::default()
        };
        if let Some(n) = nic
            .network_name
            .clone()
            .or_else(|| nic.dvs_portgroup.clone())
        {
            f.network = Some(PartialObjectRef {
                name: n,
                ..PartialObjectRef::default()
            });
        }
        match nic.model.as_deref() {
            None => {}
            Some(m) => match nic_type(m) {
                Some(t) => f.nic_type = Some(t.to_string()),
                None => diags.push(
                    Diagnostic::new(
                        Code::LossyTranslation,
                        format!("ethernet{}.virtualDev", nic.index),
                        format!("the {m} adapter has no VirtualMachine type"),
                    )
                    .with_severity(Severity::Warning),
                ),
            },
        }
        net.interfaces.push(f);
    }
    let mut bootstrap = BootstrapSpec::default();
    if let Some(md) = get(&entries, "guestinfo.metadata") {
        let enc = get(&entries, "guestinfo.metadata.encoding").map(|e| e.value.as_str());
        match decode_guestinfo(&md.value, enc).map(|b| String::from_utf8_lossy(&b).into_owned()) {
            Ok(doc) => merge_metadata(&doc, &mut net, &mut diags, md.line),
            Err(e) => diags.push(at(
                md.line,
                Code::WrongType,
                "guestinfo.metadata",
                format!("guestinfo.metadata cannot be decoded: {e}"),
            )),
        }
        bootstrap.cloud_init = Some(CloudInitSpec::default());
    }
    if let Some(ud) = get(&entries, "guestinfo.userdata") {
        diags.push(at(
            ud.line,
            Code::NotConverted,
            "guestinfo.userdata",
            "user-data is not converted back into cloudConfig".into(),
        ));
    }
    if let Some(ovf) = get(&entries, "guestinfo.ovfEnv") {
        let p = super::vapp::parse(&ovf.value, name);
        diags.extend(p.diagnostics.into_iter().map(|mut d| {
            if !d.has_span() {
                d.line = Some(ovf.line);
                d.column = Some(1);
            }
            d
        }));
        if let Some(vm) = p.vms.into_iter().next() {
            bootstrap.vapp_config = vm.spec.bootstrap.and_then(|b| b.vapp_config);
        }
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Parsed {
            vms: Vec::new(),
            diagnostics: diags,
        };
    }
    let vm = VirtualMachine::reconstructed(
        name,
        Some(net),
        (bootstrap != BootstrapSpec::default()).then_some(bootstrap),
    );
    Parsed {
        vms: vec![vm],
        diagnostics: diags,
    }
}

/// Fills interfaces from the cloud-init metadata's netplan document, matched by MAC (or by
/// position when the VMX has no MAC for a NIC).
fn merge_metadata(doc: &str, net: &mut NetworkSpec, diags: &mut Vec<Diagnostic>, line: u32) {
    let p = super::netplan::parse(doc, "x");
    for d in p.diagnostics {
        if d.severity == Severity::Error {
            diags.push(at(
                line,
                d.code,
                "guestinfo.metadata",
                format!("in guestinfo.metadata: {}", d.message),
            ));
        }
    }
    let Some(vm) = p.vms.into_iter().next() else {
        return;
    };
    let Some(n) = vm.spec.network else { return };
    net.vlans = n.vlans;
    for (i, src) in n.interfaces.into_iter().enumerate() {
        let slot = match &src.mac_addr {
            Some(m) => net
                .interfaces
                .iter()
                .position(|f| f.mac_addr.as_deref() == Some(m.as_str())),
            None => (i < net.interfaces.len()).then_some(i),
        };
        let Some(slot) = slot else {
            diags.push(at(
                line,
                Code::LossyTranslation,
                "guestinfo.metadata",
                format!(
                    "netplan interface {} matches no ethernetN device of this VMX",
                    src.name
                ),
            ));
            continue;
        };
        let Some(f) = net.interfaces.get_mut(slot) else {
            continue;
        };
        f.name = src.name;
        f.guest_device_name = src.guest_device_name;
        f.addresses = src.addresses;
        f.dhcp4 = src.dhcp4;
        f.dhcp6 = src.dhcp6;
        f.gateway4 = src.gateway4;
        f.gateway6 = src.gateway6;
        f.mtu = src.mtu;
        f.nameservers = src.nameservers;
        f.search_domains = src.search_domains;
        f.routes = src.routes;
    }
    if let Some(y) = crate::source::yaml::parse_documents(doc, &crate::source::Limits::default())
        .ok()
        .and_then(|d| d.into_iter().next())
        && let Some(h) = y
            .root
            .get("local-hostname")
            .and_then(crate::source::Node::as_str)
    {
        let (host, domain) = match h.split_once('.') {
            Some((a, b)) => (a.to_string(), Some(b.to_string())),
            None => (h.to_string(), None),
        };
        net.host_name = Some(host);
        net.domain_name = domain;
    }
}
