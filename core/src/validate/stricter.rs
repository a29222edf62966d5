//! Checks vm-operator does not make but a guest needs: gateways inside a subnet, sane MTUs,
//! resolver limits, duplicates, usable addresses, MAC ranges, Windows names, catalog subnets.
//! Each one is a failure we have seen reach a VM's first boot.

use super::{Ctx, iface_path};
use crate::diagnostic::{Code, Diagnostic};
use crate::ip::{Cidr, parse_cidr, parse_ip, parse_mac, unusable_reason};
use crate::model::InterfaceSpec;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The Linux resolver reads at most this many nameservers (MAXNS in resolv.h).
pub const MAX_NAMESERVERS: usize = 3;
/// vmxnet3 and vSphere distributed switches top out at 9000.
pub const MAX_MTU: i64 = 9000;
pub const MIN_MTU_V4: i64 = 68;
pub const MIN_MTU_V6: i64 = 1280;

fn cidrs(iface: &InterfaceSpec) -> Vec<(usize, Cidr)> {
    iface
        .addresses
        .iter()
        .enumerate()
        .filter_map(|(j, a)| parse_cidr(a).ok().map(|c| (j, c)))
        .collect()
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let Some(net) = cx.vm.network() else { return };
    if net.nameservers.len() > MAX_NAMESERVERS {
        cx.push(too_many_ns(
            "spec.network.nameservers",
            net.nameservers.len(),
        ));
    }
    for (i, d) in net.search_domains.iter().enumerate() {
        check_search_domain(cx, &format!("spec.network.searchDomains[{i}]"), d);
    }
    if cx.vm.is_windows() {
        check_windows_name(cx);
    }
    // Field paths are written only for a finding: a clean VM (nearly every one) formats
    // none, where formatting them up front was a tenth of a batch's allocations.
    let mut seen_ip: BTreeMap<IpAddr, (usize, usize)> = BTreeMap::new();
    let mut seen_mac: BTreeMap<[u8; 6], usize> = BTreeMap::new();
    let mut seen_dev: BTreeMap<&str, usize> = BTreeMap::new();
    let mut defaults: [Vec<DefaultRoute>; 2] = [Vec::new(), Vec::new()];
    for (i, iface) in net.interfaces.iter().enumerate() {
        let p = iface_path(i);
        let nets = cidrs(iface);
        for (j, c) in &nets {
            let ap = || format!("{p}.addresses[{j}]");
            if let Some(why) = unusable_reason(c) {
                cx.push(
                    Diagnostic::invalid(
                        Code::UnusableAddress,
                        ap(),
                        &c.to_string(),
                        &format!("{} {why}", c.addr),
                    )
                    .with_help(
                        "an interface address must be a unicast host address inside its subnet",
                    ),
                );
            }
            if let Some((pi, pj)) = seen_ip.insert(c.addr, (i, *j)) {
                cx.push(Diagnostic::invalid(
                    Code::Duplicate,
                    ap(),
                    &c.to_string(),
                    &format!(
                        "address {} is already assigned at {}.addresses[{pj}]",
                        c.addr,
                        iface_path(pi)
                    ),
                ));
            }
        }
        if let Some(m) = iface.mac_addr.as_deref().and_then(parse_mac) {
            check_mac(cx, &p, m);
            if let Some(prev) = seen_mac.insert(m, i) {
                cx.push(Diagnostic::invalid(
                    Code::Duplicate,
                    format!("{p}.macAddr"),
                    iface.mac_addr.as_deref().unwrap_or(""),
                    &format!(
                        "MAC address is already used at {}.macAddr",
                        iface_path(prev)
                    ),
                ));
            }
        }
        let dev: &str = iface.guest_device_name.as_deref().unwrap_or(&iface.name);
        if !dev.is_empty()
            && let Some(prev) = seen_dev.insert(dev, i)
            && iface.guest_device_name.is_some()
        {
            cx.push(Diagnostic::invalid(
                Code::Duplicate,
                format!("{p}.guestDeviceName"),
                dev,
                &format!("guest device name is already used by {}", iface_path(prev)),
            ));
        }
        // Only cloud-init renames the device (netplan `set-name`); the kernel refuses names
        // of IFNAMSIZ (16) bytes or more, and the guest comes up with the old name.
        if cx.vm.provider() == crate::model::Provider::CloudInit && dev.len() > 15 {
            let (field, how) = match &iface.guest_device_name {
                Some(_) => ("guestDeviceName", "guestDeviceName"),
                None => ("name", "without guestDeviceName, the interface name"),
            };
            cx.push(
                Diagnostic::invalid(
                    Code::InterfaceNameLength,
                    format!("{p}.{field}"),
                    dev,
                    &format!(
                        "{how} becomes the guest's device name, and a Linux interface name is at most 15 bytes (IFNAMSIZ); this one is {}",
                        dev.len()
                    ),
                )
                .with_help("set a guestDeviceName of at most 15 bytes"),
            );
        }
        for (fam, gw, path) in [
            (4u8, iface.gateway4.as_deref(), "gateway4"),
            (6, iface.gateway6.as_deref(), "gateway6"),
        ] {
            let Some(gw) = gw.filter(|g| *g != "None" && !g.is_empty()) else {
                continue;
            };
            let Some(ip) = parse_ip(gw) else { continue };
            if ip.is_ipv4() != (fam == 4) {
                continue;
            }
            defaults[usize::from(fam == 6)].push((Declared::Gateway(path), i, ip, None));
            let same: Vec<&Cidr> = nets
                .iter()
                .map(|(_, c)| c)
                .filter(|c| c.is_ipv4() == (fam == 4))
                .collect();
            if same.is_empty() {
                continue;
            }
            if same.iter().any(|c| c.addr == ip) {
                cx.push(Diagnostic::invalid(
                    Code::GatewayIsAddress,
                    format!("{p}.{path}"),
                    gw,
                    "the gateway is the interface's own address",
                ));
                continue;
            }
            let link_local = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
            if !link_local && !same.iter().any(|c| c.contains(ip)) {
                let list: Vec<String> = same.iter().map(|c| c.to_string()).collect();
                cx.push(Diagnostic::invalid(Code::GatewayOutsideSubnet, format!("{p}.{path}"), gw,
                    &format!("gateway {gw} is not inside {}", list.join(" or ")))
                    .with_help("the guest cannot reach a gateway outside its subnets; fix the gateway or the prefix length"));
            }
        }
        // 0 is vm-operator's "the OS default" (no mtu key is written).
        if let Some(mtu) = iface.mtu.filter(|m| *m != 0) {
            let v6 = nets.iter().any(|(_, c)| !c.is_ipv4()) || iface.dhcp6 == Some(true);
            let min = if v6 { MIN_MTU_V6 } else { MIN_MTU_V4 };
            if !(min..=MAX_MTU).contains(&mtu) {
                cx.push(Diagnostic::invalid_int(
                    Code::MtuRange,
                    format!("{p}.mtu"),
                    mtu,
                    &format!(
                        "mtu must be between {min} and {MAX_MTU}{}",
                        if v6 { " on an interface with IPv6" } else { "" }
                    ),
                ));
            }
        }
        if iface.nameservers.len() > MAX_NAMESERVERS {
            cx.push(too_many_ns(
                &format!("{p}.nameservers"),
                iface.nameservers.len(),
            ));
        }
        for (j, d) in iface.search_domains.iter().enumerate() {
            check_search_domain(cx, &format!("{p}.searchDomains[{j}]"), d);
        }
        for (j, r) in iface.routes.iter().enumerate() {
            let rp = || format!("{p}.routes[{j}]");
            let via = parse_ip(&r.via);
            if r.to == "default" {
                if let Some(v) = via {
                    defaults[usize::from(!v.is_ipv4())].push((Declared::Route(j), i, v, r.metric));
                }
            } else if let Ok(to) = parse_cidr(&r.to) {
                if to.has_host_bits() {
                    cx.push(Diagnostic::invalid(
                        Code::NonCanonicalCidr,
                        format!("{}.to", rp()),
                        &r.to,
                        &format!(
                            "host bits are set; the route covers {}/{}",
                            to.network(),
                            to.prefix
                        ),
                    ));
                }
                if to.prefix == 0
                    && let Some(v) = via
                {
                    defaults[usize::from(!v.is_ipv4())].push((Declared::Route(j), i, v, r.metric));
                }
            }
            if let Some(v) = via {
                let link_local =
                    matches!(v, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
                let same: Vec<&Cidr> = nets
                    .iter()
                    .map(|(_, c)| c)
                    .filter(|c| c.is_ipv4() == v.is_ipv4())
                    .collect();
                if !link_local && !same.is_empty() && !same.iter().any(|c| c.contains(v)) {
                    cx.push(Diagnostic::invalid(Code::UnreachableVia, format!("{}.via", rp()), &r.via,
                        "the next hop is not inside any subnet of this interface").with_help("netplan needs `on-link: true` for such a route, which vm-operator cannot express"));
                }
            }
        }
        let no_ipam =
            iface.addresses.is_empty() && iface.dhcp4 != Some(true) && iface.dhcp6 != Some(true);
        if no_ipam && catalog_for(cx, iface).is_none() {
            cx.push(Diagnostic::new(Code::NoAddressing, p.clone(),
                format!("interface {} has neither DHCP nor static addresses: the guest gets whatever the network provider assigns", iface.name))
                .with_help("set dhcp4/dhcp6, addresses, or describe the network in a guestnet Network catalog"));
        }
        check_catalog(cx, &p, iface, &nets);
    }
    for (fam, list) in [(4, &defaults[0]), (6, &defaults[1])] {
        // netplan declares one default route per family, table and metric across all
        // interfaces. The same next hop declared twice on one interface (gateway4 plus
        // `to: default`) is one declaration in guestnet's output; the same next hop on two
        // interfaces is two, and a default route with its own metric is a deliberate
        // fallback, not a conflict.
        let mut distinct: Vec<&DefaultRoute> = Vec::new();
        for d in list {
            if !distinct
                .iter()
                .any(|x| x.1 == d.1 && x.2 == d.2 && x.3 == d.3)
            {
                distinct.push(d);
            }
        }
        let mut metrics: Vec<Option<i64>> = distinct.iter().map(|d| d.3).collect();
        metrics.sort();
        metrics.dedup();
        for metric in metrics {
            let group: Vec<String> = distinct
                .iter()
                .filter(|d| d.3 == metric)
                .map(|d| d.0.path(d.1))
                .collect();
            let Some(second) = group.get(1) else { continue };
            let with = metric
                .map(|m| format!(" with metric {m}"))
                .unwrap_or_default();
            cx.push(Diagnostic::new(Code::MultipleDefaultRoutes, second.as_str(),
                format!("more than one IPv{fam} default route{with} ({}); the guest picks one arbitrarily", group.join(", ")))
                .with_help("keep one default gateway per family, give the others a metric, or use gateway4: None on secondary interfaces"));
        }
    }
}

/// A default route declaration: (where, interface index, next hop, metric); a gateway has
/// no metric.
type DefaultRoute = (Declared, usize, IpAddr, Option<i64>);

/// Where on its interface a default route is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Declared {
    /// `gateway4` or `gateway6`.
    Gateway(&'static str),
    /// `routes[j]`.
    Route(usize),
}

impl Declared {
    fn path(self, iface: usize) -> String {
        match self {
            Declared::Gateway(g) => format!("{}.{g}", iface_path(iface)),
            Declared::Route(j) => format!("{}.routes[{j}]", iface_path(iface)),
        }
    }
}

fn too_many_ns(path: &str, n: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooManyNameservers,
        path,
        format!("{n} nameservers; the Linux resolver uses only the first {MAX_NAMESERVERS}"),
    )
}

