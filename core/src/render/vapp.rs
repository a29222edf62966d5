//! vApp properties: the OVF environment document the guest reads (`guestinfo.ovfEnv` or the
//! ISO's `ovf-env.xml`) and the `VmConfigSpec` edit list `ReconfigVM_Task` sends. Every
//! inline property value goes through vm-operator's templates (`{{ V1alpha6_FirstIP }}` …),
//! evaluated offline by [`super::gotemplate`] with the functions of every API version.
//! Where vm-operator silently keeps the raw string after a template error, guestnet does the
//! same and says so (GN160).

use super::encode::xml_escape;
use super::gotemplate::{self, Env, Failure, Func, Param, Val};
use super::{Artifact, Rendered};
use crate::diagnostic::{Code, Diagnostic};
use crate::ip::{parse_cidr, parse_ip};
use crate::model::VirtualMachine;
use crate::resolve::Resolved;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub const OVF_ENV_NS: &str = "http://schemas.dmtf.org/ovf/environment/1";
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub const VE_NS: &str = "http://www.vmware.com/schema/ovfenv";
pub const GUESTINFO_TRANSPORT: &str = "com.vmware.guestInfo";

/// One device as vm-operator's template data shows it (`NetworkDeviceStatus`).
#[derive(Debug, Clone, Default)]
struct Device {
    mac: String,
    gateway4: String,
    ip4: Vec<String>,
    gateway6: String,
    ip6: Vec<String>,
}

fn devices(r: &Resolved) -> Vec<Device> {
    r.interfaces
        .iter()
        .map(|f| Device {
            mac: f
                .mac
                .as_ref()
                .map(|m| m.value.replace(':', "-"))
                .unwrap_or_default(),
            gateway4: f
                .gateway4
                .as_ref()
                .filter(|_| f.ipv4().next().is_some())
                .map(|g| g.value.to_string())
                .unwrap_or_default(),
            ip4: f.ipv4().map(|c| c.to_string()).collect(),
            gateway6: f
                .gateway6
                .as_ref()
                .filter(|_| f.ipv6().next().is_some())
                .map(|g| g.value.to_string())
                .unwrap_or_default(),
            ip6: f.ipv6().map(|c| c.to_string()).collect(),
        })
        .collect()
}

/// Go's `IP.String()`: IPv4-mapped IPv6 prints as IPv4.
fn go_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Go's `IP.To4()` bytes, or the 16 IPv6 bytes.
fn go_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.octets().to_vec(),
            None => v6.octets().to_vec(),
        },
    }
}

fn mask_bytes(prefix: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let bits = usize::from(prefix).saturating_sub(i * 8).min(8);
            if bits == 0 { 0 } else { 0xffu8 << (8 - bits) }
        })
        .collect()
}

fn cidr_mask(cidr: &str) -> Result<(IpAddr, Vec<u8>, u8), String> {
    let c = parse_cidr(cidr)?;
    let len = if c.is_ipv4() { 4 } else { 16 };
    Ok((c.addr, mask_bytes(c.prefix, len), c.prefix))
}

fn go_is_usable(s: &str) -> bool {
    let ip = match parse_cidr(s) {
        Ok(c) => c.addr,
        Err(_) => match parse_ip(s) {
            Some(ip) => ip,
            None => return false,
        },
    };
    let b = go_bytes(ip);
    let unspecified = b.iter().all(|x| *x == 0);
    let (loopback, ll_unicast, ll_multicast) = if b.len() == 4 {
        (
            b[0] == 127,
            b[0] == 169 && b[1] == 254,
            b[0] == 224 && b[1] == 0 && b[2] == 0,
        )
    } else {
        (
            b[..15].iter().all(|x| *x == 0) && b[15] == 1,
            b[0] == 0xfe && (b[1] & 0xc0) == 0x80,
            b[0] == 0xff && (b[1] & 0x0f) == 0x02,
        )
    };
    !(unspecified || loopback || ll_unicast || ll_multicast)
}

