//! netplan v2 -> VirtualMachine. Accepts a netplan file (`network: {version: 2, ...}`) or the
//! bare network value. Everything netplan can say that a VirtualMachine cannot is reported
//! as a lossy-translation warning at its line, never dropped silently.

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{
    BootstrapSpec, CloudInitSpec, InterfaceSpec, NetworkSpec, RouteSpec, VirtualMachine, VlanSpec,
};
use crate::source::node::{NodeKind, ScalarKind};
use crate::source::{Limits, Node, yaml};

fn scalar(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Scalar(s, _) => Some(s),
        _ => None,
    }
}

fn boolean(n: &Node) -> Option<bool> {
    match &n.kind {
        NodeKind::Scalar(s, ScalarKind::Plain) => match &**s {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "on" | "y" => Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "off" | "n" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn strings(n: &Node) -> Vec<String> {
    match &n.kind {
        NodeKind::Seq(items) => items
            .iter()
            .filter_map(scalar)
            .map(str::to_string)
            .collect(),
        NodeKind::Scalar(s, _) => vec![s.to_string()],
        NodeKind::Map(_) => Vec::new(),
    }
}

fn entries(n: &Node) -> &[(Node, Node)] {
    match &n.kind {
        NodeKind::Map(e) => e,
        _ => &[],
    }
}

struct Ctx {
    diags: Vec<Diagnostic>,
}

impl Ctx {
    fn lossy(&mut self, at: &Node, path: &str, what: String) {
        self.diags.push(
            Diagnostic::new(Code::LossyTranslation, path, what)
                .with_span(at.span)
                .with_severity(Severity::Warning),
        );
    }

    fn wrong(&mut self, at: &Node, path: &str, what: &str) {
        self.diags
            .push(Diagnostic::new(Code::WrongType, path, what.to_string()).with_span(at.span));
    }
}

pub fn parse(text: &str, name: &str) -> Parsed {
    let docs = match yaml::parse_documents(text, &Limits::default()) {
        Ok(d) => d,
        Err(e) => {
            return Parsed::failed(e);
        }
    };
    let mut cx = Ctx { diags: Vec::new() };
    let mut vms = Vec::new();
    for d in &docs {
        let net = d.root.get("network").unwrap_or(&d.root);
        if let Some(v) = net.get("version")
            && scalar(v) != Some("2")
        {
            cx.wrong(v, "network.version", "only netplan version 2 is supported");
            continue;
        }
        let mut spec = NetworkSpec::default();
        for (k, v) in entries(net) {
            let key = scalar(k).unwrap_or_default();
            match key {
                "version" => {}
                "ethernets" => {
                    for (ik, iv) in entries(v) {
                        let id = scalar(ik).unwrap_or_default();
                        spec.interfaces.push(ethernet(&mut cx, id, iv));
                    }
                }
                "vlans" => {
                    for (vk, vv) in entries(v) {
                        let id = vv.get("id").and_then(scalar).and_then(|s| s.parse().ok());
                        spec.vlans.push(VlanSpec {
                            name: scalar(vk).unwrap_or_default().to_string(),
                            id,
                            link: vv
                                .get("link")
                                .and_then(scalar)
                                .unwrap_or_default()
                                .to_string(),
                        });
                        for (sk, sv) in entries(vv) {
                            let s = scalar(sk).unwrap_or_default();
                            if !matches!(s, "id" | "link" | "dhcp4" | "dhcp6" | "accept-ra") {
                                cx.lossy(
                                    sk,
                                    &format!(
                                        "network.vlans.{}.{s}",
                                        scalar(vk).unwrap_or_default()
                                    ),
                                    format!("vlan key `{s}` has no VirtualMachine equivalent"),
                                );
                            }
                            let _ = sv;
                        }
                    }
                }
                "renderer" => {}
                other => cx.lossy(
                    k,
                    &format!("network.{other}"),
                    format!("netplan section `{other}` has no VirtualMachine equivalent"),
                ),
            }
        }
        let vm = VirtualMachine::reconstructed(
            name,
            Some(spec),
            Some(BootstrapSpec {
                cloud_init: Some(CloudInitSpec::default()),
                ..BootstrapSpec::default()
            }),
        );
        vms.push(vm);
    }
    Parsed {
        vms,
        diagnostics: cx.diags,
    }
}

fn ethernet(cx: &mut Ctx, id: &str, n: &Node) -> InterfaceSpec {
    let base = format!("network.ethernets.{id}");
    let mut f = InterfaceSpec {
        name: id.to_string(),
        ..InterfaceSpec::default()
    };
    for (k, v) in entries(n) {
        let key = scalar(k).unwrap_or_default();
        let path = format!("{base}.{key}");
        match key {
            "match" => {
                for (mk, mv) in entries(v) {
                    match scalar(mk).unwrap_or_default() {
                        "macaddress" => f.mac_addr = scalar(mv).map(|m| m.to_ascii_lowercase()),
                        "name" => {
                            if f.guest_device_name.is_none() && scalar(mv) != Some(id) {
                                f.guest_device_name = scalar(mv).map(str::to_string);
                            }
                        }
                        other => cx.lossy(
                            mk,
                            &format!("{path}.{other}"),
                            format!("match on `{other}` has no VirtualMachine equivalent"),
                        ),
                    }
                }
            }
            "set-name" => f.guest_device_name = scalar(v).map(str::to_string),
            "dhcp4" => f.dhcp4 = boolean(v),
            "dhcp6" => f.dhcp6 = boolean(v),
            "accept-ra" => {
                if boolean(v) != f.dhcp6.or(Some(false)) {
                    cx.lossy(
                        k,
                        &path,
                        "accept-ra follows dhcp6 in vm-operator; it cannot be set on its own"
                            .into(),
                    );
                }
            }
            "addresses" => f.addresses = strings(v),
            "gateway4" => f.gateway4 = scalar(v).map(str::to_string),
            "gateway6" => f.gateway6 = scalar(v).map(str::to_string),
            "mtu" => match scalar(v).and_then(|s| s.parse().ok()) {
                Some(m) => f.mtu = Some(m),
                None => cx.wrong(v, &path, "mtu must be an integer"),
            },
            "nameservers" => {
                if let Some(a) = v.get("addresses") {
                    f.nameservers = strings(a);
                }
                if let Some(s) = v.get("search") {
                    f.search_domains = strings(s);
                }
            }
            "routes" => {
                if let NodeKind::Seq(items) = &v.kind {
                    for (j, r) in items.iter().enumerate() {
                        let to = r.get("to").and_then(scalar).unwrap_or_default().to_string();
                        let via = r
                            .get("via")
                            .and_then(scalar)
                            .unwrap_or_default()
                            .to_string();
                        let metric = r
                            .get("metric")
                            .and_then(scalar)
                            .and_then(|s| s.parse().ok());
                        for (rk, _) in entries(r) {
                            let rkey = scalar(rk).unwrap_or_default();
                            if !matches!(rkey, "to" | "via" | "metric") {
                                cx.lossy(
                                    rk,
                                    &format!("{path}[{j}].{rkey}"),
                                    format!("route key `{rkey}` has no VirtualMachine equivalent"),
                                );
                            }
                        }
                        // A default route without a metric is the interface's gateway.
                        let is_default = matches!(to.as_str(), "default" | "0.0.0.0/0" | "::/0");
                        let v4 = via.contains('.');
                        if is_default
                            && metric.is_none()
                            && (if v4 {
                                f.gateway4.is_none()
                            } else {
                                f.gateway6.is_none()
                            })
                        {
                            if v4 {
                                f.gateway4 = Some(via);
                            } else {
                                f.gateway6 = Some(via);
                            }
                        } else {
                            f.routes.push(RouteSpec { to, via, metric });
                        }
                    }
                }
            }
            other => cx.lossy(
                k,
                &path,
                format!("netplan key `{other}` has no VirtualMachine equivalent"),
            ),
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CompileOptions, compile_str};
    use crate::render::{self, Target};

    #[test]
    fn round_trips_rendered_netplan() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - name: eth0\n      macAddr: \"00:50:56:00:00:01\"\n      guestDeviceName: ens192\n      addresses: [10.0.0.5/24, \"2001:db8::5/64\"]\n      gateway4: 10.0.0.1\n      gateway6: \"2001:db8::1\"\n      mtu: 1500\n      nameservers: [10.0.0.53]\n      searchDomains: [example.com]\n      routes: [{to: 10.1.0.0/16, via: 10.0.0.254, metric: 5}]\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let u = &c.units[0];
        let (vm, r) = (u.vm.as_ref().unwrap(), u.resolved.as_ref().unwrap());
        let out = render::render(Target::Netplan, vm, r, &Default::default());
        let back = parse(&out.artifacts[0].content, "vm1");
        assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
        let want = vm.spec.network.as_ref().unwrap().interfaces[0].clone();
        let got = back.vms[0].spec.network.as_ref().unwrap().interfaces[0].clone();
        assert_eq!(got.mac_addr, want.mac_addr);
        assert_eq!(got.guest_device_name, want.guest_device_name);
        assert_eq!(got.addresses, want.addresses);
        assert_eq!(got.gateway4, want.gateway4);
        assert_eq!(got.gateway6, want.gateway6);
        assert_eq!(got.routes, want.routes);
        assert_eq!(got.nameservers, want.nameservers);
        assert_eq!(got.mtu, want.mtu);
    }

    #[test]
    fn reports_what_it_cannot_carry() {
        let p = parse(
            "network:\n  version: 2\n  bonds: {}\n  ethernets:\n    eth0:\n      wakeonlan: true\n",
            "x",
        );
        let codes: Vec<_> = p
            .diagnostics
            .iter()
            .map(|d| (d.path.as_str(), d.line))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("network.bonds", Some(3)),
                ("network.ethernets.eth0.wakeonlan", Some(6))
            ]
        );
    }
}