fn check_search_domain(cx: &mut Ctx<'_>, path: &str, d: &str) {
    let body = d.strip_suffix('.').unwrap_or(d);
    let ok = !body.is_empty()
        && body.len() <= 253
        && body.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    if !ok {
        cx.push(Diagnostic::invalid(
            Code::SearchDomain,
            path,
            d,
            "search domain must be a DNS name",
        ));
    }
}

/// `p` is the interface's path.
fn check_mac(cx: &mut Ctx<'_>, p: &str, m: [u8; 6]) {
    let (code, msg) = if m[0] & 1 == 1 {
        (
            Code::MulticastMac,
            "a multicast MAC cannot be a NIC address",
        )
    } else {
        let msg = match (m[0], m[1], m[2], m[3]) {
            (0x00, 0x50, 0x56, b) if b <= 0x3f => return,
            (0x00, 0x50, 0x56, b) if (0x80..=0xbf).contains(&b) => {
                "vCenter generates MACs in 00:50:56:80:00:00-00:50:56:bf:ff:ff itself; a manual MAC there can collide"
            }
            (0x00, 0x0c, 0x29, _) => {
                "00:0c:29 is generated by ESXi/Workstation; a manual MAC there can collide"
            }
            _ => {
                "vSphere accepts manual MACs only in 00:50:56:00:00:00-00:50:56:3f:ff:ff unless checkMACAddress is disabled"
            }
        };
        (Code::MacRange, msg)
    };
    cx.push(Diagnostic::invalid(
        code,
        format!("{p}.macAddr"),
        &crate::ip::format_mac(&m),
        msg,
    ));
}

