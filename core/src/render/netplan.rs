//! netplan network-config v2, the document cloud-init hands to netplan on the guest.
//! Structure follows vm-operator's `NetPlanCustomization`; by default the default gateway is
//! a `routes: [{to: 0.0.0.0/0}]` entry (netplan deprecated `gateway4/6`), and
//! `GatewayStyle::Gateway4` reproduces vm-operator's output. Either way an interface carries
//! one default route per family and metric.

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

fn ethernet(f: &Interface, opts: &RenderOptions, diags: &mut Vec<Diagnostic>) -> Yaml {
    let mut e: Vec<(&str, Yaml)> = vec![
        ("dhcp4", Yaml::Bool(f.dhcp4.value)),
        ("dhcp6", Yaml::Bool(f.dhcp6.value)),
        ("accept-ra", Yaml::Bool(f.accept_ra)),
    ];
    match &f.mac {
        Some(mac) => {
            e.push(("match", map(vec![("macaddress", s(mac.value.clone()))])));
            e.push(("set-name", s(f.device_name.value.clone())));
        }
        None => {
            e.push(("match", map(vec![("name", s(f.device_name.value.clone()))])));
            diags.push(
                Diagnostic::new(
                    Code::LossyTranslation,
                    format!("spec.network.interfaces[{}]", f.index),
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
    let mut routes: Vec<Yaml> = Vec::new();
    let gateways = [f.gateway4.as_ref(), f.gateway6.as_ref()];
    for (key, gw) in [("gateway4", gateways[0]), ("gateway6", gateways[1])] {
        let Some(gw) = gw else { continue };
        match opts.gateway_style {
            GatewayStyle::Gateway4 => e.push((key, s(gw.value.to_string()))),
            GatewayStyle::Routes => routes.push(map(vec![
                ("to", s(default_destination(gw.value))),
                ("via", s(gw.value.to_string())),
            ])),
        }
    }
    for (j, r) in f.routes.iter().enumerate() {
        let via = ip::parse_ip(&r.via);
        let to = match (r.to.as_str(), via) {
            ("default", Some(v)) => {
                diags.push(
                    Diagnostic::new(
                        Code::EquivalentForm,
                        format!("spec.network.interfaces[{}].routes[{j}].to", f.index),
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
        // One default route per family and metric: the interface's gateway already is
        // `0.0.0.0/0 via X`, and netplan rejects the same declaration twice.
        let is_default = to == "0.0.0.0/0" || to == "::/0";
        let repeats_gateway = is_default
            && r.metric.is_none()
            && gateways.iter().flatten().any(|g| Some(g.value) == via);
        if repeats_gateway {
            continue;
        }
        let mut route = vec![("to", s(to)), ("via", s(r.via.clone()))];
        if let Some(m) = r.metric {
            route.push(("metric", Yaml::Int(m)));
        }
        routes.push(map(route));
    }
    if !routes.is_empty() {
        e.push(("routes", Yaml::Seq(routes)));
    }
    if let Some(mtu) = &f.mtu {
        e.push(("mtu", Yaml::Int(mtu.value)));
    }
    let mut ns = Vec::new();
    if !f.nameservers.value.is_empty() {
        ns.push(("addresses", strs(f.nameservers.value.iter().cloned())));
    }
    if !f.search_domains.value.is_empty() {
        ns.push(("search", strs(f.search_domains.value.iter().cloned())));
    }
    e.push(("nameservers", map(ns)));
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
        assert!(y.contains("to: \"::/0\"\n        via: \"fd00::1\""), "{y}");
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
        }
    }

    #[test]
    fn a_default_route_with_its_own_metric_is_kept() {
        let (y, _) = netplan(
            "{name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1, routes: [{to: default, via: 10.0.0.1, metric: 200}]}",
            GatewayStyle::Gateway4,
        );
        assert!(y.contains("gateway4: \"10.0.0.1\""), "{y}");
        assert!(y.contains("metric: 200"), "{y}");
    }
}
