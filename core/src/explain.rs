//! `guestnet explain`: the resolved configuration with the source of every value.

use crate::convert::PathMap;
use crate::resolve::{Resolved, Source, Sourced};
use std::fmt::Write;

/// The resolved configuration with every provenance path turned into the place the user
/// wrote it (a converted v1alpha1 interface's name comes from `spec.networkInterfaces[0]`,
/// a v1alpha2 domain from `identification.joinDomain`). Identity for v1alpha5/v1alpha6.
pub fn in_source(r: &Resolved, paths: &PathMap) -> Resolved {
    let mut r = r.clone();
    if paths.is_identity() {
        return r;
    }
    let fix = |s: &mut Source| {
        if let Source::Interface(p) | Source::Global(p) | Source::Metadata(p) | Source::Spec(p) = s
        {
            *p = paths.source_name(p).into_owned();
        }
    };
    fn each<T>(v: &mut Sourced<T>, fix: &impl Fn(&mut Source)) {
        fix(&mut v.source);
    }
    each(&mut r.host_name, &fix);
    each(&mut r.nameservers, &fix);
    each(&mut r.search_domains, &fix);
    for v in [
        &mut r.domain_name,
        &mut r.instance_id,
        &mut r.primary_interface,
    ]
    .into_iter()
    .flatten()
    {
        each(v, &fix);
    }
    for f in &mut r.interfaces {
        each(&mut f.device_name, &fix);
        each(&mut f.dhcp4, &fix);
        each(&mut f.dhcp6, &fix);
        each(&mut f.nameservers, &fix);
        each(&mut f.search_domains, &fix);
        if let Some(m) = &mut f.mac {
            each(m, &fix);
        }
        if let Some(m) = &mut f.mtu {
            each(m, &fix);
        }
        for a in &mut f.addresses {
            each(a, &fix);
        }
        for g in [&mut f.gateway4, &mut f.gateway6].into_iter().flatten() {
            each(g, &fix);
        }
    }
    r
}

fn row(out: &mut String, indent: &str, name: &str, value: &str, source: Option<&Source>) {
    let value = if value.is_empty() { "(none)" } else { value };
    match source {
        Some(s) => {
            let _ = writeln!(out, "{indent}{name:<16} {value:<34} <- {s}");
        }
        None => {
            let _ = writeln!(out, "{indent}{name:<16} {value}");
        }
    }
}

fn list(v: &Sourced<Vec<String>>) -> String {
    v.value.join(", ")
}

/// Plain-text report, stable for golden tests.
pub fn text(r: &Resolved) -> String {
    let mut o = String::new();
    let ns = r
        .namespace
        .as_deref()
        .map(|n| format!("{n}/"))
        .unwrap_or_default();
    let _ = writeln!(
        o,
        "VirtualMachine {ns}{} (bootstrap: {:?}{})",
        r.name,
        r.provider,
        if r.windows { ", Windows" } else { "" }
    );
    row(
        &mut o,
        "  ",
        "hostName",
        &r.host_name.value,
        Some(&r.host_name.source),
    );
    match &r.domain_name {
        Some(d) => row(&mut o, "  ", "domainName", &d.value, Some(&d.source)),
        None => row(&mut o, "  ", "domainName", "", None),
    }
    row(&mut o, "  ", "fqdn", &r.fqdn, None);
    match &r.instance_id {
        Some(i) => row(&mut o, "  ", "instance-id", &i.value, Some(&i.source)),
        None => row(
            &mut o,
            "  ",
            "instance-id",
            "(DMI product UUID at boot)",
            None,
        ),
    }
    row(
        &mut o,
        "  ",
        "nameservers",
        &list(&r.nameservers),
        Some(&r.nameservers.source),
    );
    row(
        &mut o,
        "  ",
        "searchDomains",
        &list(&r.search_domains),
        Some(&r.search_domains.source),
    );
    match &r.primary_interface {
        Some(p) => row(&mut o, "  ", "primaryNic", &p.value, Some(&p.source)),
        None => row(&mut o, "  ", "primaryNic", "", None),
    }
    if r.network_disabled {
        let _ = writeln!(o, "  network disabled: no interfaces are created");
    }
    for f in &r.interfaces {
        let _ = writeln!(o, "interface {}", f.name);
        row(
            &mut o,
            "  ",
            "device",
            &f.device_name.value,
            Some(&f.device_name.source),
        );
        match &f.mac {
            Some(m) => row(&mut o, "  ", "mac", &m.value, Some(&m.source)),
            None => row(&mut o, "  ", "mac", "(assigned by vSphere)", None),
        }
        if let Some(n) = &f.network {
            row(&mut o, "  ", "network", n, None);
        }
        row(
            &mut o,
            "  ",
            "dhcp4",
            &f.dhcp4.value.to_string(),
            Some(&f.dhcp4.source),
        );
        row(
            &mut o,
            "  ",
            "dhcp6",
            &f.dhcp6.value.to_string(),
            Some(&f.dhcp6.source),
        );
        for a in &f.addresses {
            row(
                &mut o,
                "  ",
                "address",
                &a.value.to_string(),
                Some(&a.source),
            );
        }
        for (k, g) in [("gateway4", &f.gateway4), ("gateway6", &f.gateway6)] {
            if let Some(g) = g {
                row(&mut o, "  ", k, &g.value.to_string(), Some(&g.source));
            }
        }
        if let Some(m) = &f.mtu {
            row(&mut o, "  ", "mtu", &m.value.to_string(), Some(&m.source));
        }
        row(
            &mut o,
            "  ",
            "nameservers",
            &list(&f.nameservers),
            Some(&f.nameservers.source),
        );
        row(
            &mut o,
            "  ",
            "searchDomains",
            &list(&f.search_domains),
            Some(&f.search_domains.source),
        );
        for r in &f.routes {
            let metric = r.metric.map(|m| format!(" metric {m}")).unwrap_or_default();
            row(
                &mut o,
                "  ",
                "route",
                &format!("{} via {}{metric}", r.to, r.via),
                None,
            );
        }
    }
    for v in &r.vlans {
        let _ = writeln!(o, "vlan {} id {} on {}", v.name, v.id, v.link);
    }
    o
}

/// Machine-readable form: the resolved configuration with its provenance.
pub fn json(r: &Resolved) -> serde_json::Value {
    serde_json::to_value(r).unwrap_or(serde_json::Value::Null)
}
