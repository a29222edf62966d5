//! netplan network-config v2, the document cloud-init hands to netplan on the guest, and the
//! `network` of the cloud-init metadata, which cloud-init itself also interprets for guests
//! that do not use netplan (ifupdown, networkd, sysconfig, NetworkManager renderers).
//! Structure follows vm-operator's `NetPlanCustomization`; by default the IPv4 default
//! gateway is a `routes: [{to: 0.0.0.0/0}]` entry (netplan deprecated `gateway4/6`), and
//! `GatewayStyle::Gateway4` reproduces vm-operator's output. The IPv6 default gateway is
//! `gateway6` in both styles, the one spelling cloud-init 22.4 reads right. Either way an
//! interface carries one default route per family and metric. Where the output departs from
//! vm-operator's bytes (no empty `nameservers`, `set-name` for name-matched devices), it is
//! because cloud-init 22.4 (Debian 12) would otherwise configure the guest differently.

use super::yaml_out::{Yaml, map, s, strs, to_string};
use super::{Artifact, GatewayStyle, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ip;
use crate::resolve::{Interface, Resolved};
use std::net::IpAddr;

/// The destination of a default route. netplan also accepts `default`, but cloud-init's
/// network-config v2 reader before 25.1 does not (`Address default is not a valid ip
/// address`, uncaught at boot), so guestnet writes the CIDR every version accepts.
fn default_destination(via: IpAddr) -> &'static str {
    if via.is_ipv4() { "0.0.0.0/0" } else { "::/0" }
}

/// The `network:` value: `{version: 2, ethernets, vlans?}`.
pub fn network_config(r: &Resolved, opts: &RenderOptions, diags: &mut Vec<Diagnostic>) -> Yaml {
    let ethernets: Vec<(&str, Yaml)> = r
        .interfaces
        .iter()
        .map(|f| (f.name.as_str(), ethernet(f, opts, diags)))
        .collect();
    let mut top = vec![("version", Yaml::Int(2)), ("ethernets", map(ethernets))];
    if !r.vlans.is_empty() {
        for (k, v) in r.vlans.iter().enumerate() {
            // cloud-init 22.4's v2 reader takes `link` (the netplan ID) as the raw device.
            let parent = r.interfaces.iter().find(|f| f.name == v.link);
            if let Some(f) = parent.filter(|f| f.device_name.value != f.name) {
                diags.push(Diagnostic::new(
                    Code::LossyTranslation,
                    format!("spec.network.vlans[{k}].link"),
                    format!(
                        "cloud-init 22.4 (Debian 12) puts VLAN {} on a device named {}, not on the guest device {}, for ifupdown, networkd and sysconfig guests; only netplan guests get it right",
                        v.name, f.name, f.device_name.value
                    ),
                ).with_help("leave guestDeviceName unset on an interface that carries VLANs, or use netplan guests"));
            }
        }
        let vlans = r
            .vlans
            .iter()
            .map(|v| {
                (
                    v.name.as_str(),
                    map(vec![
                        ("id", Yaml::Int(v.id)),
                        ("link", s(v.link.clone())),
                        ("dhcp4", Yaml::Bool(false)),
                        ("dhcp6", Yaml::Bool(false)),
                        ("accept-ra", Yaml::Bool(false)),
                    ]),
                )
            })
            .collect();
        top.push(("vlans", map(vlans)));
    }
    map(top)
}

/// Whether a route destination is a default route (`default`, `0.0.0.0/0`, `::/0`).
fn is_default(to: &str) -> bool {
    to == "default" || ip::parse_cidr(to).is_ok_and(|c| c.prefix == 0)
}