fn format_ip(s: &str, mask: &str) -> Result<String, String> {
    let ip = match parse_cidr(s) {
        Ok(c) => c.addr,
        Err(_) => parse_ip(s).ok_or_else(|| "input IP address not valid".to_string())?,
    };
    let ips = go_ip(ip);
    if mask.is_empty() {
        return Ok(ips);
    }
    if mask.starts_with('/') {
        let out = format!("{ips}{mask}");
        parse_cidr(&out)?;
        return Ok(out);
    }
    let m = parse_ip(mask).ok_or_else(|| "mask is an invalid IP".to_string())?;
    let mut mb = go_bytes(m);
    let ib = go_bytes(ip);
    if ib.len() == 4 && mb.len() == 16 {
        mb = mb[12..].to_vec();
    }
    if ib.len() == 16 && mb.len() == 4 {
        return Err("invalid ip net: <nil>".into());
    }
    // simpleMaskLength: contiguous ones, else the mask prints in hex and ParseCIDR fails.
    let mut ones = 0u32;
    let mut seen_zero = false;
    let mut contiguous = true;
    for byte in &mb {
        for bit in (0..8).rev() {
            if byte & (1 << bit) != 0 {
                if seen_zero {
                    contiguous = false;
                }
                ones += 1;
            } else {
                seen_zero = true;
            }
        }
    }
    if !contiguous {
        let hex: String = mb.iter().map(|b| format!("{b:02x}")).collect();
        return Err(format!("invalid ip net: {ips}/{hex}"));
    }
    Ok(format!("{ips}/{ones}"))
}

fn classful_prefix(ip: IpAddr) -> Option<u8> {
    let b = go_bytes(ip);
    (b.len() == 4).then(|| match b[0] {
        0..0x80 => 8,
        0x80..0xc0 => 16,
        _ => 24,
    })
}

