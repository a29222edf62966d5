//! vm-operator's `status.network.config` (intended configuration), as
//! `UpdateNetworkStatusConfig` fills it: sorted addresses, first gateway per family, DHCP
//! flags only when DHCP is on, per-interface DNS only when set, empty interfaces omitted.

use super::yaml_out::{Yaml, map, s, strs, to_string};
use super::{Artifact, Rendered};
use crate::resolve::Resolved;

pub fn render(r: &Resolved) -> Rendered {
    let mut dns: Vec<(&str, Yaml)> = vec![("hostName", s(r.host_name.value.clone()))];
    if let Some(d) = &r.domain_name {
        dns.push(("domainName", s(d.value.clone())));
    }
    if !r.nameservers.value.is_empty() {
        dns.push(("nameservers", strs(r.nameservers.value.iter().cloned())));
    }
    if !r.search_domains.value.is_empty() {
        dns.push((
            "searchDomains",
            strs(r.search_domains.value.iter().cloned()),
        ));
    }
    let mut ifaces = Vec::new();
    for f in &r.interfaces {
        let mut ip: Vec<(&str, Yaml)> = Vec::new();
        let mut addrs: Vec<String> = f.addresses.iter().map(|a| a.value.to_string()).collect();
        addrs.sort();
        if !addrs.is_empty() {
            ip.push(("addresses", strs(addrs)));
        }
        if let Some(g) = &f.gateway4 {
            ip.push(("gateway4", s(g.value.to_string())));
        }
        if let Some(g) = &f.gateway6 {
            ip.push(("gateway6", s(g.value.to_string())));
        }
        if f.dhcp4.value || f.dhcp6.value {
            let mut d = Vec::new();
            if f.dhcp4.value {
                d.push(("ip4", map(vec![("enabled", Yaml::Bool(true))])));
            }
            if f.dhcp6.value {
                d.push(("ip6", map(vec![("enabled", Yaml::Bool(true))])));
            }
            ip.push(("dhcp", map(d)));
        }
        let mut idns: Vec<(&str, Yaml)> = Vec::new();
        if !f.nameservers.value.is_empty() {
            idns.push(("nameservers", strs(f.nameservers.value.iter().cloned())));
        }
        if !f.search_domains.value.is_empty() {
            idns.push((
                "searchDomains",
                strs(f.search_domains.value.iter().cloned()),
            ));
        }
        if ip.is_empty() && idns.is_empty() {
            continue;
        }
        let mut m = vec![("name", s(f.name.clone()))];
        if !ip.is_empty() {
            m.push(("ip", map(ip)));
        }
        if !idns.is_empty() {
            m.push(("dns", map(idns)));
        }
        ifaces.push(map(m));
    }
    let mut config = vec![("dns", map(dns))];
    if !ifaces.is_empty() {
        config.push(("interfaces", Yaml::Seq(ifaces)));
    }
    let doc = map(vec![(
        "status",
        map(vec![("network", map(vec![("config", map(config))]))]),
    )]);
    Rendered {
        artifacts: vec![Artifact {
            name: "status.yaml".into(),
            content: to_string(&doc),
        }],
        diagnostics: Vec::new(),
    }
}