fn ethernet(f: &Interface, opts: &RenderOptions, diags: &mut Vec<Diagnostic>) -> Yaml {
    let mut e: Vec<(&str, Yaml)> = vec![
        ("dhcp4", Yaml::Bool(f.dhcp4.value)),
        ("dhcp6", Yaml::Bool(f.dhcp6.value)),
        ("accept-ra", Yaml::Bool(f.accept_ra)),
    ];
    let path = format!("spec.network.interfaces[{}]", f.index);
    match &f.mac {
        Some(mac) => {
            e.push(("match", map(vec![("macaddress", s(mac.value.clone()))])));
            e.push(("set-name", s(f.device_name.value.clone())));
        }
        None => {
            e.push(("match", map(vec![("name", s(f.device_name.value.clone()))])));
            // cloud-init's v2 reader (every renderer but netplan's) names the device after
            // the ethernets key unless `set-name` says otherwise; `match: name` is netplan's.
            if f.device_name.value != f.name {
                e.push(("set-name", s(f.device_name.value.clone())));
            }
            diags.push(
                Diagnostic::new(
                    Code::LossyTranslation,
                    path.clone(),
                    format!(
                        "no MAC address is known for interface {}: netplan matches the guest device by name `{}`",
                        f.name, f.device_name.value
                    ),
                )
                .with_severity(Severity::Info)
                .with_help("vm-operator matches by the NIC's MAC; set macAddr so offline output matches too"),
            );
        }
    }
    if !f.addresses.is_empty() {
        e.push((
            "addresses",
            strs(f.addresses.iter().map(|a| a.value.to_string())),
        ));
    }
    let gateway4 = f.gateway4.as_ref().map(|g| g.value);
    // The IPv6 default gateway is always `gateway6`: cloud-init 22.4's v2 reader (Debian
    // 12; every renderer but netplan's) turns a `::/0` route into `::/64`, so the guest
    // would have no IPv6 default route. A user's metric-less IPv6 default route stands in
    // for a missing gateway6.
    let folded = match &f.gateway6 {
        Some(_) => None,
        None => f.routes.iter().position(|r| {
            r.metric.is_none()
                && is_default(&r.to)
                && ip::parse_ip(&r.via).is_some_and(|v| !v.is_ipv4())
        }),
    };
    let gateway6 = f
        .gateway6
        .as_ref()
        .map(|g| g.value)
        .or_else(|| folded.and_then(|j| ip::parse_ip(&f.routes[j].via)));
    let mut routes: Vec<Yaml> = Vec::new();
    // (destination, next hop, metric) already written: the same route twice is one route,
    // and netplan rejects a default route declared twice.
    let mut declared: Vec<(String, Option<IpAddr>, Option<i64>)> = Vec::new();
    if let Some(gw) = gateway4 {
        match opts.gateway_style {
            GatewayStyle::Gateway4 => e.push(("gateway4", s(gw.to_string()))),
            GatewayStyle::Routes => routes.push(map(vec![
                ("to", s(default_destination(gw))),
                ("via", s(gw.to_string())),
            ])),
        }
    }
    if let Some(gw) = gateway6 {
        e.push(("gateway6", s(gw.to_string())));
    }
    for (j, r) in f.routes.iter().enumerate() {
        let rp = format!("{path}.routes[{j}]");
        let via = ip::parse_ip(&r.via);
        let default = is_default(&r.to);
        if Some(j) == folded {
            diags.push(
                Diagnostic::new(
                    Code::EquivalentForm,
                    format!("{rp}.to"),
                    format!(
                        "the IPv6 default route via {} is written as `gateway6`: cloud-init 22.4 (Debian 12) reads a `::/0` route as `::/64`",
                        r.via
                    ),
                )
                .with_severity(Severity::Info),
            );
            continue;
        }
        let to = match (r.to.as_str(), via) {
            ("default", Some(v)) => {
                diags.push(
                    Diagnostic::new(
                        Code::EquivalentForm,
                        format!("{rp}.to"),
                        format!(
                            "`to: default` is written as `to: {}`: cloud-init before 25.1 (Debian 12 ships 22.4.2) rejects `default` and the guest boots without network",
                            default_destination(v)
                        ),
                    )
                    .with_severity(Severity::Info),
                );
                default_destination(v).to_string()
            }
            _ => r.to.clone(),
        };
        if declared.contains(&(to.clone(), via, r.metric)) {
            continue;
        }
        declared.push((to.clone(), via, r.metric));
        // One default route per family and metric: the interface's gateway already is the
        // default route via X, and netplan rejects the same declaration twice.
        let repeats_gateway =
            default && r.metric.is_none() && via.is_some() && (via == gateway4 || via == gateway6);
        if repeats_gateway {
            continue;
        }
        if default && via.is_some_and(|v| !v.is_ipv4()) {
            diags.push(Diagnostic::new(
                Code::LossyTranslation,
                rp.clone(),
                format!(
                    "cloud-init 22.4 (Debian 12) renders this IPv6 default route via {} as a route to `::/64`, without its metric, for ifupdown, networkd and sysconfig guests; only netplan guests get it as written",
                    r.via
                ),
            ).with_help("make it the interface's gateway6, or leave the other IPv6 default routes out"));
        } else if default && r.metric.is_some() {
            diags.push(Diagnostic::new(
                Code::LossyTranslation,
                rp.clone(),
                format!(
                    "cloud-init 22.4 (Debian 12) drops the metric of this default route via {} for ifupdown, networkd and sysconfig guests, where it then competes with the other default routes",
                    r.via
                ),
            ).with_help("keep one default route per family, or use netplan guests"));
        }
        let mut route = vec![("to", s(to)), ("via", s(r.via.clone()))];
        if let Some(m) = r.metric {
            route.push(("metric", Yaml::Int(m)));
        }
        routes.push(map(route));
    }
    if !routes.is_empty() {
        // cloud-init 22.4's v2 reader hangs routes on the interface's first subnet.
        if f.addresses.is_empty() && !f.dhcp4.value && !f.dhcp6.value {
            diags.push(Diagnostic::new(
                Code::LossyTranslation,
                format!("{path}.routes"),
                format!(
                    "interface {} has routes but neither addresses nor DHCP: cloud-init 22.4 (Debian 12) drops them for ifupdown, networkd and sysconfig guests",
                    f.name
                ),
            ).with_help("give the interface an address or DHCP, or describe its network in a guestnet Network catalog"));
        }
        e.push(("routes", Yaml::Seq(routes)));
    }
    if let Some(mtu) = &f.mtu {
        e.push(("mtu", Yaml::Int(mtu.value)));
    }
    // No `nameservers: {}` (vm-operator writes one): cloud-init 22.4's v2 reader rejects a
    // nameservers block without addresses and then skips the DNS of every later interface.
    let mut ns = Vec::new();
    if !f.nameservers.value.is_empty() {
        ns.push(("addresses", strs(f.nameservers.value.iter().cloned())));
    }
    if !f.search_domains.value.is_empty() {
        if f.nameservers.value.is_empty() {
            diags.push(Diagnostic::new(
                Code::LossyTranslation,
                format!("{path}.searchDomains"),
                format!(
                    "search domains without nameservers: cloud-init 22.4 (Debian 12) rejects them for ifupdown, networkd and sysconfig guests and loses the DNS settings of {} and of every interface after it; only netplan guests get them",
                    f.name
                ),
            ).with_help("give the interface nameservers too"));
        }
        ns.push(("search", strs(f.search_domains.value.iter().cloned())));
    }
    if !ns.is_empty() {
        e.push(("nameservers", map(ns)));
    }
    map(e)
}