fn str_arg(a: &[Val], i: usize) -> String {
    match a.get(i) {
        Some(Val::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

fn int_arg(a: &[Val], i: usize) -> i64 {
    match a.get(i) {
        Some(Val::Int(n)) => *n,
        _ => 0,
    }
}

const NO_DEVICE: &str = "no available network device, check with VI admin";

fn out_of_range(i: i64, len: usize) -> String {
    format!("runtime error: index out of range [{i}] with length {len}")
}

fn nth(devs: &[Device], i: i64) -> Result<&Device, String> {
    if devs.is_empty() {
        return Err(NO_DEVICE.into());
    }
    if i >= 0 && (i as u64) >= devs.len() as u64 {
        return Err("index out of bound".into());
    }
    usize::try_from(i)
        .ok()
        .and_then(|u| devs.get(u))
        .ok_or_else(|| out_of_range(i, devs.len()))
}

fn first_ip_legacy(d: &Device) -> Result<Val, String> {
    d.ip4
        .first()
        .map(|s| Val::Str(s.clone()))
        .ok_or_else(|| out_of_range(0, 0))
}

fn first_ip_v6(d: &Device) -> Result<Val, String> {
    if let Some(a) = d.ip4.first() {
        return Ok(Val::Str(a.clone()));
    }
    if let Some(a) = d.ip6.iter().find(|a| go_is_usable(a)) {
        return Ok(Val::Str(a.clone()));
    }
    d.ip6
        .first()
        .map(|a| Val::Str(a.clone()))
        .ok_or_else(|| NO_DEVICE.to_string())
}

/// The template functions of vm-operator for every API version (`V1alpha1_` … `V1alpha6_`).
fn functions<'a>(
    devs: &'a [Device],
    ns: &'a [String],
) -> BTreeMap<&'static str, (Vec<Param>, Func<'a>)> {
    let mut m: BTreeMap<&'static str, (Vec<Param>, Func<'a>)> = BTreeMap::new();
    const NAMES: [[&str; 14]; 6] = names_table();
    for (vi, n) in NAMES.iter().enumerate() {
        let v6 = vi == 5;
        m.insert(
            n[0],
            (
                vec![],
                Box::new(move |_: &[Val]| {
                    let d = devs.first().ok_or_else(|| NO_DEVICE.to_string())?;
                    if v6 {
                        first_ip_v6(d)
                    } else {
                        first_ip_legacy(d)
                    }
                }),
            ),
        );
        m.insert(
            n[1],
            (
                vec![],
                Box::new(move |_: &[Val]| {
                    devs.first()
                        .map(|d| Val::Str(d.mac.clone()))
                        .ok_or_else(|| NO_DEVICE.to_string())
                }),
            ),
        );
        m.insert(
            n[2],
            (
                vec![Param::Int],
                Box::new(move |a: &[Val]| {
                    let d = nth(devs, int_arg(a, 0))?;
                    if v6 {
                        first_ip_v6(d)
                    } else {
                        first_ip_legacy(d)
                    }
                }),
            ),
        );
        m.insert(
            n[3],
            (
                vec![Param::Int],
                Box::new(move |a: &[Val]| {
                    let d = nth(devs, int_arg(a, 0))?;
                    Ok(Val::Strs(if v6 && d.ip4.is_empty() {
                        d.ip6.clone()
                    } else {
                        d.ip4.clone()
                    }))
                }),
            ),
        );
        m.insert(
            n[4],
            (
                vec![Param::Int, Param::Str],
                Box::new(move |a: &[Val]| {
                    if ns.is_empty() {
                        return Err("no available nameservers, check with VI admin".into());
                    }
                    let count = int_arg(a, 0);
                    let delim = str_arg(a, 1);
                    let take = usize::try_from(count)
                        .ok()
                        .filter(|c| *c < ns.len())
                        .unwrap_or(ns.len());
                    Ok(Val::Str(ns[..take].join(&delim)))
                }),
            ),
        );
        m.insert(
            n[5],
            (
                vec![Param::Str],
                Box::new(move |a: &[Val]| {
                    let cidr = str_arg(a, 0);
                    let (ip, mask, _) = cidr_mask(&cidr)?;
                    if v6 && go_bytes(ip).len() != 4 {
                        return Err(format!(
                            "SubnetMask only supports IPv4 CIDRs, use PrefixLength for IPv6: {cidr}"
                        ));
                    }
                    Ok(Val::Str(
                        mask.iter()
                            .take(4)
                            .map(|b| b.to_string())
                            .collect::<Vec<_>>()
                            .join("."),
                    ))
                }),
            ),
        );
        m.insert(
            n[6],
            (
                vec![Param::Str],
                Box::new(move |a: &[Val]| {
                    let addr = str_arg(a, 0);
                    let ip =
                        parse_ip(&addr).ok_or_else(|| "input IP address not valid".to_string())?;
                    match classful_prefix(ip) {
                        Some(p) => Ok(Val::Str(format!("{addr}/{p}"))),
                        None if v6 => Err(format!(
                            "IP only supports IPv4 addresses, IPv6 has no default netmask: {addr}"
                        )),
                        None => Ok(Val::Str(format!("{addr}/0"))),
                    }
                }),
            ),
        );
        m.insert(
            n[7],
            (
                vec![Param::Str, Param::Str],
                Box::new(move |a: &[Val]| format_ip(&str_arg(a, 0), &str_arg(a, 1)).map(Val::Str)),
            ),
        );
        if v6 {
            m.insert(
                n[8],
                (
                    vec![],
                    Box::new(move |_: &[Val]| {
                        let d = devs.first().ok_or_else(|| NO_DEVICE.to_string())?;
                        d.ip4.first().map(|s| Val::Str(s.clone())).ok_or_else(|| {
                            "no available IPv4 address, check with VI admin".to_string()
                        })
                    }),
                ),
            );
            m.insert(
                n[9],
                (
                    vec![],
                    Box::new(move |_: &[Val]| {
                        let d = devs.first().ok_or_else(|| NO_DEVICE.to_string())?;
                        d.ip6.first().map(|s| Val::Str(s.clone())).ok_or_else(|| {
                            "no available IPv6 address, check with VI admin".to_string()
                        })
                    }),
                ),
            );
            m.insert(
                n[10],
                (
                    vec![Param::Int],
                    Box::new(move |a: &[Val]| {
                        let d = nth(devs, int_arg(a, 0))?;
                        d.ip4.first().map(|s| Val::Str(s.clone())).ok_or_else(|| {
                            "no available IPv4 address, check with VI admin".to_string()
                        })
                    }),
                ),
            );
            m.insert(
                n[11],
                (
                    vec![Param::Int],
                    Box::new(move |a: &[Val]| {
                        let d = nth(devs, int_arg(a, 0))?;
                        d.ip6.first().map(|s| Val::Str(s.clone())).ok_or_else(|| {
                            "no available IPv6 address, check with VI admin".to_string()
                        })
                    }),
                ),
            );
            m.insert(
                n[12],
                (
                    vec![Param::Str],
                    Box::new(move |a: &[Val]| Ok(Val::Bool(go_is_usable(&str_arg(a, 0))))),
                ),
            );
            m.insert(
                n[13],
                (
                    vec![Param::Str],
                    Box::new(move |a: &[Val]| {
                        let (_, _, p) = cidr_mask(&str_arg(a, 0))?;
                        Ok(Val::Int(i64::from(p)))
                    }),
                ),
            );
        }
    }
    m
}

