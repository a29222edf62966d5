//! GOSC XML -> VirtualMachine: a bare vim25 `CustomizationSpec` or a SOAP request carrying
//! one (`CustomizeVM_Task`, `CustomizeGuest_Task`, `Create/OverwriteCustomizationSpec`),
//! under any namespace prefix. Everything the spec says that a VirtualMachine cannot is a
//! lossy-translation warning at its element, never dropped silently. `${secret:NAME/KEY}`
//! placeholders (what the gosc target writes for Secret references) become selectors again;
//! literal secrets are reported but never copied or printed.

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ip::{parse_ip, parse_mac};
use crate::model::{
    BootstrapSpec, CloudConfig, CloudInitSpec, GuiRunOnce, GuiUnattended, Identification,
    InterfaceSpec, LicenseFilePrintData, LinuxPrepSpec, NetworkSpec, ObjectMeta, SecretKeySelector,
    Sysprep, SysprepSpec, SysprepUserData, ValueOrSecret, VirtualMachine, VirtualMachineSpec,
};
use crate::render::gosc::{CLOUDINIT_TYPE_ANNOTATION, parse_secret_placeholder};
use crate::source::{Limits, de, yaml};
use crate::vim25::customization::{
    CustomizationSpec, Decoded, Identity, IpGenerator, Ipv6Generator, Name, Options, Password,
    from_xml,
};
use crate::vim25::xml::line_col;
use std::net::{IpAddr, Ipv4Addr};

struct Ctx<'a> {
    text: &'a str,
    decoded: &'a Decoded,
    diags: Vec<Diagnostic>,
    /// The path prefix of the spec element (`spec` or `item.spec`).
    root: String,
}

impl Ctx<'_> {
    fn push(&mut self, code: Code, sev: Severity, at: &str, msg: String) {
        let full = format!("{}{at}", self.root);
        let mut d = Diagnostic::new(code, full.clone(), msg).with_severity(sev);
        // The element itself, or its nearest decoded ancestor.
        let mut p = full.as_str();
        let offset = loop {
            if let Some(o) = self.decoded.positions.get(p) {
                break Some(*o);
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = &p[..i],
                None => break None,
            }
        };
        if let Some(o) = offset {
            let (line, column) = line_col(self.text, o);
            d.line = Some(line);
            d.column = Some(column);
            d.end_line = Some(line);
            d.end_column = Some(column);
            d.byte_range = Some((o, o));
        }
        self.diags.push(d);
    }

    fn lossy(&mut self, at: &str, msg: String) {
        self.push(Code::LossyTranslation, Severity::Warning, at, msg);
    }

    fn error(&mut self, code: Code, at: &str, msg: String) {
        self.push(code, Severity::Error, at, msg);
    }

    /// A secret-bearing string: a placeholder becomes its selector; a literal is reported.
    fn secret(&mut self, at: &str, v: &str, what: &str) -> Option<SecretKeySelector> {
        if v.is_empty() {
            return None;
        }
        if let Some(sel) = parse_secret_placeholder(v) {
            return Some(sel);
        }
        self.lossy(
            at,
            format!(
                "{what} holds a literal secret; a VirtualMachine refers to Secrets only, so it is left out (the value is not printed)"
            ),
        );
        None
    }

    fn password(
        &mut self,
        at: &str,
        p: &Option<Password>,
        what: &str,
    ) -> Option<SecretKeySelector> {
        let p = p.as_ref()?;
        if !p.plain_text {
            self.lossy(
                at,
                format!("{what} is encrypted (plainText false) and cannot be carried"),
            );
            return None;
        }
        self.secret(&format!("{at}.value"), &p.value, what)
    }

    fn host_name(&mut self, at: &str, n: &Name) -> Option<String> {
        match n {
            Name::Fixed(h) if !h.is_empty() => Some(h.clone()),
            Name::Fixed(_) => None,
            other => {
                let kind = match other {
                    Name::VirtualMachine => "CustomizationVirtualMachineName",
                    Name::Prefix(_) => "CustomizationPrefixName",
                    Name::Custom(_) => "CustomizationCustomName",
                    _ => "CustomizationUnknownName",
                };
                self.lossy(
                    at,
                    format!("{kind} has no VirtualMachine equivalent; the host name defaults to metadata.name"),
                );
                None
            }
        }
    }

    fn value_or_secret(v: &Option<String>) -> Option<ValueOrSecret> {
        let v = v.as_ref()?;
        Some(match parse_secret_placeholder(v) {
            Some(sel) => ValueOrSecret {
                value: None,
                from: Some(sel),
            },
            None => ValueOrSecret {
                value: Some(v.clone()),
                from: None,
            },
        })
    }
}

fn mask_prefix(mask: &str) -> Option<u8> {
    let m: Ipv4Addr = mask.trim().parse().ok()?;
    let bits = u32::from(m);
    let ones = bits.leading_ones();
    (bits.checked_shl(ones).unwrap_or(0) == 0).then(|| u8::try_from(ones).unwrap_or(32))
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.clone().filter(|s| !s.is_empty())
}

