//! Guest targets: NIC identity agrees across artifacts, derived MACs are stable and avoid
//! collisions, and `parse(render(x)) == x` for what cust.cfg, ovf-env.xml and VMX can carry.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use guestnet_core::model::VirtualMachine;
use guestnet_core::parse::{self, Format, custcfg, vapp, vmx};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, RenderOptions, Target};
use guestnet_core::resolve::{MacPolicy, Resolved, derive_mac, derive_mac_key};
use proptest::prelude::*;

fn compile(y: &str, policy: MacPolicy) -> (VirtualMachine, Resolved) {
    let mut o = CompileOptions::default();
    o.resolve.mac_policy = policy;
    let c = compile_str(y, &[], &o);
    let u = c.units.into_iter().next().unwrap();
    assert!(u.resolved.is_some(), "{y}\n{:#?}", u.diagnostics);
    (u.vm.unwrap(), u.resolved.unwrap())
}

fn artifact(t: Target, vm: &VirtualMachine, r: &Resolved, name: &str) -> String {
    let out = render::render(t, vm, r, &RenderOptions::default());
    out.artifacts
        .into_iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("{t:?}: {:#?}", out.diagnostics))
        .content
}

#[test]
fn derived_macs_are_stable_in_range_and_avoid_collisions() {
    let key = derive_mac_key(Some("prod"), "web01", "front");
    assert_eq!(key, "prod/web01/front");
    let m = derive_mac(&key, &[]);
    assert_eq!(m, [0x00, 0x50, 0x56, 0x0d, 0x13, 0x4d]);
    assert_eq!(derive_mac(&key, &[]), m, "deterministic");
    let other = derive_mac(&key, &[m]);
    assert_ne!(other, m);
    assert!(other[..3] == [0x00, 0x50, 0x56] && other[3] <= 0x3f);
    // Even when every hashed candidate is taken, a free MAC in range comes back.
    let mut taken = Vec::new();
    for _ in 0..70 {
        let n = derive_mac(&key, &taken);
        assert!(!taken.contains(&n) && n[3] <= 0x3f);
        taken.push(n);
    }
    assert_eq!(derive_mac_key(None, "a", "eth0"), "default/a/eth0");
}

#[test]
fn derive_keeps_spec_macs_and_never_reuses_one() {
    let want = derive_mac(&derive_mac_key(Some("ns"), "vm1", "eth1"), &[]);
    let spec_mac = guestnet_core::ip::format_mac(&want);
    // eth0 pins the MAC that eth1 would derive: eth1 must get another one.
    let y = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: vm1, namespace: ns}}\nspec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces:\n    - {{name: eth0, macAddr: \"{spec_mac}\", dhcp4: true}}\n    - {{name: eth1, dhcp4: true}}\n"
    );
    let (_, r) = compile(&y, MacPolicy::Derive);
    assert_eq!(r.interfaces[0].mac.as_ref().unwrap().value, spec_mac);
    assert_ne!(r.interfaces[1].mac.as_ref().unwrap().value, spec_mac);
    let (_, r) = compile(&y, MacPolicy::PciOrder);
    assert!(r.interfaces.iter().all(|f| f.mac.is_none()));
}

#[test]
fn every_artifact_names_the_same_nic_identity() {
    let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web01, namespace: prod}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, network: {name: a}, addresses: [10.0.0.5/24], gateway4: 10.0.0.1}\n    - {name: eth1, network: {name: b}, dhcp4: true}\n    - {name: eth2, network: {name: c}, macAddr: \"00:50:56:00:00:42\", dhcp4: true}\n";
    let (vm, r) = compile(y, MacPolicy::Derive);
    let resolved: Vec<String> = r
        .interfaces
        .iter()
        .map(|f| f.mac.as_ref().unwrap().value.clone())
        .collect();
    assert_eq!(resolved[2], "00:50:56:00:00:42");
    let vmx_text = artifact(Target::Vmx, &vm, &r, "snippet.vmx");
    let vmx_macs: Vec<String> = vmx::nics(&vmx::lex(&vmx_text).unwrap())
        .unwrap()
        .into_iter()
        .map(|n| n.mac.unwrap())
        .collect();
    let np = parse::parse(
        Format::Netplan,
        &artifact(Target::Netplan, &vm, &r, "netplan.yaml"),
        "x",
    );
    let np_macs: Vec<String> = np.vms[0]
        .interfaces()
        .iter()
        .map(|f| f.mac_addr.clone().unwrap())
        .collect();
    let from_vmx = parse::parse(Format::Vmx, &vmx_text, "x");
    let md_macs: Vec<String> = from_vmx.vms[0]
        .interfaces()
        .iter()
        .map(|f| f.mac_addr.clone().unwrap())
        .collect();
    let cfg = artifact(Target::Custcfg, &vm, &r, "cust.cfg");
    let (sections, _) = custcfg::lex(&cfg).unwrap();
    let cfg_macs: Vec<String> = sections
        .iter()
        .filter(|s| s.name.starts_with("NIC") && s.name != "NIC-CONFIG")
        .map(|s| s.get("MACADDR").unwrap().value.clone())
        .collect();
    let env = vapp::read(&artifact(Target::Vapp, &vm, &r, "ovf-env.xml")).unwrap();
    let ovf_macs: Vec<String> = env.adapters.into_iter().map(|(m, _)| m).collect();
    for (what, macs) in [
        ("vmx", &vmx_macs),
        ("netplan", &np_macs),
        ("guestinfo.metadata", &md_macs),
        ("cust.cfg", &cfg_macs),
        ("ovf-env", &ovf_macs),
    ] {
        assert_eq!(macs, &resolved, "{what}");
    }
}