macro_rules! vnames {
    ($v:literal) => {
        [
            concat!($v, "_FirstIP"),
            concat!($v, "_FirstNicMacAddr"),
            concat!($v, "_FirstIPFromNIC"),
            concat!($v, "_IPsFromNIC"),
            concat!($v, "_FormatNameservers"),
            concat!($v, "_SubnetMask"),
            concat!($v, "_IP"),
            concat!($v, "_FormatIP"),
            concat!($v, "_FirstIPv4"),
            concat!($v, "_FirstIPv6"),
            concat!($v, "_FirstIPv4FromNIC"),
            concat!($v, "_FirstIPv6FromNIC"),
            concat!($v, "_IsUsableIP"),
            concat!($v, "_PrefixLength"),
        ]
    };
}

const fn names_table() -> [[&'static str; 14]; 6] {
    [
        vnames!("V1alpha1"),
        vnames!("V1alpha2"),
        vnames!("V1alpha3"),
        vnames!("V1alpha4"),
        vnames!("V1alpha5"),
        vnames!("V1alpha6"),
    ]
}

fn strs(v: &[String]) -> Val {
    Val::Strs(v.to_vec())
}

fn data(vm: &VirtualMachine, devs: &[Device], ns: &[String]) -> Val {
    let net = vm.network();
    let s = |o: Option<&String>| Val::Str(o.cloned().unwrap_or_default());
    let vm_val = Val::Struct(
        "VirtualMachine",
        false,
        vec![
            ("Name", Val::Str(vm.name().to_string())),
            ("Namespace", s(vm.metadata.namespace.as_ref())),
            ("Labels", Val::Map(vm.metadata.labels.clone())),
            ("Annotations", Val::Map(vm.metadata.annotations.clone())),
            (
                "Spec",
                Val::Struct(
                    "VirtualMachineSpec",
                    false,
                    vec![
                        ("ClassName", s(vm.spec.class_name.as_ref())),
                        ("ImageName", s(vm.spec.image_name.as_ref())),
                        ("GuestID", s(vm.spec.guest_id.as_ref())),
                        ("BiosUUID", s(vm.spec.bios_uuid.as_ref())),
                        (
                            "Network",
                            Val::Struct(
                                "VirtualMachineNetworkSpec",
                                false,
                                vec![
                                    ("HostName", s(net.and_then(|n| n.host_name.as_ref()))),
                                    ("DomainName", s(net.and_then(|n| n.domain_name.as_ref()))),
                                    (
                                        "Nameservers",
                                        strs(net.map(|n| n.nameservers.as_slice()).unwrap_or(&[])),
                                    ),
                                    (
                                        "SearchDomains",
                                        strs(
                                            net.map(|n| n.search_domains.as_slice()).unwrap_or(&[]),
                                        ),
                                    ),
                                ],
                            ),
                        ),
                    ],
                ),
            ),
        ],
    );
    let mut root = Vec::new();
    for (vi, name) in [
        "V1alpha1", "V1alpha2", "V1alpha3", "V1alpha4", "V1alpha5", "V1alpha6",
    ]
    .into_iter()
    .enumerate()
    {
        let v6 = vi == 5;
        let list = devs
            .iter()
            .map(|d| {
                let mut f = vec![
                    ("MacAddress", Val::Str(d.mac.clone())),
                    ("IPAddresses", strs(&d.ip4)),
                    ("Gateway4", Val::Str(d.gateway4.clone())),
                ];
                if v6 {
                    f.push(("Gateway6", Val::Str(d.gateway6.clone())));
                    f.push(("IPv6Addresses", strs(&d.ip6)));
                }
                Val::Struct("NetworkDeviceStatus", true, f)
            })
            .collect();
        let net = Val::Struct(
            "NetworkStatus",
            true,
            vec![("Devices", Val::List(list)), ("Nameservers", strs(ns))],
        );
        root.push((
            name,
            Val::Struct(
                "VirtualMachineTemplate",
                true,
                vec![("Net", net), ("VM", vm_val.clone())],
            ),
        ));
    }
    Val::Struct("templateData", true, root)
}

/// vm-operator's `normalizeStr`: `\{` and `\}` become braces after rendering.
fn normalize(s: &str) -> String {
    s.replace("\\{", "{").replace("\\}", "}")
}

/// What vm-operator would set a property to, with a diagnostic when the template fails.
pub fn evaluate(value: &str, env: &Env<'_>, path: &str) -> (String, Option<Diagnostic>) {
    match gotemplate::execute(value, env) {
        Ok(v) => (normalize(&v), None),
        Err(Failure::Exec(e)) => (
            normalize(value),
            Some(
                Diagnostic::new(
                    Code::VAppTemplate,
                    path,
                    format!("template fails in vm-operator ({e}); the property keeps its raw text"),
                )
                .with_help("vm-operator logs the error and sets the unrendered string; fix the template or the network it reads"),
            ),
        ),
        Err(Failure::Unsupported(e)) => (
            normalize(value),
            Some(Diagnostic::new(
                Code::VAppTemplateUnsupported,
                path,
                format!("guestnet cannot evaluate {e} offline; the raw text is shown"),
            )),
        ),
    }
}

/// The properties vm-operator would set, in spec order: `(id, value)`.
pub fn properties(
    vm: &VirtualMachine,
    r: &Resolved,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let Some(cfg) = vm.bootstrap().and_then(|b| b.vapp_config.as_ref()) else {
        return Vec::new();
    };
    if cfg.raw_properties.is_some() {
        diags.push(Diagnostic::new(
            Code::Placeholder,
            "spec.bootstrap.vAppConfig.rawProperties",
            "the properties come from a Secret and cannot be rendered offline",
        ));
    }
    let devs = devices(r);
    let env = Env {
        data: data(vm, &devs, &r.nameservers.value),
        funcs: functions(&devs, &r.nameservers.value),
    };
    let mut out = Vec::new();
    for (i, p) in cfg.properties.iter().enumerate() {
        let path = format!("spec.bootstrap.vAppConfig.properties[{i}]");
        if p.key.is_empty() {
            continue;
        }
        let Some(v) = &p.value else { continue };
        let Some(raw) = &v.value else {
            if v.from.is_some() {
                diags.push(Diagnostic::new(
                    Code::Placeholder,
                    format!("{path}.value.from"),
                    format!(
                        "property {} comes from a Secret and is left out of this preview",
                        p.key
                    ),
                ));
            }
            continue;
        };
        let (val, d) = evaluate(raw, &env, &format!("{path}.value.value"));
        diags.extend(d);
        if (raw.contains("MacAddr") || raw.contains("MacAddress"))
            && r.interfaces.iter().any(|f| f.mac.is_none())
        {
            diags.push(
                Diagnostic::new(
                    Code::NicIdentity,
                    format!("{path}.value.value"),
                    "the template reads a NIC's MAC, which guestnet does not know offline (it renders empty)",
                )
                .with_help("set macAddr or use --mac-policy derive"),
            );
        }
        out.push((p.key.clone(), val));
    }
    out
}

/// The OVF environment document (`ovf-env.xml`).
pub fn ovf_env(r: &Resolved, props: &[(String, String)]) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<Environment\n     xmlns=\"{OVF_ENV_NS}\"\n     xmlns:xsi=\"{XSI_NS}\"\n     xmlns:oe=\"{OVF_ENV_NS}\"\n     xmlns:ve=\"{VE_NS}\"\n     oe:id=\"\">\n"
    ));
    s.push_str("   <PlatformSection>\n      <Kind>VMware ESXi</Kind>\n      <Vendor>VMware, Inc.</Vendor>\n      <Locale>en</Locale>\n   </PlatformSection>\n");
    if props.is_empty() {
        s.push_str("   <PropertySection/>\n");
    } else {
        s.push_str("   <PropertySection>\n");
        for (k, v) in props {
            s.push_str(&format!(
                "         <Property oe:key=\"{}\" oe:value=\"{}\"/>\n",
                xml_escape(k),
                xml_escape(v)
            ));
        }
        s.push_str("   </PropertySection>\n");
    }
    let adapters: Vec<String> = r
        .interfaces
        .iter()
        .filter_map(|f| {
            let mac = f.mac.as_ref()?;
            Some(format!(
                "      <ve:Adapter ve:mac=\"{}\" ve:network=\"{}\"/>\n",
                xml_escape(&mac.value),
                xml_escape(f.network.as_deref().unwrap_or(""))
            ))
        })
        .collect();
    if !adapters.is_empty() {
        s.push_str("   <ve:EthernetAdapterSection>\n");
        for a in adapters {
            s.push_str(&a);
        }
        s.push_str("   </ve:EthernetAdapterSection>\n");
    }
    s.push_str("</Environment>\n");
    s
}