fn interfaces(cx: &mut Ctx<'_>, spec: &CustomizationSpec, linux: bool) -> Vec<InterfaceSpec> {
    let mut out = Vec::new();
    for (i, m) in spec.nic_setting_map.iter().enumerate() {
        let p = format!(".nicSettingMap[{i}]");
        let ap = format!("{p}.adapter");
        let a = &m.adapter;
        let mut f = InterfaceSpec {
            name: format!("eth{i}"),
            ..InterfaceSpec::default()
        };
        if let Some(mac) = &m.mac_address {
            match parse_mac(mac) {
                Some(_) => f.mac_addr = Some(mac.to_ascii_lowercase()),
                None => cx.error(
                    Code::WrongType,
                    &format!("{p}.macAddress"),
                    format!("{mac:?} is not a MAC address"),
                ),
            }
        }
        match &a.ip {
            IpGenerator::Fixed(ip) => match (parse_ip(ip.trim()), &a.subnet_mask) {
                (Some(IpAddr::V4(v4)), Some(mask)) => match mask_prefix(mask) {
                    Some(pl) => f.addresses.push(format!("{v4}/{pl}")),
                    None => cx.error(
                        Code::WrongType,
                        &format!("{ap}.subnetMask"),
                        format!("{mask:?} is not a contiguous dotted IPv4 subnet mask"),
                    ),
                },
                (Some(IpAddr::V4(_)), None) => cx.error(
                    Code::MissingField,
                    &format!("{ap}.subnetMask"),
                    "a CustomizationFixedIp needs subnetMask to give the address a prefix".into(),
                ),
                _ => cx.error(
                    Code::WrongType,
                    &format!("{ap}.ip.ipAddress"),
                    format!("{ip:?} is not an IPv4 address"),
                ),
            },
            IpGenerator::Dhcp => f.dhcp4 = Some(true),
            IpGenerator::DisableIpV4 => {}
            IpGenerator::Unknown | IpGenerator::Custom(_) => cx.lossy(
                &format!("{ap}.ip"),
                "an IP generator that asks the user or a script has no VirtualMachine equivalent; the interface gets no IPv4 configuration".into(),
            ),
        }
        if !matches!(a.ip, IpGenerator::Fixed(_))
            && let Some(mask) = &a.subnet_mask
            && !mask.is_empty()
        {
            cx.lossy(
                &format!("{ap}.subnetMask"),
                "subnetMask without a fixed IPv4 address has no VirtualMachine equivalent".into(),
            );
        }
        for (j, g) in a.gateway.iter().enumerate() {
            let gp = format!("{ap}.gateway[{j}]");
            match parse_ip(g.trim()) {
                Some(IpAddr::V4(_)) if j == 0 && matches!(a.ip, IpGenerator::Fixed(_)) => {
                    f.gateway4 = Some(g.trim().to_string())
                }
                Some(IpAddr::V4(_)) => cx.lossy(
                    &gp,
                    format!("a VirtualMachine interface has one IPv4 gateway with a static address; {g} is left out"),
                ),
                _ => cx.error(
                    Code::WrongType,
                    &gp,
                    format!("{g:?} is not an IPv4 address"),
                ),
            }
        }
        if let Some(v6) = &a.ip_v6_spec {
            for (j, g) in v6.ip.iter().enumerate() {
                let gp = format!("{ap}.ipV6Spec.ip[{j}]");
                match g {
                    Ipv6Generator::Fixed { address, prefix } => {
                        match (parse_ip(address.trim()), u8::try_from(*prefix)) {
                            (Some(IpAddr::V6(a6)), Ok(pl)) if pl <= 128 => {
                                f.addresses.push(format!("{a6}/{pl}"))
                            }
                            (Some(IpAddr::V6(_)), _) => cx.error(
                                Code::WrongType,
                                &format!("{gp}.subnetMask"),
                                format!("IPv6 prefix length {prefix} is outside 0..128"),
                            ),
                            _ => cx.error(
                                Code::WrongType,
                                &format!("{gp}.ipAddress"),
                                format!("{address:?} is not an IPv6 address"),
                            ),
                        }
                    }
                    Ipv6Generator::Dhcp => f.dhcp6 = Some(true),
                    Ipv6Generator::Auto | Ipv6Generator::Stateless => cx.lossy(
                        &gp,
                        "IPv6 autoconfiguration without DHCPv6 has no VirtualMachine equivalent (vm-operator ties accept-ra to dhcp6)".into(),
                    ),
                    Ipv6Generator::Unknown | Ipv6Generator::Custom(_) => cx.lossy(
                        &gp,
                        "an IPv6 generator that asks the user or a script has no VirtualMachine equivalent".into(),
                    ),
                }
            }
            for (j, g) in v6.gateway.iter().enumerate() {
                let gp = format!("{ap}.ipV6Spec.gateway[{j}]");
                match parse_ip(g.trim()) {
                    Some(IpAddr::V6(_)) if f.gateway6.is_none() && f.dhcp6 != Some(true) => {
                        f.gateway6 = Some(g.trim().to_string())
                    }
                    Some(IpAddr::V6(_)) if f.gateway6.as_deref() == Some(g.trim()) => {}
                    Some(IpAddr::V6(_)) => cx.lossy(
                        &gp,
                        format!("a VirtualMachine interface has one IPv6 gateway with static addresses; {g} is left out"),
                    ),
                    _ => cx.error(
                        Code::WrongType,
                        &gp,
                        format!("{g:?} is not an IPv6 address"),
                    ),
                }
            }
        }
        if !a.dns_server_list.is_empty() {
            if linux {
                cx.lossy(
                    &format!("{ap}.dnsServerList"),
                    "Linux guest customization ignores per-adapter DNS servers and a LinuxPrep VirtualMachine cannot hold them; they are left out".into(),
                );
            } else {
                f.nameservers = a.dns_server_list.clone();
            }
        }
        for (field, v) in [
            ("dnsDomain", &a.dns_domain),
            ("primaryWINS", &a.primary_wins),
            ("secondaryWINS", &a.secondary_wins),
            ("netBIOS", &a.net_bios),
        ] {
            if v.is_some() {
                cx.lossy(
                    &format!("{ap}.{field}"),
                    format!("{field} has no VirtualMachine equivalent"),
                );
            }
        }
        if a.primary.is_some() {
            cx.lossy(
                &format!("{ap}.primary"),
                "primary has no VirtualMachine equivalent (the first interface with a gateway is primary)".into(),
            );
        }
        out.push(f);
    }
    out
}