const TZS: &[&str] = &["UTC", "America/Chicago", "Europe/Berlin", "Etc/GMT+5"];
const NS: &[&str] = &["10.0.0.53", "8.8.8.8", "2001:db8::53"];
const SD: &[&str] = &["example.com", "corp.example", "a.b.c.example"];

#[derive(Debug, Clone)]
struct Nic {
    dhcp: bool,
    host: u8,
    prefix: u8,
    v6: Option<u16>,
}

fn nic() -> impl Strategy<Value = Nic> {
    (
        any::<bool>(),
        2u8..250,
        16u8..=24,
        proptest::option::of(1u16..0xfff0),
    )
        .prop_map(|(dhcp, host, prefix, v6)| Nic {
            dhcp,
            host,
            prefix,
            v6,
        })
}

struct Spec<'a> {
    host: &'a str,
    domain: Option<&'a str>,
    ns: usize,
    sd: usize,
    nics: &'a [Nic],
    gateway: bool,
    bootstrap: &'a str,
}

fn vm_yaml(s: &Spec<'_>) -> String {
    let host = s.host;
    let mut y = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: {host}, namespace: ns}}\nspec:\n  bootstrap: {}\n  network:\n    hostName: {host}\n",
        s.bootstrap
    );
    if let Some(d) = s.domain {
        y.push_str(&format!("    domainName: {d}\n"));
    }
    if s.ns > 0 {
        let q: Vec<String> = NS[..s.ns].iter().map(|x| format!("\"{x}\"")).collect();
        y.push_str(&format!("    nameservers: [{}]\n", q.join(", ")));
    }
    if s.sd > 0 {
        y.push_str(&format!("    searchDomains: [{}]\n", SD[..s.sd].join(", ")));
    }
    y.push_str("    interfaces:\n");
    let first_static = s.nics.iter().position(|n| !n.dhcp);
    for (i, n) in s.nics.iter().enumerate() {
        y.push_str(&format!(
            "    - name: eth{i}\n      network: {{name: net{i}}}\n"
        ));
        let mut addrs: Vec<String> = Vec::new();
        if n.dhcp {
            y.push_str("      dhcp4: true\n");
        } else {
            addrs.push(format!("10.{i}.{}.{}/{}", n.prefix, n.host, n.prefix));
            if Some(i) == first_static && s.gateway {
                y.push_str(&format!("      gateway4: 10.{i}.{}.1\n", n.prefix));
            }
        }
        if let Some(v6) = n.v6 {
            addrs.push(format!("\"2001:db8:{i}::{v6:x}/64\""));
        }
        if !addrs.is_empty() {
            y.push_str(&format!("      addresses: [{}]\n", addrs.join(", ")));
        }
    }
    y
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// cust.cfg carries host/domain, one IPv4 per NIC, IPv6 addresses, the PRIMARY NIC's
    /// gateway, global DNS and the time zone: all come back.
    #[test]
    fn custcfg_round_trips(host in "[a-z][a-z0-9]{1,8}", domain in proptest::option::of("[a-z]{2,6}\\.example"),
                           tz in 0usize..4, ns in 0usize..3, sd in 0usize..3,
                           nics in proptest::collection::vec(nic(), 1..4), gateway in any::<bool>()) {
        let bootstrap = format!("{{linuxPrep: {{timeZone: \"{}\", hardwareClockIsUTC: true}}}}", TZS[tz]);
        let y = vm_yaml(&Spec { host: &host, domain: domain.as_deref(), ns, sd, nics: &nics, gateway, bootstrap: &bootstrap });
        let (vm, r) = compile(&y, MacPolicy::Derive);
        let text = artifact(Target::Custcfg, &vm, &r, "cust.cfg");
        let back = parse::parse(Format::Custcfg, &text, &host);
        prop_assert!(back.diagnostics.iter().all(|d| d.severity != guestnet_core::Severity::Error), "{:#?}", back.diagnostics);
        let (vm2, r2) = compile(&parse::to_yaml(&back.vms[0]), MacPolicy::Spec);
        prop_assert_eq!(&r2.fqdn, &r.fqdn);
        prop_assert_eq!(&r2.nameservers.value, &r.nameservers.value);
        prop_assert_eq!(&r2.search_domains.value, &r.search_domains.value);
        prop_assert_eq!(vm2.bootstrap().unwrap().linux_prep.as_ref().unwrap().time_zone.as_deref(), Some(TZS[tz]));
        let pos = |r: &Resolved| r.primary_interface.as_ref().and_then(|p| r.interfaces.iter().position(|f| f.name == p.value));
        prop_assert_eq!(pos(&r2), pos(&r));
        for (a, b) in r.interfaces.iter().zip(&r2.interfaces) {
            prop_assert_eq!(&a.mac.as_ref().unwrap().value, &b.mac.as_ref().unwrap().value);
            if a.dhcp4.value || a.ipv4().next().is_some() {
                prop_assert_eq!(a.dhcp4.value, b.dhcp4.value);
            }
            prop_assert_eq!(a.ipv4().next(), b.ipv4().next());
            prop_assert_eq!(a.ipv6().collect::<Vec<_>>(), b.ipv6().collect::<Vec<_>>());
            prop_assert_eq!(a.gateway4.as_ref().map(|g| g.value), b.gateway4.as_ref().map(|g| g.value));
        }
    }

    /// Any XML-legal property key/value survives ovf-env.xml.
    #[test]
    fn ovf_env_round_trips(props in proptest::collection::btree_map("[a-zA-Z_.][a-zA-Z0-9_.:-]{0,12}", "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\u{fffe}\\u{ffff}]{0,40}", 0..6)) {
        let list: Vec<(String, String)> = props.into_iter().collect();
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: a1}\nspec: {}\n";
        let (_, r) = compile(y, MacPolicy::Spec);
        let env = vapp::read(&render::vapp::ovf_env(&r, &list)).unwrap();
        prop_assert_eq!(env.properties, list);
    }

    /// VMX carries NIC type, MAC, network and — through guestinfo.metadata — addresses,
    /// gateways, DHCP and the host name.
    #[test]
    fn vmx_round_trips(host in "[a-z][a-z0-9]{1,8}", nics in proptest::collection::vec(nic(), 1..5),
                       types in proptest::collection::vec(0usize..5, 5), gateway in any::<bool>()) {
        const T: &[&str] = &["VMXNet3", "E1000", "E1000e", "VMXNet2", "PCNet32"];
        let mut y = vm_yaml(&Spec { host: &host, domain: Some("example.com"), ns: 0, sd: 0, nics: &nics, gateway, bootstrap: "{cloudInit: {}}" });
        for (i, t) in types.iter().enumerate().take(nics.len()) {
            y = y.replace(&format!("    - name: eth{i}\n"), &format!("    - name: eth{i}\n      type: {}\n", T[*t]));
        }
        let (vm, r) = compile(&y, MacPolicy::Derive);
        let text = artifact(Target::Vmx, &vm, &r, "snippet.vmx");
        let back = parse::parse(Format::Vmx, &text, &host);
        prop_assert!(back.diagnostics.iter().all(|d| d.severity != guestnet_core::Severity::Error), "{:#?}", back.diagnostics);
        let (_, r2) = compile(&parse::to_yaml(&back.vms[0]), MacPolicy::Spec);
        prop_assert_eq!(&r2.fqdn, &r.fqdn);
        for ((a, b), (sa, sb)) in r.interfaces.iter().zip(&r2.interfaces).zip(vm.interfaces().iter().zip(back.vms[0].interfaces())) {
            prop_assert_eq!(&a.name, &b.name);
            prop_assert_eq!(a.mac.as_ref().map(|m| &m.value), b.mac.as_ref().map(|m| &m.value));
            prop_assert_eq!(&a.network, &b.network);
            prop_assert_eq!(&sa.nic_type, &sb.nic_type);
            prop_assert_eq!(a.dhcp4.value, b.dhcp4.value);
            prop_assert_eq!(a.addresses.iter().map(|x| x.value).collect::<Vec<_>>(), b.addresses.iter().map(|x| x.value).collect::<Vec<_>>());
            prop_assert_eq!(a.gateway4.as_ref().map(|g| g.value), b.gateway4.as_ref().map(|g| g.value));
        }
    }

    /// The reverse parsers and the template evaluator never panic on arbitrary input.
    #[test]
    fn parsers_never_panic(s in "(?s).{0,400}") {
        let _ = custcfg::parse(&s, "x");
        let _ = vapp::parse(&s, "x");
        let _ = vmx::parse(&s, "x");
        let env = render::gotemplate::Env { data: render::gotemplate::Val::NoValue, funcs: Default::default() };
        let _ = render::gotemplate::execute(&s, &env);
    }
}