pub fn render(r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut diagnostics = Vec::new();
    let doc = map(vec![("network", network_config(r, opts, &mut diagnostics))]);
    Rendered {
        artifacts: vec![Artifact {
            name: "netplan.yaml".into(),
            content: to_string(&doc),
        }],
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CompileOptions, compile_str};

    fn netplan(spec_iface: &str, style: GatewayStyle) -> (String, Vec<Diagnostic>) {
        let y = format!(
            "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: vm1}}\nspec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    interfaces:\n    - {spec_iface}\n"
        );
        let c = compile_str(&y, &[], &CompileOptions::default());
        let r = c.units[0].resolved.as_ref().expect("resolved");
        let opts = RenderOptions {
            gateway_style: style,
            ..RenderOptions::default()
        };
        let out = render(r, &opts);
        (out.artifacts[0].content.clone(), out.diagnostics)
    }

    #[test]
    fn default_routes_are_cidrs_every_cloud_init_reads() {
        let (y, _) = netplan(
            "{name: eth0, addresses: [10.0.0.5/24, 'fd00::5/64'], gateway4: 10.0.0.1, gateway6: 'fd00::1'}",
            GatewayStyle::Routes,
        );
        assert!(!y.contains("default"), "{y}");
        assert!(
            y.contains("to: \"0.0.0.0/0\"\n        via: \"10.0.0.1\""),
            "{y}"
        );
        // cloud-init 22.4 reads `::/0` as `::/64`; gateway6 is what it reads right.
        assert!(!y.contains("::/0"), "{y}");
        assert!(y.contains("gateway6: \"fd00::1\""), "{y}");
    }

    #[test]
    fn a_users_ipv6_default_route_becomes_the_missing_gateway6() {
        let (y, d) = netplan(
            "{name: eth0, addresses: ['fd00::5/64'], routes: [{to: default, via: 'fd00::1'}, {to: '::/0', via: 'fd00::2', metric: 10}]}",
            GatewayStyle::Routes,
        );
        assert!(y.contains("gateway6: \"fd00::1\""), "{y}");
        assert_eq!(y.matches("fd00::1").count(), 1, "{y}");
        assert!(
            y.contains("metric: 10\n        to: \"::/0\"\n        via: \"fd00::2\""),
            "{y}"
        );
        let lossy: Vec<_> = d
            .iter()
            .filter(|d| d.code == Code::LossyTranslation && d.severity == Severity::Warning)
            .collect();
        assert_eq!(lossy.len(), 1, "{d:?}");
        assert_eq!(lossy[0].path, "spec.network.interfaces[0].routes[1]");
        assert!(lossy[0].message.contains("::/64"), "{d:?}");
    }

    #[test]
    fn no_empty_nameservers_and_search_alone_is_warned() {
        let (y, d) = netplan("{name: eth0, dhcp4: true}", GatewayStyle::Routes);
        assert!(!y.contains("nameservers"), "{y}");
        assert!(
            d.iter()
                .all(|d| d.code != Code::LossyTranslation || d.severity == Severity::Info),
            "{d:?}"
        );
        let (y, d) = netplan(
            "{name: eth0, dhcp4: true, searchDomains: [example.com]}",
            GatewayStyle::Routes,
        );
        assert!(
            y.contains("nameservers:\n        search:\n        - example.com"),
            "{y}"
        );
        assert!(
            d.iter().any(|d| d.code == Code::LossyTranslation
                && d.path == "spec.network.interfaces[0].searchDomains"),
            "{d:?}"
        );
    }

    #[test]
    fn a_vlan_on_a_renamed_device_is_warned() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, dhcp4: true, guestDeviceName: ens192}\n    vlans:\n    - {name: vlan100, id: 100, link: eth0}\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let out = render(
            c.units[0].resolved.as_ref().expect("resolved"),
            &RenderOptions::default(),
        );
        assert!(
            out.diagnostics.iter().any(|d| d.code == Code::LossyTranslation
                && d.path == "spec.network.vlans[0].link"),
            "{:?}",
            out.diagnostics
        );
    }

    #[test]
    fn routes_without_addresses_are_warned() {
        let (_, d) = netplan(
            "{name: eth0, routes: [{to: 10.0.0.0/8, via: 192.168.1.254}]}",
            GatewayStyle::Routes,
        );
        assert!(
            d.iter().any(|d| d.code == Code::LossyTranslation
                && d.path == "spec.network.interfaces[0].routes"),
            "{d:?}"
        );
    }

    #[test]
    fn a_name_matched_device_is_also_set_name() {
        // cloud-init's v2 reader names the device after the ethernets key otherwise.
        let (y, _) = netplan(
            "{name: eth0, dhcp4: true, guestDeviceName: ens33}",
            GatewayStyle::Routes,
        );
        assert!(
            y.contains("match:\n        name: ens33\n      set-name: ens33"),
            "{y}"
        );
        let (y, _) = netplan("{name: eth0, dhcp4: true}", GatewayStyle::Routes);
        assert!(!y.contains("set-name"), "{y}");
    }

    #[test]
    fn a_users_default_route_is_normalised_with_a_note() {
        let (y, d) = netplan(
            "{name: eth0, addresses: [10.0.0.5/24], routes: [{to: default, via: 10.0.0.9, metric: 50}]}",
            GatewayStyle::Routes,
        );
        assert!(y.contains("metric: 50\n        to: \"0.0.0.0/0\""), "{y}");
        let notes: Vec<_> = d
            .iter()
            .filter(|d| d.code == Code::EquivalentForm)
            .collect();
        assert_eq!(notes.len(), 1, "{d:?}");
        assert_eq!(notes[0].path, "spec.network.interfaces[0].routes[0].to");
        assert_eq!(notes[0].severity, Severity::Info);
    }

    #[test]
    fn one_default_route_per_family_in_either_style() {
        for style in [GatewayStyle::Routes, GatewayStyle::Gateway4] {
            let (y, _) = netplan(
                "{name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1, routes: [{to: default, via: 10.0.0.1}, {to: 0.0.0.0/0, via: 10.0.0.1}]}",
                style,
            );
            let declared = y.matches("10.0.0.1").count();
            assert_eq!(declared, 1, "{style:?}:\n{y}");
            // Without a gateway, the two spellings of one route are still one route.
            let (y, _) = netplan(
                "{name: eth0, addresses: [10.0.0.5/24], routes: [{to: default, via: 10.0.0.1}, {to: 0.0.0.0/0, via: 10.0.0.1}]}",
                style,
            );
            assert_eq!(y.matches("10.0.0.1").count(), 1, "{style:?}:\n{y}");
        }
    }

    #[test]
    fn a_default_route_with_its_own_metric_is_kept() {
        let (y, d) = netplan(
            "{name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1, routes: [{to: default, via: 10.0.0.1, metric: 200}]}",
            GatewayStyle::Gateway4,
        );
        assert!(y.contains("gateway4: \"10.0.0.1\""), "{y}");
        assert!(y.contains("metric: 200"), "{y}");
        assert!(
            d.iter().any(|d| d.code == Code::LossyTranslation && d.message.contains("drops the metric")),
            "{d:?}"
        );
    }
}