/// The identity's `extraConfig`: vm-operator writes only the vCFA hash key, from the VM
/// annotation; anything else has no VirtualMachine equivalent.
fn extra_config(cx: &mut Ctx<'_>, at: &str, entries: &[(String, String)], meta: &mut ObjectMeta) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if k == crate::render::gosc::VCFA_HASH_KEY {
            meta.annotations
                .insert(crate::render::gosc::VCFA_ID_ANNOTATION.into(), v.clone());
        } else {
            cx.lossy(
                &format!("{at}.extraConfig[{i}]"),
                format!("identity extraConfig {k:?} has no VirtualMachine equivalent"),
            );
        }
    }
}

fn cloudinit(
    cx: &mut Ctx<'_>,
    name: &str,
    metadata: &str,
    userdata: &Option<String>,
    net: &mut NetworkSpec,
) -> CloudInitSpec {
    let mut ci = CloudInitSpec::default();
    let at = ".identity.metadata";
    let sub = super::netplan::parse(metadata, name);
    for d in sub.diagnostics {
        let msg = format!("in CloudinitPrep metadata ({}): {}", d.path, d.message);
        cx.push(d.code, d.severity, at, msg);
    }
    if let Some(n) = sub.vms.into_iter().next().and_then(|v| v.spec.network) {
        net.interfaces = n.interfaces;
        net.vlans = n.vlans;
    }
    match yaml::parse_documents(metadata, &Limits::default()) {
        Ok(docs) => {
            if let Some(root) = docs.first().map(|d| &d.root)
                && let crate::source::node::NodeKind::Map(entries) = &root.kind
            {
                for (k, v) in entries {
                    let key = k.as_str().unwrap_or_default();
                    match key {
                        "network" | "hostname" => {}
                        "local-hostname" => {
                            let fqdn = v.as_str().unwrap_or_default();
                            match fqdn.split_once('.') {
                                Some((h, d)) => {
                                    net.host_name = Some(h.to_string());
                                    net.domain_name = Some(d.to_string());
                                }
                                None if !fqdn.is_empty() => net.host_name = Some(fqdn.to_string()),
                                None => {}
                            }
                        }
                        "instance-id" => ci.instance_id = v.as_str().map(str::to_string),
                        "public-keys" => {
                            ci.ssh_authorized_keys = match &v.kind {
                                crate::source::node::NodeKind::Seq(items) => items
                                    .iter()
                                    .filter_map(|i| i.as_str().map(str::to_string))
                                    .collect(),
                                _ => v
                                    .as_str()
                                    .unwrap_or_default()
                                    .lines()
                                    .map(str::to_string)
                                    .collect(),
                            }
                        }
                        "wait-on-network" => {
                            let b = |n: Option<&crate::source::Node>| {
                                n.and_then(|x| x.as_str()).and_then(|s| match s {
                                    "true" => Some(true),
                                    "false" => Some(false),
                                    _ => None,
                                })
                            };
                            ci.wait_on_network4 = b(v.get("ipv4"));
                            ci.wait_on_network6 = b(v.get("ipv6"));
                        }
                        other => cx.lossy(
                            at,
                            format!("metadata key `{other}` has no VirtualMachine equivalent"),
                        ),
                    }
                }
            }
        }
        Err(e) => cx.error(
            Code::WrongType,
            at,
            format!("CloudinitPrep metadata is not YAML: {}", e.message),
        ),
    }
    if let Some(u) = userdata {
        let uat = ".identity.userdata";
        if let Some(sel) = parse_secret_placeholder(u.trim()) {
            ci.raw_cloud_config = Some(sel);
        } else {
            let parsed = yaml::parse_documents(u, &Limits::default())
                .ok()
                .and_then(|docs| docs.into_iter().next())
                .and_then(|d| {
                    let sink = de::Sink::default();
                    let cc = de::from_node::<CloudConfig>(&d.root, &sink).ok()?;
                    sink.diagnostics.borrow().is_empty().then_some(cc)
                });
            match parsed {
                Some(cc) => ci.cloud_config = Some(cc),
                None => cx.lossy(
                    uat,
                    "user-data is not within vm-operator's inline cloudConfig subset; put it in a Secret and reference it with rawCloudConfig (it is left out)".into(),
                ),
            }
        }
    }
    ci
}

