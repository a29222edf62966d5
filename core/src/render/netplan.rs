//! netplan network-config v2, the document cloud-init hands to netplan on the guest.
//! Structure follows vm-operator's `NetPlanCustomization`; by default the default gateway is
//! a `routes: [{to: default}]` entry (netplan deprecated `gateway4/6`), and
//! `GatewayStyle::Gateway4` reproduces vm-operator's output.

use super::yaml_out::{Yaml, map, s, strs, to_string};
use super::{Artifact, GatewayStyle, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::{Interface, Resolved};

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
                    Code::NicMatchNote,
                    format!("spec.network.interfaces[{}]", f.index),
                    format!(
                        "no MAC address is known for interface {}: netplan matches the guest device by name `{}`",
                        f.name, f.device_name.value
                    ),
                )
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
    match opts.gateway_style {
        GatewayStyle::Gateway4 => {
            for (key, gw) in [("gateway4", gateways[0]), ("gateway6", gateways[1])] {
                if let Some(gw) = gw {
                    e.push((key, s(gw.value.to_string())));
                }
            }
        }
        GatewayStyle::Routes => {
            for gw in gateways.into_iter().flatten() {
                routes.push(map(vec![
                    ("to", s("default")),
                    ("via", s(gw.value.to_string())),
                ]));
            }
        }
    }
    for r in &f.routes {
        let dup_default = r.to == "default"
            && opts.gateway_style == GatewayStyle::Routes
            && gateways
                .iter()
                .flatten()
                .any(|g| g.value.to_string() == r.via)
            && r.metric.is_none();
        if dup_default {
            continue;
        }
        let mut route = vec![("to", s(r.to.clone())), ("via", s(r.via.clone()))];
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
