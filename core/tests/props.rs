//! Property tests: the loader never panics; rendered YAML, read by an independent parser
//! (serde-saphyr), carries exactly the resolved values; no user string can change the
//! structure of an output; model -> YAML -> model round-trips; netplan -> model round-trips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guestnet_core::model::*;
use guestnet_core::parse;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, GatewayStyle, RenderOptions, Target};
use proptest::prelude::*;
use serde_json::Value;

fn saphyr(text: &str) -> Value {
    serde_saphyr::from_str::<Value>(text)
        .unwrap_or_else(|e| panic!("independent YAML parser rejected our output: {e}\n{text}"))
}

/// Any string, biased toward the characters that break formats.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        "[a-z0-9\\-\\.:#\\[\\]{}\"'|>&*!%@`,=<\\\\ \n\t]{0,40}",
        Just("yes".to_string()),
        Just("null".to_string()),
        Just("- x".to_string()),
        Just("a: b".to_string()),
        Just("\u{85}\u{2028}\u{feff}".to_string()),
    ]
}

/// An interface that is valid by construction, in subnet 10.<i>.0.0/24 or DHCP.
fn iface(i: u8) -> impl Strategy<Value = InterfaceSpec> {
    (
        any::<bool>(),
        1u8..250,
        proptest::option::of(1280i64..=9000),
        any::<bool>(),
        proptest::collection::vec(1u8..250, 0..3),
        any::<bool>(),
    )
        .prop_map(move |(dhcp, host, mtu, v6, ns, mac)| InterfaceSpec {
            name: format!("eth{i}"),
            mac_addr: mac.then(|| format!("00:50:56:00:00:{:02x}", i + 1)),
            dhcp4: Some(dhcp),
            addresses: if dhcp {
                vec![]
            } else {
                let mut a = vec![format!("10.{i}.0.{host}/24")];
                if v6 {
                    a.push(format!("2001:db8:{i}::{host:x}/64"));
                }
                a
            },
            gateway4: (!dhcp && i == 0).then(|| format!("10.{i}.0.254")),
            mtu,
            nameservers: ns.iter().map(|n| format!("192.0.2.{n}")).collect(),
            guest_device_name: Some(format!("ens{}", 192 + u16::from(i))),
            routes: if dhcp {
                vec![]
            } else {
                vec![RouteSpec {
                    to: format!("172.{}.0.0/16", 16 + i),
                    via: format!("10.{i}.0.1"),
                    metric: Some(100),
                }]
            },
            ..InterfaceSpec::default()
        })
}