fn to_vm(cx: &mut Ctx<'_>, spec: &CustomizationSpec, name: &str) -> VirtualMachine {
    let mut net = NetworkSpec::default();
    let mut boot = BootstrapSpec::default();
    let mut meta = ObjectMeta {
        name: Some(
            cx.decoded
                .envelope
                .info_name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| name.to_string()),
        ),
        ..ObjectMeta::default()
    };
    if let Some(ns) = cx
        .decoded
        .envelope
        .info_description
        .as_deref()
        .and_then(|d| d.strip_prefix("guestnet: VirtualMachine "))
        .and_then(|r| r.split_once('/'))
        .map(|(ns, _)| ns.to_string())
    {
        meta.namespace = Some(ns);
    }
    let vm_name = meta.name.clone().unwrap_or_default();
    match &spec.options {
        Some(Options::Win { .. }) => cx.lossy(
            ".options",
            "CustomizationWinOptions (changeSID, deleteAccounts, reboot) has no VirtualMachine equivalent; vSphere's defaults apply".into(),
        ),
        Some(Options::Linux) | None => {}
    }
    if !spec.encryption_key.is_empty() {
        cx.lossy(
            ".encryptionKey",
            "an encryption key means encrypted passwords, which cannot be carried".into(),
        );
    }
    let mut network_from_nics = true;
    match &spec.identity {
        Identity::LinuxPrep(l) => {
            net.host_name = cx.host_name(".identity.hostName", &l.host_name);
            net.domain_name = Some(l.domain.clone()).filter(|d| !d.is_empty());
            let mut lp = LinuxPrepSpec {
                hardware_clock_is_utc: l.hw_clock_utc,
                time_zone: nonempty(&l.time_zone),
                script_text: Ctx::value_or_secret(&l.script_text),
                ..LinuxPrepSpec::default()
            };
            if l.reset_password == Some(true) {
                lp.expire_password_after_next_login = Some(true);
            }
            lp.password = cx.password(".identity.password", &l.password, "the root password");
            if l.compatible_customization_method.is_some() {
                cx.lossy(
                    ".identity.compatibleCustomizationMethod",
                    "compatibleCustomizationMethod has no VirtualMachine equivalent".into(),
                );
            }
            extra_config(cx, ".identity", &l.extra_config, &mut meta);
            boot.linux_prep = Some(lp);
        }
        Identity::Sysprep(s) => {
            let at = ".identity";
            net.host_name = cx.host_name(
                &format!("{at}.userData.computerName"),
                &s.user_data.computer_name,
            );
            let g = &s.gui_unattended;
            let gpw = cx.password(
                &format!("{at}.guiUnattended.password"),
                &g.password,
                "the administrator password",
            );
            let gui = GuiUnattended {
                auto_logon: g.auto_logon.then_some(true),
                auto_logon_count: (g.auto_logon_count != 0)
                    .then_some(i64::from(g.auto_logon_count)),
                password: gpw,
                time_zone: (g.time_zone != 85).then_some(i64::from(g.time_zone)),
            };
            let id = &s.identification;
            net.domain_name = nonempty(&id.join_domain);
            let dpw = cx.password(
                &format!("{at}.identification.domainAdminPassword"),
                &id.domain_admin_password,
                "the domain administrator password",
            );
            let ident = Identification {
                domain_admin: nonempty(&id.domain_admin),
                domain_admin_password: dpw,
                domain_ou: nonempty(&id.domain_ou),
                join_workgroup: nonempty(&id.join_workgroup),
            };
            let has_ident = ident != Identification::default() || net.domain_name.is_some();
            let product_id = cx.secret(
                &format!("{at}.userData.productId"),
                &s.user_data.product_id,
                "productId",
            );
            boot.sysprep = Some(SysprepSpec {
                sysprep: Some(Sysprep {
                    gui_run_once: (!s.gui_run_once.is_empty()).then(|| GuiRunOnce {
                        commands: s.gui_run_once.clone(),
                    }),
                    gui_unattended: (gui != GuiUnattended::default()).then_some(gui),
                    identification: has_ident.then_some(ident),
                    license_file_print_data: s.license_file_print_data.as_ref().map(|l| {
                        LicenseFilePrintData {
                            auto_mode: l.auto_mode.clone(),
                            auto_users: l.auto_users.map(i64::from),
                        }
                    }),
                    user_data: Some(SysprepUserData {
                        full_name: s.user_data.full_name.clone(),
                        org_name: s.user_data.org_name.clone(),
                        product_id,
                    }),
                    expire_password_after_next_login: (s.reset_password == Some(true))
                        .then_some(true),
                    script_text: Ctx::value_or_secret(&s.script_text),
                }),
                ..SysprepSpec::default()
            });
            extra_config(cx, at, &s.extra_config, &mut meta);
        }
        Identity::SysprepText(v) => {
            let sel = match parse_secret_placeholder(v.trim()) {
                Some(sel) => sel,
                None => {
                    let sel = SecretKeySelector {
                        name: format!("{vm_name}-sysprep"),
                        key: Some("unattend".into()),
                    };
                    cx.lossy(
                        ".identity.value",
                        format!(
                            "a VirtualMachine takes raw unattend XML only from a Secret: rawSysprep refers to Secret {} key unattend, which must hold this text",
                            sel.name
                        ),
                    );
                    sel
                }
            };
            boot.sysprep = Some(SysprepSpec {
                raw_sysprep: Some(sel),
                ..SysprepSpec::default()
            });
        }
        Identity::CloudinitPrep { metadata, userdata } => {
            network_from_nics = false;
            let ci = cloudinit(cx, &vm_name, metadata, userdata, &mut net);
            boot.cloud_init = Some(ci);
            meta.annotations
                .insert(CLOUDINIT_TYPE_ANNOTATION.into(), "cloudinitprep".into());
            if !spec.nic_setting_map.is_empty() {
                cx.lossy(
                    ".nicSettingMap",
                    "with CloudinitPrep the network comes from the metadata; nicSettingMap is left out".into(),
                );
            }
            let g = &spec.global_ip_settings;
            if !g.dns_server_list.is_empty() || !g.dns_suffix_list.is_empty() {
                cx.lossy(
                    ".globalIPSettings",
                    "with CloudinitPrep the DNS settings come from the metadata; globalIPSettings is left out".into(),
                );
            }
        }
    }
    if network_from_nics {
        net.nameservers = spec.global_ip_settings.dns_server_list.clone();
        net.search_domains = spec.global_ip_settings.dns_suffix_list.clone();
        let linux = matches!(spec.identity, Identity::LinuxPrep(_));
        net.interfaces = interfaces(cx, spec, linux);
    }
    VirtualMachine {
        api_version: "vmoperator.vmware.com/v1alpha6".into(),
        kind: "VirtualMachine".into(),
        metadata: meta,
        spec: VirtualMachineSpec {
            network: Some(net),
            bootstrap: Some(boot),
            ..VirtualMachineSpec::default()
        },
        status: None,
    }
}

