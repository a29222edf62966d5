//! Precedence and provenance: per-interface > global VM settings > network catalog >
//! defaults. Every value carries where it came from, so `explain` and the previewer can say
//! *why* the guest will get it. Renderers read only [`Resolved`].

use crate::ip::{Cidr, format_mac, parse_cidr, parse_ip, parse_mac};
use crate::model::{ApiVersion, InterfaceSpec, NetworkCatalog, Provider, VirtualMachine};
use serde::Serialize;
use std::net::IpAddr;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "camelCase")]
pub enum Source {
    /// `spec.network.interfaces[i].<field>`.
    Interface(String),
    /// `spec.network.<field>`.
    Global(String),
    /// A guestnet Network catalog entry.
    Network(String),
    /// `metadata.name` (host name default).
    Metadata(String),
    /// `spec.bootstrap...` or another spec field.
    Spec(String),
    /// vm-operator's built-in default.
    Default(String),
    /// Computed by guestnet from other values (a derived MAC, the primary NIC); the detail
    /// says how.
    Derived(String),
    /// Allocated from a catalog network's ranges; the detail names network, subnet and range.
    Allocated(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Interface(p) | Source::Global(p) | Source::Metadata(p) | Source::Spec(p) => {
                f.write_str(p)
            }
            Source::Network(n) => write!(f, "network catalog {n}"),
            Source::Default(why) => write!(f, "default ({why})"),
            Source::Derived(how) => write!(f, "derived ({how})"),
            Source::Allocated(from) => write!(f, "allocated from {from}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

fn src<T>(value: T, source: Source) -> Sourced<T> {
    Sourced { value, source }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// `default` or a CIDR, verbatim.
    pub to: String,
    pub via: String,
    pub metric: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Interface {
    /// The spec name (netplan's ethernets key).
    pub name: String,
    pub index: usize,
    /// The name the guest gives the device (`set-name`).
    pub device_name: Sourced<String>,
    pub mac: Option<Sourced<String>>,
    pub network: Option<String>,
    pub dhcp4: Sourced<bool>,
    pub dhcp6: Sourced<bool>,
    pub accept_ra: bool,
    /// Static addresses of a family whose DHCP is off, IPv4 first, in spec order.
    pub addresses: Vec<Sourced<Cidr>>,
    pub gateway4: Option<Sourced<IpAddr>>,
    pub gateway6: Option<Sourced<IpAddr>>,
    pub mtu: Option<Sourced<i64>>,
    pub nameservers: Sourced<Vec<String>>,
    pub search_domains: Sourced<Vec<String>>,
    pub routes: Vec<Route>,
}

impl Interface {
    pub fn ipv4(&self) -> impl Iterator<Item = &Cidr> {
        self.addresses
            .iter()
            .map(|a| &a.value)
            .filter(|c| c.is_ipv4())
    }
    pub fn ipv6(&self) -> impl Iterator<Item = &Cidr> {
        self.addresses
            .iter()
            .map(|a| &a.value)
            .filter(|c| !c.is_ipv4())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vlan {
    pub name: String,
    pub id: i64,
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitOnNetwork {
    pub ipv4: Option<bool>,
    pub ipv6: Option<bool>,
}

/// The configuration the guest will get, with provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    pub name: String,
    pub namespace: Option<String>,
    pub provider: Provider,
    pub windows: bool,
    pub host_name: Sourced<String>,
    pub domain_name: Option<Sourced<String>>,
    /// `host.domain`, or the host name alone.
    pub fqdn: String,
    pub instance_id: Option<Sourced<String>>,
    /// Global DNS as GOSC's globalIPSettings carries it.
    pub nameservers: Sourced<Vec<String>>,
    pub search_domains: Sourced<Vec<String>>,
    pub network_disabled: bool,
    pub interfaces: Vec<Interface>,
    pub vlans: Vec<Vlan>,
    pub public_keys: Vec<String>,
    pub wait_on_network: Option<WaitOnNetwork>,
    /// The interface that owns the default route (cust.cfg `PRIMARY = yes`), and why.
    pub primary_interface: Option<Sourced<String>>,
}

/// How interfaces get their MAC address (design §5 "NIC identity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MacPolicy {
    /// Only `macAddr` from the spec; other interfaces have no known MAC and every artifact
    /// falls back (netplan matches by name, GOSC uses PCI order, VMX lets vSphere generate).
    #[default]
    Spec,
    /// `macAddr` when given, otherwise a stable MAC derived from namespace/name/interface in
    /// VMware's static range, so VMX, netplan, GOSC and cust.cfg all agree. See [`derive_mac`].
    Derive,
    /// NICs are identified by PCI order only: no MAC is used, not even `macAddr`.
    PciOrder,
}

impl MacPolicy {
    pub const ALL: &'static [MacPolicy] =
        &[MacPolicy::Spec, MacPolicy::Derive, MacPolicy::PciOrder];

    pub fn as_str(self) -> &'static str {
        match self {
            MacPolicy::Spec => "spec",
            MacPolicy::Derive => "derive",
            MacPolicy::PciOrder => "pci-order",
        }
    }

    pub fn parse(s: &str) -> Option<MacPolicy> {
        Self::ALL.iter().copied().find(|p| p.as_str() == s)
    }
}

/// Options of the resolution step.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResolveOptions {
    pub mac_policy: MacPolicy,
}

pub use crate::batch::mac::VMWARE_STATIC_OUI;

/// The hash input for a derived MAC: `namespace/name/interface` (namespace `default` when the
/// manifest has none, as Kubernetes would place it).
pub fn derive_mac_key(namespace: Option<&str>, name: &str, interface: &str) -> String {
    let namespace = namespace.filter(|n| !n.is_empty()).unwrap_or("default");
    format!("{namespace}/{name}/{interface}")
}

/// A MAC in 00:50:56:00:00:00-3f:ff:ff for `key`, avoiding `taken`: the first of the
/// candidates [`crate::batch::mac::candidate`] `k = 0..64` not in `taken` (then the next free
/// one above the last candidate).
pub fn derive_mac(key: &str, taken: &[[u8; 6]]) -> [u8; 6] {
    use crate::batch::mac;
    for k in 0..mac::ROUNDS {
        let m = mac::candidate(key, k);
        if !taken.contains(&m) {
            return m;
        }
    }
    let mut used = mac::MacSet::default();
    for m in taken {
        used.insert(*m);
    }
    mac::assign(1, &|_| key, &|_| false, &mut used)
        .first()
        .map(|m| m.mac())
        .unwrap_or_else(|| mac::candidate(key, 0))
}

/// Provenance text of a derived MAC.
pub fn derived_mac_source(key: &str, how: crate::batch::mac::How) -> Source {
    use crate::batch::mac::How;
    Source::Derived(match how {
        How::Round(0) => {
            format!("--mac-policy derive: FNV-1a of \"{key}\" in 00:50:56:00:00:00-3f:ff:ff")
        }
        How::Round(k) => format!(
            "--mac-policy derive: FNV-1a of \"{key}#{k}\" in 00:50:56:00:00:00-3f:ff:ff (earlier candidates were taken)"
        ),
        How::Probe => format!(
            "--mac-policy derive: next free MAC after every hashed candidate of \"{key}\" was taken"
        ),
    })
}

/// Picks the interface that owns the default route: the first with an IPv4 gateway, else the
/// first with an IPv6 gateway, else the first using DHCPv4, else the first interface.
fn primary_interface(interfaces: &[Interface]) -> Option<Sourced<String>> {
    let pick = |f: &Interface, why: &str| Some(src(f.name.clone(), Source::Derived(why.into())));
    if let Some(f) = interfaces.iter().find(|f| f.gateway4.is_some()) {
        return pick(f, "the first interface with an IPv4 default gateway");
    }
    if let Some(f) = interfaces.iter().find(|f| f.gateway6.is_some()) {
        return pick(
            f,
            "no IPv4 gateway; the first interface with an IPv6 default gateway",
        );
    }
    if let Some(f) = interfaces.iter().find(|f| f.dhcp4.value) {
        return pick(
            f,
            "no static gateway; the first interface using DHCPv4, whose default route comes from DHCP",
        );
    }
    let f = interfaces.first()?;
    pick(f, "no interface has a default gateway; the first interface")
}

/// The catalog describing an interface's network: same name, and same namespace when the
/// catalog entry names one.
pub fn find_catalog<'a>(
    catalogs: &'a [NetworkCatalog],
    vm: &VirtualMachine,
    iface: &InterfaceSpec,
) -> Option<&'a NetworkCatalog> {
    let name = iface.network.as_ref().map(|n| n.name.as_str())?;
    catalogs.iter().find(|c| {
        c.metadata.name.as_deref() == Some(name)
            && (c.metadata.namespace.is_none() || c.metadata.namespace == vm.metadata.namespace)
    })
}

fn catalog_name(c: &NetworkCatalog) -> String {
    c.metadata.name.clone().unwrap_or_default()
}

/// vm-operator's `InstanceIDAnnotation`.
pub const INSTANCE_ID_ANNOTATION: &str = "vmoperator.vmware.com/cloud-init-instance-id";

/// Resolves a VM that passed validation (errors would make some values meaningless), with
/// default options.
pub fn resolve(vm: &VirtualMachine, version: ApiVersion, catalogs: &[NetworkCatalog]) -> Resolved {
    resolve_with(vm, version, catalogs, &ResolveOptions::default())
}

/// Values a batch decided for a VM (design §2: allocation and derived MACs span every file),
/// by interface index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assigned {
    pub macs: Vec<(usize, [u8; 6], AssignedMac)>,
    pub addresses: Vec<(usize, Cidr, Source)>,
}