fn check_windows_name(cx: &mut Ctx<'_>) {
    let vm = cx.vm;
    let net = vm.network();
    let (host, path) = match net.and_then(|n| n.host_name.as_deref()) {
        Some(h) if !h.is_empty() => (h, "spec.network.hostName"),
        _ => (vm.name(), "metadata.name"),
    };
    if crate::ip::parse_ip(host).is_some() {
        return;
    }
    const FORBIDDEN: &str = "\\/:*?\"<>|,~!@#$%^&'.(){}_ ";
    if let Some(c) = host
        .chars()
        .find(|c| FORBIDDEN.contains(*c) || c.is_control())
    {
        cx.push(Diagnostic::invalid(
            Code::WindowsComputerName,
            path,
            host,
            &format!("a Windows computer name may not contain {c:?}"),
        ));
    } else if !host.is_empty() && host.bytes().all(|b| b.is_ascii_digit()) {
        cx.push(Diagnostic::invalid(
            Code::WindowsComputerName,
            path,
            host,
            "a Windows computer name may not consist only of digits",
        ));
    }
}

pub(crate) fn catalog_for<'a>(
    cx: &Ctx<'a>,
    iface: &InterfaceSpec,
) -> Option<&'a crate::model::NetworkCatalog> {
    crate::resolve::find_catalog(cx.catalogs, cx.vm, iface)
}