/// `VirtualMachineConfigSpec.vAppConfig` for `ReconfigVM_Task`: one `edit` per property, in
/// WSDL element order. Keys are positions: the submitter replaces them with the keys of the
/// VM's existing properties (matched by id), since vm-operator edits only those.
pub fn property_spec(props: &[(String, String)]) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "<vAppConfig xmlns=\"urn:vim25\" xmlns:xsi=\"{XSI_NS}\" xsi:type=\"VmConfigSpec\">\n"
    ));
    for (i, (k, v)) in props.iter().enumerate() {
        s.push_str("  <property>\n    <operation>edit</operation>\n    <info>\n");
        s.push_str(&format!("      <key>{i}</key>\n"));
        s.push_str(&format!("      <id>{}</id>\n", xml_escape(k)));
        s.push_str(&format!("      <value>{}</value>\n", xml_escape(v)));
        s.push_str("    </info>\n  </property>\n");
    }
    s.push_str(&format!(
        "  <ovfEnvironmentTransport>{GUESTINFO_TRANSPORT}</ovfEnvironmentTransport>\n</vAppConfig>\n"
    ));
    s
}

pub fn render(vm: &VirtualMachine, r: &Resolved) -> Rendered {
    let mut diagnostics = Vec::new();
    let props = properties(vm, r, &mut diagnostics);
    if !props.is_empty() {
        diagnostics.push(
            Diagnostic::new(
                Code::ConsumerNote,
                "spec.bootstrap.vAppConfig.properties",
                "vapp-config.xml numbers property keys by position: vm-operator edits only properties the OVF already defines, under their existing keys",
            )
            ,
        );
    }
    Rendered {
        artifacts: vec![
            Artifact {
                name: "ovf-env.xml".into(),
                content: ovf_env(r, &props),
            },
            Artifact {
                name: "vapp-config.xml".into(),
                content: property_spec(&props),
            },
        ],
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CompileOptions, compile_str};

    /// vm-operator's `bootstrap_templatedata_test.go` fixture.
    const VM: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: dummy-vm, namespace: ns}\nspec:\n  bootstrap:\n    linuxPrep: {}\n    vAppConfig:\n      properties: [{key: a, value: {value: x}}]\n  network:\n    nameservers: [8.8.8.8, 1.1.1.1]\n    interfaces:\n    - {name: eth0, macAddr: \"8a:cb:a0:1d:8d:c4\", addresses: [192.168.1.37/24], gateway4: 192.168.1.1}\n    - {name: eth1, macAddr: \"00:cb:30:42:05:89\", addresses: [192.168.10.48/24], gateway4: 192.168.10.1}\n";

    fn eval_all(vm_yaml: &str, cases: &[(&str, &str)]) {
        let c = compile_str(vm_yaml, &[], &CompileOptions::default());
        let u = &c.units[0];
        let (vm, r) = (u.vm.as_ref().unwrap(), u.resolved.as_ref().unwrap());
        let devs = devices(r);
        let env = Env {
            data: data(vm, &devs, &r.nameservers.value),
            funcs: functions(&devs, &r.nameservers.value),
        };
        for (tmpl, want) in cases {
            let (got, d) = evaluate(tmpl, &env, "p");
            assert_eq!(&got, want, "{tmpl}: {d:?}");
        }
    }

    #[test]
    fn vm_operator_template_table() {
        let mut cases: Vec<(String, &str)> = Vec::new();
        for v in 1..=6 {
            let p = format!("V1alpha{v}");
            cases.extend([
                (format!("{{{{ {p}_FirstIP }}}}"), "192.168.1.37/24"),
                (
                    format!("{{{{ {p}_FirstIPFromNIC 1 }}}}"),
                    "192.168.10.48/24",
                ),
                (
                    format!("{{{{ ({p}_IP \"192.168.1.37\") }}}}"),
                    "192.168.1.37/24",
                ),
                (
                    format!("{{{{ ({p}_FormatIP \"192.168.1.37/28\" \"255.255.255.0\") }}}}"),
                    "192.168.1.37/24",
                ),
                (
                    format!("{{{{ {p}_FormatIP {p}_FirstIP \"\" }}}}"),
                    "192.168.1.37",
                ),
                (format!("{{{{ {p}_IPsFromNIC 0 }}}}"), "[192.168.1.37/24]"),
                (
                    format!("{{{{ {p}_SubnetMask \"192.168.1.37/26\" }}}}"),
                    "255.255.255.192",
                ),
                (format!("{{{{ {p}_FormatNameservers 1 \"-\"}}}}"), "8.8.8.8"),
                (
                    format!("{{{{ {p}_FormatNameservers -1 \"-\"}}}}"),
                    "8.8.8.8-1.1.1.1",
                ),
                (
                    format!("{{{{ {p}_FirstNicMacAddr }}}}"),
                    "8a-cb-a0-1d-8d-c4",
                ),
                (
                    format!("{{{{ (index .{p}.Net.Devices 0).Gateway4 }}}}"),
                    "192.168.1.1",
                ),
                (
                    format!("{{{{ (index .{p}.Net.Nameservers 0) }}}}"),
                    "8.8.8.8",
                ),
                (format!("{{{{ .{p}.VM.Name }}}}"), "dummy-vm"),
                (format!("{{{{ {p}_FirstIPFromNIC 2 }}}}"), ""),
            ]);
        }
        cases.extend([
            ("{{ V1alpha6_PrefixLength \"2001:db8::/64\" }}".to_string(), "64"),
            ("{{ V1alpha6_FormatIP \"192.168.1.37\" (printf \"/%d\" (V1alpha6_PrefixLength \"10.0.0.0/26\")) }}".to_string(), "192.168.1.37/26"),
            ("{{ V1alpha6_IsUsableIP \"fe80::1\" }}".to_string(), "false"),
            ("{{ V1alpha6_IsUsableIP \"192.168.1.10\" }}".to_string(), "true"),
            ("{{ V1alpha6_FirstIPv4FromNIC 0 }}".to_string(), "192.168.1.37/24"),
            // Not a v1alpha5 function: vm-operator fails to parse and keeps the raw text.
            ("{{ V1alpha5_PrefixLength \"10.0.0.0/8\" }}".to_string(), "{{ V1alpha5_PrefixLength \"10.0.0.0/8\" }}"),
            ("\\{\\{ literal \\}\\}".to_string(), "{{ literal }}"),
        ]);
        // Out-of-bound index keeps the raw template (Go error path).
        let cases: Vec<(String, String)> = cases
            .into_iter()
            .map(|(t, w)| {
                let w = if w.is_empty() {
                    t.clone()
                } else {
                    w.to_string()
                };
                (t, w)
            })
            .collect();
        let refs: Vec<(&str, &str)> = cases
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        eval_all(VM, &refs);
    }

    #[test]
    fn ipv6_only_first_ipv4_stays_raw_and_v6_falls_back() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: v6}\nspec:\n  bootstrap: {linuxPrep: {}, vAppConfig: {properties: [{key: a, value: {value: x}}]}}\n  network:\n    interfaces:\n    - {name: eth0, addresses: [\"fe80::5/64\", \"2001:db8::5/64\"], gateway6: \"2001:db8::1\"}\n";
        eval_all(
            y,
            &[
                ("{{ V1alpha6_FirstIPv4 }}", "{{ V1alpha6_FirstIPv4 }}"),
                ("{{ V1alpha6_FirstIP }}", "2001:db8::5/64"),
                ("{{ V1alpha6_FirstIPv6 }}", "fe80::5/64"),
                (
                    "{{ (index .V1alpha6.Net.Devices 0).Gateway6 }}",
                    "2001:db8::1",
                ),
                ("{{ V1alpha6_IPsFromNIC 0 }}", "[fe80::5/64 2001:db8::5/64]"),
                ("{{ V1alpha5_FirstIP }}", "{{ V1alpha5_FirstIP }}"),
                ("{{ V1alpha5_IP \"2001:db8::1\" }}", "2001:db8::1/0"),
                (
                    "{{ V1alpha6_IP \"2001:db8::1\" }}",
                    "{{ V1alpha6_IP \"2001:db8::1\" }}",
                ),
                (
                    "{{ V1alpha5_SubnetMask \"2001:db8::/64\" }}",
                    "255.255.255.255",
                ),
                (
                    "{{ (index .V1alpha5.Net.Devices 0).Gateway6 }}",
                    "{{ (index .V1alpha5.Net.Devices 0).Gateway6 }}",
                ),
            ],
        );
    }
}