pub fn parse(text: &str, name: &str) -> Parsed {
    let limits = Limits::default();
    if text.len() > limits.max_bytes {
        return Parsed {
            vms: Vec::new(),
            diagnostics: vec![Diagnostic::new(
                Code::LimitExceeded,
                "",
                format!(
                    "input is {} bytes; the limit is {} bytes",
                    text.len(),
                    limits.max_bytes
                ),
            )],
        };
    }
    let decoded = from_xml(text);
    let Some(spec) = decoded.spec.clone() else {
        return Parsed {
            vms: Vec::new(),
            diagnostics: decoded.diagnostics,
        };
    };
    let root = if decoded.positions.contains_key("item.spec") {
        "item.spec".to_string()
    } else {
        "spec".to_string()
    };
    let mut cx = Ctx {
        text,
        decoded: &decoded,
        diags: decoded.diagnostics.clone(),
        root,
    };
    let vm = to_vm(&mut cx, &spec, name);
    let errors = cx.diags.iter().any(|d| d.severity == Severity::Error);
    Parsed {
        vms: if errors { Vec::new() } else { vec![vm] },
        diagnostics: cx.diags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CompileOptions, compile_str};
    use crate::render::{self, Target};

    /// `shared/fixtures/soap-vcsim/15_CustomizeVM_Task_linuxprep_2nic.req.xml`, the body
    /// vcsim accepted (reference/vsphere-api.md §2.1).
    const VCSIM_2NIC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body>
<CustomizeVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">vm-57</_this>
<spec>
  <options xsi:type="CustomizationLinuxOptions"/>
  <identity xsi:type="CustomizationLinuxPrep">
    <hostName xsi:type="CustomizationFixedName"><name>web01</name></hostName>
    <domain>example.internal</domain>
    <timeZone>Europe/Berlin</timeZone>
    <hwClockUTC>true</hwClockUTC>
  </identity>
  <globalIPSettings>
    <dnsSuffixList>example.internal</dnsSuffixList>
    <dnsSuffixList>corp.example</dnsSuffixList>
    <dnsServerList>10.0.0.53</dnsServerList>
    <dnsServerList>10.0.1.53</dnsServerList>
  </globalIPSettings>
  <nicSettingMap>
    <macAddress>00:0c:29:36:63:62</macAddress>
    <adapter>
      <ip xsi:type="CustomizationFixedIp"><ipAddress>10.0.0.10</ipAddress></ip>
      <subnetMask>255.255.255.0</subnetMask>
      <gateway>10.0.0.1</gateway>
      <ipV6Spec>
        <ip xsi:type="CustomizationFixedIpV6"><ipAddress>fd00:10::10</ipAddress><subnetMask>64</subnetMask></ip>
        <gateway>fd00:10::1</gateway>
      </ipV6Spec>
    </adapter>
  </nicSettingMap>
  <nicSettingMap>
    <macAddress>00:50:56:3f:00:02</macAddress>
    <adapter>
      <ip xsi:type="CustomizationDhcpIpGenerator"/>
    </adapter>
  </nicSettingMap>
</spec>
</CustomizeVM_Task>
</soapenv:Body>
</soapenv:Envelope>
"#;

    fn gosc(yaml: &str) -> String {
        let c = compile_str(yaml, &[], &CompileOptions::default());
        let u = &c.units[0];
        assert!(
            u.resolved.is_some(),
            "{:?}",
            c.all_diagnostics().collect::<Vec<_>>()
        );
        let out = render::render(
            Target::Gosc,
            u.vm.as_ref().unwrap(),
            u.resolved.as_ref().unwrap(),
            &Default::default(),
        );
        out.artifacts[0].content.clone()
    }

    #[test]
    fn reads_the_body_vcsim_accepted() {
        let p = parse(VCSIM_2NIC, "x");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let vm = &p.vms[0];
        let net = vm.network().unwrap();
        assert_eq!(net.host_name.as_deref(), Some("web01"));
        assert_eq!(net.domain_name.as_deref(), Some("example.internal"));
        assert_eq!(net.nameservers, vec!["10.0.0.53", "10.0.1.53"]);
        assert_eq!(
            net.interfaces[0].addresses,
            vec!["10.0.0.10/24", "fd00:10::10/64"]
        );
        assert_eq!(net.interfaces[0].gateway6.as_deref(), Some("fd00:10::1"));
        assert_eq!(net.interfaces[1].dhcp4, Some(true));
        let lp = vm.bootstrap().unwrap().linux_prep.as_ref().unwrap();
        assert_eq!(lp.time_zone.as_deref(), Some("Europe/Berlin"));
        // And it renders back to the same spec (options aside, which vm-operator never sets).
        let again = gosc(&to_yaml_doc(vm));
        let back = parse(&again, "x");
        assert_eq!(back.vms[0].spec, vm.spec);
    }

    fn to_yaml_doc(vm: &VirtualMachine) -> String {
        let mut vm = vm.clone();
        vm.metadata.name = Some("x".into());
        crate::parse::to_yaml(&vm)
    }

    #[test]
    fn hostile_values_round_trip() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: h}\nspec:\n  bootstrap:\n    linuxPrep:\n      scriptText: {value: \"a<b&c]]>d\\r\\ne\"}\n  network:\n    hostName: \"w<1>\"\n    interfaces: [{name: eth0, dhcp4: true}]\n";
        let x = gosc(y);
        assert!(x.contains("<name>w&lt;1&gt;</name>"), "{x}");
        assert!(x.contains("a&lt;b&amp;c]]&gt;d&#13;\ne"), "{x}");
        assert!(!x.contains("]]>d"));
        let p = parse(&x, "h");
        let vm = &p.vms[0];
        assert_eq!(vm.network().unwrap().host_name.as_deref(), Some("w<1>"));
        assert_eq!(
            vm.bootstrap()
                .unwrap()
                .linux_prep
                .as_ref()
                .unwrap()
                .script_text
                .as_ref()
                .and_then(|s| s.value.as_deref()),
            Some("a<b&c]]>d\r\ne")
        );
    }

    #[test]
    fn reports_what_a_virtual_machine_cannot_hold() {
        let x = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
<v:CreateCustomizationSpec xmlns:v="urn:vim25" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
<v:item><v:info><v:name>from-vc</v:name><v:description>d</v:description><v:type>Windows</v:type></v:info>
<v:spec>
<v:options i:type="CustomizationWinOptions"><v:changeSID>true</v:changeSID><v:deleteAccounts>false</v:deleteAccounts></v:options>
<v:identity i:type="CustomizationSysprep">
<v:guiUnattended><v:password><v:value>hunter2</v:value><v:plainText>true</v:plainText></v:password><v:timeZone>85</v:timeZone><v:autoLogon>false</v:autoLogon><v:autoLogonCount>0</v:autoLogonCount></v:guiUnattended>
<v:userData><v:fullName>A</v:fullName><v:orgName>B</v:orgName><v:computerName i:type="CustomizationVirtualMachineName"/><v:productId>XXXXX-XXXXX</v:productId></v:userData>
<v:identification><v:joinWorkgroup>WG</v:joinWorkgroup></v:identification>
</v:identity>
<v:globalIPSettings/>
<v:nicSettingMap><v:adapter><v:ip i:type="CustomizationDhcpIpGenerator"/><v:ipV6Spec><v:ip i:type="CustomizationAutoIpV6Generator"/></v:ipV6Spec><v:dnsDomain>corp</v:dnsDomain><v:netBIOS>disableNetBIOS</v:netBIOS></v:adapter></v:nicSettingMap>
</v:spec></v:item></v:CreateCustomizationSpec></s:Body></s:Envelope>"#;
        let p = parse(x, "ignored");
        let got: Vec<_> = p
            .diagnostics
            .iter()
            .map(|d| (d.code.as_str(), d.path.as_str(), d.line.is_some()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("GN301", "item.spec.options", true),
                ("GN301", "item.spec.identity.userData.computerName", true),
                (
                    "GN301",
                    "item.spec.identity.guiUnattended.password.value",
                    true
                ),
                ("GN301", "item.spec.identity.userData.productId", true),
                (
                    "GN301",
                    "item.spec.nicSettingMap[0].adapter.ipV6Spec.ip[0]",
                    true
                ),
                (
                    "GN301",
                    "item.spec.nicSettingMap[0].adapter.dnsDomain",
                    true
                ),
                ("GN301", "item.spec.nicSettingMap[0].adapter.netBIOS", true),
            ]
        );
        assert!(
            p.diagnostics
                .iter()
                .all(|d| !d.message.contains("hunter2") && !d.message.contains("XXXXX"))
        );
        let vm = &p.vms[0];
        assert_eq!(vm.name(), "from-vc");
        let sp = vm
            .bootstrap()
            .unwrap()
            .sysprep
            .as_ref()
            .unwrap()
            .sysprep
            .as_ref()
            .unwrap();
        assert_eq!(
            sp.identification
                .as_ref()
                .unwrap()
                .join_workgroup
                .as_deref(),
            Some("WG")
        );
        assert!(sp.gui_unattended.is_none());
        assert!(crate::parse::to_yaml(vm).find("hunter2").is_none());
    }

    #[test]
    fn malformed_input_is_a_diagnostic_not_a_panic() {
        for bad in [
            "",
            "<",
            "not xml",
            "<spec><identity></spec>",
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body/></s:Envelope>",
            "<spec xmlns=\"urn:other\"><identity/></spec>",
            "<!DOCTYPE spec [<!ENTITY x \"y\">]><spec>&x;</spec>",
        ] {
            let p = parse(bad, "x");
            assert!(p.vms.is_empty(), "{bad}");
            assert!(
                p.diagnostics.iter().any(|d| d.severity == Severity::Error),
                "{bad}"
            );
        }
    }

    #[test]
    fn secret_placeholders_become_selectors_again() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: w}\nspec:\n  bootstrap:\n    sysprep:\n      rawSysprep: {name: unattend-secret}\n  network:\n    hostName: w1\n    interfaces: [{name: eth0, dhcp4: true}]\n";
        let p = parse(&gosc(y), "w");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let raw = p.vms[0]
            .bootstrap()
            .unwrap()
            .sysprep
            .as_ref()
            .unwrap()
            .raw_sysprep
            .clone();
        assert_eq!(
            raw,
            Some(SecretKeySelector {
                name: "unattend-secret".into(),
                key: None
            })
        );
    }

    mod prop {
        use super::*;
        use crate::resolve::Resolved;
        use proptest::option;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        struct Nic {
            v4: u8, // 0 none, 1 dhcp, 2 static
            v4_prefix: u8,
            gw4: bool,
            v6: u8,
            v6_count: usize,
            gw6: bool,
            dns: bool,
        }

        fn nic() -> impl Strategy<Value = Nic> {
            (
                0..3u8,
                8..29u8,
                any::<bool>(),
                0..3u8,
                1..3usize,
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(v4, v4_prefix, gw4, v6, v6_count, gw6, dns)| Nic {
                    v4,
                    v4_prefix,
                    gw4,
                    v6,
                    v6_count,
                    gw6,
                    dns,
                })
        }

        #[derive(Debug, Clone)]
        struct Vm {
            kind: u8, // 0 LinuxPrep, 1 Sysprep, 2 SysprepText, 3 CloudinitPrep, 4 none
            host: String,
            domain: Option<String>,
            macs: bool,
            nics: Vec<Nic>,
            ns: Vec<String>,
            sd: Vec<String>,
            tz: Option<String>,
            hw: Option<bool>,
            text: String,
            auto: Option<(i64, i64)>,
        }

        fn vm() -> impl Strategy<Value = Vm> {
            (
                0..5u8,
                "[a-z][a-z0-9]{1,8}",
                option::of(prop_oneof![Just("example.com"), Just("corp.example.org")]),
                any::<bool>(),
                proptest::collection::vec(nic(), 1..4),
                proptest::collection::vec(
                    prop_oneof![Just("10.9.9.9"), Just("2001:db8::53")],
                    0..3,
                ),
                proptest::collection::vec(
                    prop_oneof![Just("example.com"), Just("lab.example")],
                    0..3,
                ),
                option::of(prop_oneof![Just("Europe/Berlin"), Just("Etc/UTC")]),
                option::of(any::<bool>()),
                // An unclosed Jinja delimiter is an error (GN235), not a round-trip input.
                "[ -~]{0,20}".prop_filter("no Jinja delimiter", |s: &String| {
                    !["{{", "{%", "{#"].iter().any(|d| s.contains(d))
                }),
                option::of((1..5i64, 0..300i64)),
            )
                .prop_map(
                    |(kind, host, domain, macs, nics, ns, sd, tz, hw, text, auto)| Vm {
                        kind,
                        host,
                        domain: domain.map(str::to_string),
                        macs,
                        nics,
                        ns: ns.into_iter().map(str::to_string).collect(),
                        sd: sd.into_iter().map(str::to_string).collect(),
                        tz: tz.map(str::to_string),
                        hw,
                        text,
                        auto,
                    },
                )
        }

        fn q(s: &str) -> String {
            crate::render::yaml_out::quote(s)
        }

        fn yaml(v: &Vm) -> String {
            let mut y = String::from(
                "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: prop\n  namespace: ns\n",
            );
            if v.kind == 3 {
                y.push_str(
                    "  annotations: {vmoperator.vmware.com/cloudinit-type: cloudinitprep}\n",
                );
            }
            y.push_str("spec:\n  bootstrap:\n");
            match v.kind {
                0 => {
                    y.push_str("    linuxPrep:\n");
                    if let Some(tz) = &v.tz {
                        y.push_str(&format!("      timeZone: {tz}\n"));
                    }
                    if let Some(hw) = v.hw {
                        y.push_str(&format!("      hardwareClockIsUTC: {hw}\n"));
                    }
                    y.push_str(&format!("      scriptText: {{value: {}}}\n", q(&v.text)));
                }
                1 => {
                    y.push_str(&format!(
                        "    sysprep:\n      sysprep:\n        userData: {{fullName: {}, orgName: org, productID: {{name: pid}}}}\n        guiRunOnce: {{commands: [{}]}}\n",
                        q(&format!("F {}", v.text)),
                        q(&format!("cmd {}", v.text))
                    ));
                    if let Some((count, tz)) = v.auto {
                        y.push_str(&format!(
                            "        guiUnattended: {{autoLogon: true, autoLogonCount: {count}, timeZone: {tz}, password: {{name: adm}}}}\n"
                        ));
                    }
                    if v.domain.is_some() {
                        y.push_str("        identification: {domainAdmin: joiner, domainAdminPassword: {name: dj, key: pw}}\n");
                    } else {
                        y.push_str("        identification: {joinWorkgroup: WG}\n");
                    }
                }
                2 => y.push_str("    sysprep:\n      rawSysprep: {name: raw, key: unattend}\n"),
                3 => y.push_str(&format!(
                    "    cloudInit:\n      cloudConfig:\n        runcmd: [{}]\n",
                    q(&v.text)
                )),
                _ => y.push_str("    {}\n"),
            }
            if v.kind == 4 {
                y = y.replace("spec:\n  bootstrap:\n    {}\n", "spec:\n");
            }
            y.push_str(&format!("  network:\n    hostName: {}\n", v.host));
            if let Some(d) = &v.domain {
                y.push_str(&format!("    domainName: {d}\n"));
            }
            if !v.ns.is_empty() && v.kind != 4 {
                y.push_str(&format!(
                    "    nameservers: [{}]\n",
                    v.ns.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
                ));
            }
            if !v.sd.is_empty() && v.kind != 4 {
                let mut sd = v.sd.clone();
                sd.dedup();
                y.push_str(&format!("    searchDomains: [{}]\n", sd.join(", ")));
            }
            y.push_str("    interfaces:\n");
            for (i, n) in v.nics.iter().enumerate() {
                y.push_str(&format!("    - name: eth{i}\n"));
                if v.macs {
                    y.push_str(&format!(
                        "      macAddr: \"00:50:56:00:00:{:02x}\"\n",
                        i + 1
                    ));
                }
                let mut addrs = Vec::new();
                match n.v4 {
                    1 => y.push_str("      dhcp4: true\n"),
                    2 => addrs.push(format!("10.{i}.0.10/{}", n.v4_prefix.max(8))),
                    _ => {}
                }
                match n.v6 {
                    1 => y.push_str("      dhcp6: true\n"),
                    2 => {
                        for k in 0..n.v6_count {
                            addrs.push(format!("fd00:{i}:{k}::10/64"));
                        }
                    }
                    _ => {}
                }
                if !addrs.is_empty() {
                    y.push_str(&format!(
                        "      addresses: [{}]\n",
                        addrs.iter().map(|a| q(a)).collect::<Vec<_>>().join(", ")
                    ));
                }
                if n.v4 == 2 && n.gw4 {
                    y.push_str(&format!("      gateway4: \"10.{i}.0.1\"\n"));
                }
                if n.v6 == 2 && n.gw6 {
                    y.push_str(&format!("      gateway6: \"fd00:{i}:0::1\"\n"));
                }
                if n.dns && (v.kind == 1 || v.kind == 3) {
                    y.push_str("      nameservers: [\"10.8.8.8\"]\n");
                }
            }
            y
        }

        /// What GOSC carries, per VM and per adapter, compared by value (sources differ:
        /// a parsed VM states explicitly what the original left to defaults).
        fn projection(r: &Resolved) -> String {
            let mut s = format!(
                "host={} fqdn={} ns={:?} sd={:?}\n",
                r.host_name.value, r.fqdn, r.nameservers.value, r.search_domains.value
            );
            for f in &r.interfaces {
                let v4: Vec<String> = f.ipv4().take(1).map(|c| c.to_string()).collect();
                let v6: Vec<String> = f.ipv6().map(|c| c.to_string()).collect();
                s.push_str(&format!(
                    "mac={:?} dhcp4={} dhcp6={} v4={v4:?} v6={v6:?} gw4={:?} gw6={:?} dns={:?}\n",
                    f.mac.as_ref().map(|m| &m.value),
                    f.dhcp4.value,
                    f.dhcp6.value,
                    f.gateway4.as_ref().map(|g| g.value),
                    f.gateway6.as_ref().map(|g| g.value),
                    f.nameservers.value,
                ));
            }
            s
        }

        fn compile(y: &str) -> (VirtualMachine, Resolved) {
            let c = compile_str(y, &[], &CompileOptions::default());
            let errors: Vec<_> = c
                .all_diagnostics()
                .filter(|d| d.severity == Severity::Error)
                .cloned()
                .collect();
            assert!(errors.is_empty(), "{errors:#?}\n{y}");
            let u = c.units.into_iter().next().unwrap();
            (u.vm.unwrap(), u.resolved.unwrap())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            /// parse(render(x)) == x for everything GOSC carries: the re-rendered spec is
            /// byte-identical and the resolved network agrees value by value.
            #[test]
            fn parse_render_round_trip(v in vm()) {
                let y = yaml(&v);
                let (vm1, r1) = compile(&y);
                let out1 = render::render(Target::Gosc, &vm1, &r1, &Default::default());
                prop_assert!(!out1.artifacts.is_empty(), "{:?}", out1.diagnostics);
                let x1 = &out1.artifacts[0].content;
                let p = parse(x1, "prop");
                prop_assert!(
                    p.diagnostics.iter().all(|d| d.severity != Severity::Error),
                    "{:?}\n{x1}", p.diagnostics
                );
                let mut vm2 = p.vms[0].clone();
                vm2.metadata.namespace = Some("ns".into());
                let y2 = crate::parse::to_yaml(&vm2);
                let (vm2, r2) = compile(&y2);
                let out2 = render::render(Target::Gosc, &vm2, &r2, &Default::default());
                prop_assert_eq!(x1, &out2.artifacts[0].content, "\n{}\n---\n{}", y, y2);
                if v.kind == 2 {
                    // SysprepText: the host name lives in the unattend text, not the spec.
                    let adapters = |r: &Resolved| projection(r).lines().skip(1).collect::<Vec<_>>().join("\n");
                    prop_assert_eq!(adapters(&r1), adapters(&r2));
                } else if v.kind != 3 {
                    prop_assert_eq!(projection(&r1), projection(&r2));
                } else {
                    prop_assert_eq!(&r1.host_name.value, &r2.host_name.value);
                    prop_assert_eq!(&r1.fqdn, &r2.fqdn);
                }
            }
        }
    }
}