fn check_catalog(cx: &mut Ctx<'_>, p: &str, iface: &InterfaceSpec, nets: &[(usize, Cidr)]) {
    if cx.catalogs.is_empty() {
        return;
    }
    let Some(cat) = catalog_for(cx, iface) else {
        if let Some(n) = &iface.network {
            cx.push(Diagnostic::invalid(
                Code::UnknownNetwork,
                format!("{p}.network.name"),
                &n.name,
                "no guestnet Network catalog describes this network",
            ));
        }
        return;
    };
    let subnets: Vec<Cidr> = cat
        .spec
        .subnets
        .iter()
        .filter_map(|s| parse_cidr(&s.cidr).ok())
        .collect();
    if subnets.is_empty() {
        return;
    }
    for (j, c) in nets {
        let fam: Vec<&Cidr> = subnets
            .iter()
            .filter(|s| s.is_ipv4() == c.is_ipv4())
            .collect();
        if fam.is_empty() {
            continue;
        }
        match fam.iter().find(|s| s.contains(c.addr)) {
            None => {
                let list: Vec<String> = fam.iter().map(|s| s.to_string()).collect();
                cx.push(Diagnostic::invalid(
                    Code::OutsideNetwork,
                    format!("{p}.addresses[{j}]"),
                    &c.to_string(),
                    &format!(
                        "{} is outside network {} ({})",
                        c.addr,
                        cat.metadata.name.as_deref().unwrap_or(""),
                        list.join(", ")
                    ),
                ));
            }
            Some(s) if s.prefix != c.prefix => {
                cx.push(Diagnostic::invalid(
                    Code::SubnetPrefixMismatch,
                    format!("{p}.addresses[{j}]"),
                    &c.to_string(),
                    &format!(
                        "prefix length /{} differs from the network's subnet {s}",
                        c.prefix
                    ),
                ));
            }
            Some(_) => {
                let reserved = cat
                    .spec
                    .subnets
                    .iter()
                    .flat_map(|s| s.reserved.iter())
                    .any(|r| parse_ip(r) == Some(c.addr));
                if reserved {
                    cx.push(Diagnostic::invalid(
                        Code::OutsideNetwork,
                        format!("{p}.addresses[{j}]"),
                        &c.to_string(),
                        &format!(
                            "{} is reserved on network {}",
                            c.addr,
                            cat.metadata.name.as_deref().unwrap_or("")
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::test_util::{ci, run};

    #[test]
    fn gateway_outside_subnet() {
        let r = run(&ci(
            "    - name: eth0\n      addresses: [10.0.0.5/24]\n      gateway4: 10.0.1.1\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN201 spec.network.interfaces[0].gateway4: Invalid value: \"10.0.1.1\": gateway 10.0.1.1 is not inside 10.0.0.5/24"
            ]
        );
    }

    #[test]
    fn mtu_and_dns_limits() {
        let r = run(&ci(
            "    - name: eth0\n      dhcp6: true\n      mtu: 1000\n      nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN203 spec.network.interfaces[0].mtu: Invalid value: 1000: mtu must be between 1280 and 9000 on an interface with IPv6",
                "GN204 spec.network.interfaces[0].nameservers: 4 nameservers; the Linux resolver uses only the first 3",
            ]
        );
    }

    #[test]
    fn duplicates_and_unusable() {
        let r = run(&ci(
            "    - name: eth0\n      addresses: [10.0.0.5/24, 10.0.0.0/24]\n    - name: eth1\n      addresses: [10.0.0.5/24]\n",
        ));
        assert_eq!(
            r,
            vec![
                "GN212 spec.network.interfaces[0].addresses[1]: Invalid value: \"10.0.0.0/24\": 10.0.0.0 is the network address of its subnet",
                "GN205 spec.network.interfaces[1].addresses[0]: Invalid value: \"10.0.0.5/24\": address 10.0.0.5 is already assigned at spec.network.interfaces[0].addresses[0]",
            ]
        );
    }

    #[test]
    fn one_next_hop_on_two_interfaces_is_two_default_routes() {
        // netplan: "Conflicting default route declarations ... first declared in eth1 but
        // also in eth0"; the same declaration twice on one interface is one route.
        let r = run(&ci(
            "    - name: eth0\n      addresses: [10.0.0.5/24]\n      gateway4: 10.0.0.1\n    - name: eth1\n      addresses: [10.0.0.6/24]\n      gateway4: 10.0.0.1\n    - name: eth2\n      addresses: [10.2.0.6/24]\n      gateway4: 10.2.0.1\n      routes: [{to: default, via: 10.2.0.1}, {to: 0.0.0.0/0, via: 10.2.0.1}]\n",
        ));
        assert_eq!(r.len(), 1, "{r:?}");
        assert!(
            r[0].contains("(spec.network.interfaces[0].gateway4, spec.network.interfaces[1].gateway4, spec.network.interfaces[2].gateway4)"),
            "{r:?}"
        );
    }

    #[test]
    fn multiple_default_routes() {
        let r = run(&ci(
            "    - name: eth0\n      addresses: [10.0.0.5/24]\n      gateway4: 10.0.0.1\n    - name: eth1\n      addresses: [10.1.0.5/24]\n      gateway4: 10.1.0.1\n",
        ));
        assert_eq!(r.len(), 1);
        assert!(
            r[0].starts_with(
                "GN213 spec.network.interfaces[1].gateway4: more than one IPv4 default route"
            ),
            "{r:?}"
        );
    }
}