fn vm() -> impl Strategy<Value = VirtualMachine> {
    (1u8..=4)
        .prop_flat_map(|n| {
            let ifaces: Vec<_> = (0..n).map(iface).collect();
            (
                ifaces,
                "[a-z][a-z0-9]{0,10}",
                proptest::option::of("[a-z]{2,8}\\.(com|net|org)"),
            )
        })
        .prop_map(|(interfaces, name, domain)| VirtualMachine {
            api_version: "vmoperator.vmware.com/v1alpha6".into(),
            kind: "VirtualMachine".into(),
            metadata: ObjectMeta {
                name: Some(name),
                namespace: Some("ns".into()),
                ..Default::default()
            },
            spec: VirtualMachineSpec {
                network: Some(NetworkSpec {
                    domain_name: domain,
                    interfaces,
                    ..Default::default()
                }),
                bootstrap: Some(BootstrapSpec {
                    cloud_init: Some(CloudInitSpec {
                        instance_id: Some("iid-1".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            status: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn loader_never_panics(s in ".{0,400}") {
        let c = compile_str(&s, &[], &CompileOptions::default());
        for u in &c.units {
            if u.has_errors() { prop_assert!(u.resolved.is_none()); }
        }
    }

    #[test]
    fn loader_never_panics_on_yamlish(s in "([a-z]{1,5}: |- |\\[|\\]|\\{|\\}|&a |\\*a |\"|'|\n  |\n|[0-9]{1,3}|, |---\n){0,60}") {
        let _ = compile_str(&s, &[], &CompileOptions::default());
    }

    #[test]
    fn model_yaml_round_trips(v in vm()) {
        let text = parse::to_yaml(&v);
        let c = compile_str(&text, &[], &CompileOptions::default());
        prop_assert_eq!(c.units.len(), 1);
        prop_assert_eq!(c.units[0].vm.as_ref(), Some(&v), "{}", text);
    }

    #[test]
    fn generated_specs_are_valid_and_netplan_carries_resolved_values(v in vm(), gw4 in any::<bool>()) {
        let text = parse::to_yaml(&v);
        let c = compile_str(&text, &[], &CompileOptions::default());
        let u = &c.units[0];
        let errors: Vec<_> = u.diagnostics.iter().filter(|d| d.severity == guestnet_core::Severity::Error).collect();
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, text);
        let r = u.resolved.as_ref().unwrap();
        let opts = RenderOptions { gateway_style: if gw4 { GatewayStyle::Gateway4 } else { GatewayStyle::Routes }, ..RenderOptions::default() };
        let out = render::render(Target::Netplan, &v, r, &opts);
        let doc = saphyr(&out.artifacts[0].content);
        let eths = &doc["network"]["ethernets"];
        prop_assert_eq!(eths.as_object().unwrap().len(), r.interfaces.len());
        for f in &r.interfaces {
            let e = &eths[&f.name];
            let addrs: Vec<String> = f.addresses.iter().map(|a| a.value.to_string()).collect();
            let got: Vec<String> = e["addresses"].as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default();
            prop_assert_eq!(got, addrs);
            prop_assert_eq!(e["dhcp4"].as_bool(), Some(f.dhcp4.value));
            if let Some(m) = &f.mac {
                prop_assert_eq!(e["match"]["macaddress"].as_str(), Some(m.value.as_str()));
                prop_assert_eq!(e["set-name"].as_str(), Some(f.device_name.value.as_str()));
            }
            let ns: Vec<String> = e["nameservers"]["addresses"].as_array().map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()).unwrap_or_default();
            prop_assert_eq!(ns, f.nameservers.value.clone());
        }
        // netplan -> model -> netplan is a fixed point.
        let back = parse::parse(parse::Format::Netplan, &out.artifacts[0].content, v.name());
        prop_assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
        let mut vm2 = back.vms[0].clone();
        vm2.metadata.namespace = v.metadata.namespace.clone();
        vm2.spec.network.as_mut().unwrap().domain_name = v.spec.network.as_ref().unwrap().domain_name.clone();
        vm2.spec.bootstrap = v.spec.bootstrap.clone();
        let c2 = compile_str(&parse::to_yaml(&vm2), &[], &CompileOptions::default());
        let r2 = c2.units[0].resolved.as_ref().unwrap();
        let again = render::render(Target::Netplan, &vm2, r2, &opts);
        prop_assert_eq!(&again.artifacts[0].content, &out.artifacts[0].content);
    }

    /// Hostile strings anywhere a user string reaches the metadata document stay single
    /// scalars: the document's key set is fixed and each value reads back exactly.
    #[test]
    fn user_strings_cannot_change_output_structure(instance in nasty(), key1 in nasty(), key2 in nasty(), search in nasty(), content in nasty(), path in nasty()) {
        let mut v = VirtualMachine {
            api_version: "vmoperator.vmware.com/v1alpha6".into(),
            kind: "VirtualMachine".into(),
            metadata: ObjectMeta { name: Some("vm1".into()), ..Default::default() },
            ..Default::default()
        };
        v.spec.bootstrap = Some(BootstrapSpec { cloud_init: Some(CloudInitSpec {
            instance_id: Some(instance.clone()),
            ssh_authorized_keys: vec![key1.clone(), key2.clone()],
            cloud_config: Some(CloudConfig { write_files: vec![WriteFile { path: path.clone(), content: Some(Value::String(content.clone())), ..Default::default() }], ..Default::default() }),
            ..Default::default()
        }), ..Default::default() });
        v.spec.network = Some(NetworkSpec { interfaces: vec![InterfaceSpec { name: "eth0".into(), dhcp4: Some(true), search_domains: vec![search.clone()], ..Default::default() }], ..Default::default() });
        // Render straight from the model: the renderer must be safe even for values that
        // validation would reject.
        let version = ApiVersion::V1alpha6;
        let r = guestnet_core::resolve::resolve(&v, version, &[]);
        let out = render::render(Target::CloudInit, &v, &r, &RenderOptions::default());
        let md = saphyr(&out.artifacts[0].content);
        let keys: Vec<&str> = md.as_object().unwrap().keys().map(String::as_str).collect();
        if instance.is_empty() {
            // An empty instance ID is no instance ID: cloud-init then uses the BIOS UUID.
            prop_assert_eq!(keys, vec!["hostname", "local-hostname", "network", "public-keys"]);
        } else {
            prop_assert_eq!(keys, vec!["hostname", "instance-id", "local-hostname", "network", "public-keys"]);
            prop_assert_eq!(md["instance-id"].as_str(), Some(instance.as_str()));
        }
        let keys_joined = format!("{key1}\n{key2}");
        prop_assert_eq!(md["public-keys"].as_str(), Some(keys_joined.as_str()));
        prop_assert_eq!(md["network"]["ethernets"]["eth0"]["nameservers"]["search"][0].as_str(), Some(search.as_str()));
        let ud_text = &out.artifacts[1].content;
        let ud = saphyr(ud_text.strip_prefix(render::cloudinit::USERDATA_HEADER).unwrap());
        prop_assert_eq!(ud.as_object().unwrap().len(), 1);
        prop_assert_eq!(ud["write_files"][0]["content"].as_str(), Some(content.as_str()));
        prop_assert_eq!(ud["write_files"][0]["path"].as_str(), Some(path.as_str()));
    }
}

proptest! {
    /// `guestnet:ignore` comments only ever remove the codes they name, on lines they
    /// cover; text without them changes nothing.
    #[test]
    fn suppression_only_removes_named_codes(
        lines in proptest::collection::vec("[ a-z:#0-9GN,-]{0,30}", 0..12),
        comment_at in 0usize..12,
    ) {
        use guestnet_core::suppress::{RulePolicy, postprocess};
        use guestnet_core::{Code, Diagnostic};
        let mut lines = lines;
        let n = lines.len();
        if n > 0 {
            let i = comment_at % n;
            lines[i].push_str(" # guestnet:ignore GN201 reason");
        }
        let text = lines.join("\n");
        let diags: Vec<Diagnostic> = (1..=n as u32 + 1)
            .flat_map(|l| [Code::GatewayOutsideSubnet, Code::HostName].map(|c| {
                let mut d = Diagnostic::new(c, "p", "m");
                d.line = Some(l);
                d
            }))
            .collect();
        let kept = postprocess(&text, diags.clone(), &RulePolicy::default());
        prop_assert!(kept.iter().all(|k| diags.contains(k)));
        prop_assert_eq!(
            kept.iter().filter(|d| d.code == Code::HostName).count(),
            n + 1,
            "GN120 is never named"
        );
    }
}