/// How a batch chose a derived MAC. Its provenance names the interface's key, which the
/// resolution composes: a plan does not keep a copy of every NIC's key for it (8 MB at
/// 100,000 VMs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignedMac {
    /// `--ipam-state` remembered it.
    Kept,
    Derived(crate::batch::mac::How),
}

/// Resolves a VM that passed validation.
pub fn resolve_with(
    vm: &VirtualMachine,
    version: ApiVersion,
    catalogs: &[NetworkCatalog],
    opts: &ResolveOptions,
) -> Resolved {
    resolve_assigned(vm, version, catalogs, opts, &Assigned::default())
}

/// Resolves a VM that passed validation, with the addresses and MACs its batch assigned.
pub fn resolve_assigned(
    vm: &VirtualMachine,
    version: ApiVersion,
    catalogs: &[NetworkCatalog],
    opts: &ResolveOptions,
    assigned: &Assigned,
) -> Resolved {
    let net = vm.network();
    let provider = vm.provider();
    let ci = vm.cloud_init();
    let (host_name, host_src) = match net.and_then(|n| n.host_name.as_deref()) {
        Some(h) if !h.is_empty() => (
            h.to_string(),
            Source::Global("spec.network.hostName".into()),
        ),
        _ => (
            vm.name().to_string(),
            Source::Metadata("metadata.name".into()),
        ),
    };
    let domain_name = net
        .and_then(|n| n.domain_name.as_deref())
        .filter(|d| !d.is_empty())
        .map(|d| {
            src(
                d.to_string(),
                Source::Global("spec.network.domainName".into()),
            )
        });
    let fqdn = match &domain_name {
        Some(d) => format!("{host_name}.{}", d.value),
        None => host_name.clone(),
    };
    let instance_id = ci
        .and_then(|c| c.instance_id.clone())
        .filter(|s| !s.is_empty())
        .map(|s| {
            src(
                s,
                Source::Spec("spec.bootstrap.cloudInit.instanceID".into()),
            )
        })
        .or_else(|| {
            vm.spec
                .bios_uuid
                .clone()
                .filter(|s| !s.is_empty())
                .map(|s| src(s, Source::Spec("spec.biosUUID".into())))
        })
        .or_else(|| {
            vm.metadata
                .uid
                .clone()
                .map(|s| src(s, Source::Spec("metadata.uid".into())))
        });
    // `BootStrapCloudInitInstanceID`: a non-empty annotation that differs from the derived
    // id wins (it pins VMs deployed before spec.bootstrap.cloudInit.instanceID existed).
    let instance_id = match vm.metadata.annotations.get(INSTANCE_ID_ANNOTATION) {
        Some(a)
            if ci.is_some()
                && !a.is_empty()
                && instance_id.as_ref().is_none_or(|i| &i.value != a) =>
        {
            Some(src(
                a.clone(),
                Source::Spec(format!("metadata.annotations[{INSTANCE_ID_ANNOTATION}]")),
            ))
        }
        _ => instance_id,
    };
    let disabled = net.is_some_and(|n| n.disabled);
    // Borrowed unless defaulted: a copy of every interface was 30 allocations a VM.
    let specs: std::borrow::Cow<'_, [InterfaceSpec]> = match net {
        _ if disabled => std::borrow::Cow::Owned(Vec::new()),
        Some(n) if !n.interfaces.is_empty() => std::borrow::Cow::Borrowed(&n.interfaces),
        _ => std::borrow::Cow::Owned(vec![InterfaceSpec {
            name: "eth0".into(),
            ..InterfaceSpec::default()
        }]),
    };
    let defaulted = net.is_none_or(|n| n.interfaces.is_empty());
    let global_ns = net.map(|n| n.nameservers.clone()).unwrap_or_default();
    let global_sd = net.map(|n| n.search_domains.clone()).unwrap_or_default();
    let use_global_ns =
        ci.is_some() && ci.and_then(|c| c.use_global_nameservers_as_default) != Some(false);
    let use_global_sd =
        ci.is_some() && ci.and_then(|c| c.use_global_search_domains_as_default) != Some(false);

    let mut interfaces = Vec::with_capacity(specs.len());
    for (i, f) in specs.iter().enumerate() {
        let p = format!("spec.network.interfaces[{i}]");
        let cat = find_catalog(catalogs, vm, f);
        let tri = |v: Option<bool>| match version {
            ApiVersion::V1alpha5 if v == Some(false) => None,
            _ => v,
        };
        let dhcp = |v: Option<bool>, field: &str, cat_v: Option<bool>| match tri(v) {
            Some(b) => src(b, Source::Interface(format!("{p}.{field}"))),
            None => match (cat, cat_v) {
                (Some(c), Some(b)) => src(b, Source::Network(catalog_name(c))),
                _ => src(false, Source::Default("no DHCP unless requested".into())),
            },
        };
        let dhcp4 = dhcp(f.dhcp4, "dhcp4", cat.and_then(|c| c.spec.dhcp4));
        let dhcp6 = dhcp(f.dhcp6, "dhcp6", cat.and_then(|c| c.spec.dhcp6));
        let mut addresses: Vec<Sourced<Cidr>> = Vec::new();
        for (want_v4, on) in [(true, dhcp4.value), (false, dhcp6.value)] {
            if on {
                continue;
            }
            for (j, a) in f.addresses.iter().enumerate() {
                if let Ok(c) = parse_cidr(a)
                    && c.is_ipv4() == want_v4
                {
                    addresses.push(src(c, Source::Interface(format!("{p}.addresses[{j}]"))));
                }
            }
        }
        for (_, c, why) in assigned.addresses.iter().filter(|a| a.0 == i) {
            let on = if c.is_ipv4() {
                dhcp4.value
            } else {
                dhcp6.value
            };
            if !on {
                addresses.push(src(*c, why.clone()));
            }
        }
        let gateway = |fam4: bool, spec_gw: Option<&str>, on: bool| -> Option<Sourced<IpAddr>> {
            if on {
                return None;
            }
            match spec_gw {
                Some("None") => None,
                Some(g) if !g.is_empty() => parse_ip(g).map(|ip| {
                    src(
                        ip,
                        Source::Interface(format!("{p}.gateway{}", if fam4 { 4 } else { 6 })),
                    )
                }),
                _ => {
                    let c = cat?;
                    let first = addresses
                        .iter()
                        .map(|a| a.value)
                        .find(|a| a.is_ipv4() == fam4)?;
                    c.spec.subnets.iter().find_map(|s| {
                        let sn = parse_cidr(&s.cidr).ok()?;
                        let gw = parse_ip(s.gateway.as_deref()?)?;
                        (sn.contains(first.addr) && gw.is_ipv4() == fam4)
                            .then(|| src(gw, Source::Network(catalog_name(c))))
                    })
                }
            }
        };
        let gateway4 = gateway(true, f.gateway4.as_deref(), dhcp4.value);
        let gateway6 = gateway(false, f.gateway6.as_deref(), dhcp6.value);
        let mtu = f
            .mtu
            .filter(|m| *m > 0)
            .map(|m| src(m, Source::Interface(format!("{p}.mtu"))))
            .or_else(|| {
                cat.and_then(|c| c.spec.mtu.map(|m| src(m, Source::Network(catalog_name(c)))))
            });
        let static_only = !dhcp4.value && !dhcp6.value;
        let dns = |own: &Vec<String>,
                   field: &str,
                   global: &Vec<String>,
                   use_global: bool,
                   cat_v: Option<&Vec<String>>| {
            if !own.is_empty() {
                src(own.clone(), Source::Interface(format!("{p}.{field}")))
            } else if use_global && !global.is_empty() {
                src(
                    global.clone(),
                    Source::Global(format!("spec.network.{field}")),
                )
            } else if let (Some(c), Some(v), true, true) = (cat, cat_v, static_only, ci.is_some()) {
                src(v.clone(), Source::Network(catalog_name(c)))
            } else {
                src(Vec::new(), Source::Default("none".into()))
            }
        };
        let nameservers = dns(
            &f.nameservers,
            "nameservers",
            &global_ns,
            use_global_ns,
            cat.map(|c| &c.spec.nameservers).filter(|v| !v.is_empty()),
        );
        let search_domains = dns(
            &f.search_domains,
            "searchDomains",
            &global_sd,
            use_global_sd,
            cat.map(|c| &c.spec.search_domains)
                .filter(|v| !v.is_empty()),
        );
        let (device_name, dev_src) = match f.guest_device_name.as_deref() {
            Some(g) if !g.is_empty() => (
                g.to_string(),
                Source::Interface(format!("{p}.guestDeviceName")),
            ),
            _ if defaulted => (
                f.name.clone(),
                Source::Default("vm-operator adds eth0 when no interface is given".into()),
            ),
            _ => (f.name.clone(), Source::Interface(format!("{p}.name"))),
        };
        let mac = f
            .mac_addr
            .as_deref()
            .and_then(parse_mac)
            .map(|m| src(format_mac(&m), Source::Interface(format!("{p}.macAddr"))));
        interfaces.push(Interface {
            name: f.name.clone(),
            index: i,
            device_name: src(device_name, dev_src),
            mac,
            network: f.network.as_ref().map(|n| n.name.clone()),
            accept_ra: dhcp6.value,
            dhcp4,
            dhcp6,
            addresses,
            gateway4,
            gateway6,
            mtu,
            nameservers,
            search_domains,
            routes: f
                .routes
                .iter()
                .map(|r| Route {
                    to: r.to.clone(),
                    via: r.via.clone(),
                    metric: r.metric.filter(|m| *m != 0),
                })
                .collect(),
        });
    }
    apply_mac_policy(vm, &mut interfaces, opts.mac_policy);
    if opts.mac_policy == MacPolicy::Derive {
        for (i, mac, why) in &assigned.macs {
            if let Some(f) = interfaces.get_mut(*i) {
                let key = derive_mac_key(vm.metadata.namespace.as_deref(), vm.name(), &f.name);
                let why = match why {
                    AssignedMac::Kept => Source::Derived(format!(
                        "--mac-policy derive, kept by --ipam-state for \"{key}\""
                    )),
                    AssignedMac::Derived(how) => derived_mac_source(&key, *how),
                };
                f.mac = Some(src(format_mac(mac), why));
            }
        }
    }
    let primary_interface = primary_interface(&interfaces);
    let first_cat = specs.iter().find_map(|f| find_catalog(catalogs, vm, f));
    let nameservers = if !global_ns.is_empty() {
        src(
            global_ns.clone(),
            Source::Global("spec.network.nameservers".into()),
        )
    } else if let Some(c) = first_cat.filter(|c| !c.spec.nameservers.is_empty()) {
        src(c.spec.nameservers.clone(), Source::Network(catalog_name(c)))
    } else {
        src(Vec::new(), Source::Default("none".into()))
    };
    let search_domains = if !global_sd.is_empty() {
        src(
            global_sd.clone(),
            Source::Global("spec.network.searchDomains".into()),
        )
    } else {
        src(Vec::new(), Source::Default("none".into()))
    };
    Resolved {
        name: vm.name().to_string(),
        namespace: vm.metadata.namespace.clone(),
        provider,
        windows: vm.is_windows(),
        host_name: src(host_name, host_src),
        domain_name,
        fqdn,
        instance_id,
        nameservers,
        search_domains,
        network_disabled: disabled,
        interfaces,
        vlans: net
            .map(|n| {
                n.vlans
                    .iter()
                    .map(|v| Vlan {
                        name: v.name.clone(),
                        id: v.id.unwrap_or(0),
                        link: v.link.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        public_keys: ci
            .map(|c| c.ssh_authorized_keys.clone())
            .unwrap_or_default(),
        wait_on_network: ci.and_then(|c| {
            (c.wait_on_network4.is_some() || c.wait_on_network6.is_some()).then_some(
                WaitOnNetwork {
                    ipv4: c.wait_on_network4,
                    ipv6: c.wait_on_network6,
                },
            )
        }),
        primary_interface,
    }
}

fn apply_mac_policy(vm: &VirtualMachine, interfaces: &mut [Interface], policy: MacPolicy) {
    match policy {
        MacPolicy::Spec => {}
        MacPolicy::PciOrder => {
            for f in interfaces.iter_mut() {
                f.mac = None;
            }
        }
        MacPolicy::Derive => {
            let mut taken = crate::batch::mac::MacSet::default();
            for m in interfaces
                .iter()
                .filter_map(|f| f.mac.as_ref().and_then(|m| parse_mac(&m.value)))
            {
                taken.insert(m);
            }
            let keys: Vec<String> = interfaces
                .iter()
                .filter(|f| f.mac.is_none())
                .map(|f| derive_mac_key(vm.metadata.namespace.as_deref(), vm.name(), &f.name))
                .collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let got = crate::batch::mac::assign(
                refs.len(),
                &|i| refs.get(i).copied().unwrap_or(""),
                &|_| false,
                &mut taken,
            );
            let mut it = keys.iter().zip(got);
            for f in interfaces.iter_mut().filter(|f| f.mac.is_none()) {
                if let Some((key, d)) = it.next() {
                    f.mac = Some(src(format_mac(&d.mac()), derived_mac_source(key, d.how())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::{HEAD, vm};

    fn res(y: &str) -> Resolved {
        let v = vm(y);
        let ver = ApiVersion::parse(&v.api_version).unwrap();
        resolve(&v, ver, &[])
    }

    /// A batch's MAC comes with how it was chosen; the provenance names the interface's own
    /// key, with `default` for a missing or empty namespace (as the batch keys it).
    #[test]
    fn assigned_macs_name_their_key() {
        let opts = ResolveOptions {
            mac_policy: MacPolicy::Derive,
        };
        for (meta, ns) in [("namespace: \"\"", "default"), ("namespace: team", "team")] {
            let y = format!(
                "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: v1, {meta}}}\nspec:\n  network:\n    interfaces: [{{name: eth0, dhcp4: true}}, {{name: eth1, dhcp4: true}}]\n"
            );
            let v = vm(&y);
            let ver = ApiVersion::parse(&v.api_version).unwrap();
            let assigned = Assigned {
                macs: vec![
                    (0, [0, 0x50, 0x56, 1, 2, 3], AssignedMac::Kept),
                    (
                        1,
                        [0, 0x50, 0x56, 1, 2, 4],
                        AssignedMac::Derived(crate::batch::mac::How::Round(2)),
                    ),
                ],
                addresses: Vec::new(),
            };
            let r = resolve_assigned(&v, ver, &[], &opts, &assigned);
            let mac = |i: usize| r.interfaces[i].mac.clone().unwrap();
            assert_eq!(mac(0).value, "00:50:56:01:02:03");
            assert_eq!(
                mac(0).source,
                Source::Derived(format!(
                    "--mac-policy derive, kept by --ipam-state for \"{ns}/v1/eth0\""
                ))
            );
            assert_eq!(mac(1).value, "00:50:56:01:02:04");
            assert_eq!(
                mac(1).source,
                derived_mac_source(&format!("{ns}/v1/eth1"), crate::batch::mac::How::Round(2))
            );
            assert!(
                mac(1)
                    .source
                    .to_string()
                    .contains(&format!("\"{ns}/v1/eth1#2\"")),
                "{}",
                mac(1).source
            );
        }
    }

    #[test]
    fn default_eth0_and_hostname_from_metadata() {
        let r = res(&format!("{HEAD}spec: {{}}\n"));
        assert_eq!(r.interfaces.len(), 1);
        assert_eq!(r.interfaces[0].name, "eth0");
        assert_eq!(r.host_name.value, "my-vm");
        assert_eq!(r.host_name.source, Source::Metadata("metadata.name".into()));
    }

    #[test]
    fn global_dns_fallback_for_cloud_init_only_when_allowed() {
        let y = format!(
            "{HEAD}spec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    nameservers: [1.1.1.1]\n    interfaces: [{{name: eth0, dhcp4: true}}, {{name: eth1, dhcp4: true, nameservers: [9.9.9.9]}}]\n"
        );
        let r = res(&y);
        assert_eq!(r.interfaces[0].nameservers.value, vec!["1.1.1.1"]);
        assert_eq!(
            r.interfaces[0].nameservers.source,
            Source::Global("spec.network.nameservers".into())
        );
        assert_eq!(r.interfaces[1].nameservers.value, vec!["9.9.9.9"]);
        let y = y.replace(
            "cloudInit: {}",
            "cloudInit: {useGlobalNameserversAsDefault: false}",
        );
        assert!(res(&y).interfaces[0].nameservers.value.is_empty());
    }

    #[test]
    fn instance_id_annotation_wins_when_it_differs() {
        let y = |ann: &str| {
            format!(
                "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: a1\n  uid: u-1\n  annotations: {{{INSTANCE_ID_ANNOTATION}: {ann}}}\nspec:\n  biosUUID: b-1\n  bootstrap: {{cloudInit: {{instanceID: i-1}}}}\n"
            )
        };
        let r = res(&y("iid-datasource-none"));
        let id = r.instance_id.unwrap();
        assert_eq!(id.value, "iid-datasource-none");
        assert!(matches!(id.source, Source::Spec(p) if p.starts_with("metadata.annotations[")));
        // Equal to the derived id, or empty: the spec's value stands.
        for ann in ["i-1", "\"\""] {
            let r = res(&y(ann));
            assert_eq!(
                r.instance_id.unwrap().source,
                Source::Spec("spec.bootstrap.cloudInit.instanceID".into())
            );
        }
    }

    #[test]
    fn gateway_none_and_v1alpha5_false_dhcp() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha5\nkind: VirtualMachine\nmetadata: {name: a1}\nspec:\n  network:\n    interfaces: [{name: eth0, dhcp4: false, addresses: [10.0.0.5/24], gateway4: None}]\n";
        let r = res(y);
        assert_eq!(r.interfaces[0].gateway4, None);
        assert_eq!(
            r.interfaces[0].dhcp4.source,
            Source::Default("no DHCP unless requested".into())
        );
    }

    #[test]
    fn catalog_provides_gateway_and_dns() {
        let y = format!(
            "{HEAD}spec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    interfaces: [{{name: eth0, network: {{name: net1}}, addresses: [10.0.0.5/24]}}]\n"
        );
        let v = vm(&y);
        let cat = NetworkCatalog {
            api_version: "guestnet.dev/v1alpha1".into(),
            kind: "Network".into(),
            metadata: crate::model::ObjectMeta {
                name: Some("net1".into()),
                ..Default::default()
            },
            spec: crate::model::catalog::NetworkCatalogSpec {
                subnets: vec![crate::model::catalog::Subnet {
                    cidr: "10.0.0.0/24".into(),
                    gateway: Some("10.0.0.1".into()),
                    reserved: vec![],
                    ranges: vec![],
                }],
                nameservers: vec!["10.0.0.53".into()],
                mtu: Some(9000),
                ..Default::default()
            },
        };
        let r = resolve(&v, ApiVersion::V1alpha6, &[cat]);
        let f = &r.interfaces[0];
        assert_eq!(f.gateway4.as_ref().unwrap().value.to_string(), "10.0.0.1");
        assert_eq!(
            f.gateway4.as_ref().unwrap().source,
            Source::Network("net1".into())
        );
        assert_eq!(f.nameservers.value, vec!["10.0.0.53"]);
        assert_eq!(f.mtu.as_ref().unwrap().value, 9000);
    }
}
