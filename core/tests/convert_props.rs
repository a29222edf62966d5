//! Property: an old-version VirtualMachine, converted up, means exactly what the same VM
//! written directly in v1alpha6 (the hub fields vm-operator's conversion produces) means —
//! the same resolved configuration, the same findings (code, model path, message); and
//! `convert::down` + `up_value` bring a v1alpha6 VM back unchanged whenever nothing is
//! reported lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guestnet_core::convert::{self, rewrite};
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline::{CompileOptions, Compiled, compile_str};
use guestnet_core::{Code, Severity};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// One interface as both versions write it.
#[derive(Debug, Clone)]
struct Iface {
    name: String,
    network: Option<String>,
    addresses: Vec<String>,
    dhcp4: Option<bool>,
    dhcp6: Option<bool>,
    gateway4: Option<String>,
    mtu: Option<i64>,
    nameservers: Vec<String>,
    route: bool,
}

fn iface(i: u8) -> impl Strategy<Value = Iface> {
    (
        proptest::option::of("[a-z]{3,8}"),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        1u8..250,
        proptest::option::of(prop_oneof![Just(1500i64), Just(9000), Just(50)]),
        proptest::collection::vec(1u8..250, 0..3),
        any::<bool>(),
        // Sometimes a gateway outside the subnet: both sides must report it alike.
        prop_oneof![Just(1u8), Just(254), Just(0)],
    )
        .prop_map(
            move |(network, static_, dhcp4, dhcp6, host, mtu, ns, route, gw)| Iface {
                name: format!("eth{i}"),
                network,
                addresses: if static_ {
                    vec![format!("10.{i}.0.{host}/24")]
                } else {
                    vec![]
                },
                dhcp4,
                dhcp6,
                gateway4: (static_ && gw != 0).then(|| {
                    if gw == 1 {
                        format!("10.{i}.0.1")
                    } else {
                        format!("10.{i}.9.{gw}")
                    }
                }),
                mtu,
                nameservers: ns.iter().map(|n| format!("192.0.2.{n}")).collect(),
                route: route && static_,
            },
        )
}

#[derive(Debug, Clone)]
enum Boot {
    CloudInit {
        global_ns: Option<bool>,
        instance_id: Option<String>,
    },
    LinuxPrep,
    Sysprep {
        join_domain: Option<String>,
    },
    None,
}

fn boot() -> impl Strategy<Value = Boot> {
    prop_oneof![
        (
            proptest::option::of(any::<bool>()),
            proptest::option::of("iid-[a-z0-9]{1,6}")
        )
            .prop_map(|(global_ns, instance_id)| Boot::CloudInit {
                global_ns,
                instance_id
            }),
        Just(Boot::LinuxPrep),
        proptest::option::of("[a-z]{2,8}\\.(local|com)")
            .prop_map(|join_domain| Boot::Sysprep { join_domain }),
        Just(Boot::None),
    ]
}

#[derive(Debug, Clone)]
struct Vm {
    version: ApiVersion,
    host: Option<String>,
    domain: Option<String>,
    nameservers: Vec<String>,
    interfaces: Vec<Iface>,
    boot: Boot,
}

fn old_vm() -> impl Strategy<Value = Vm> {
    (
        prop_oneof![
            Just(ApiVersion::V1alpha2),
            Just(ApiVersion::V1alpha3),
            Just(ApiVersion::V1alpha4)
        ],
        proptest::option::of("[a-z][a-z0-9-]{0,14}[a-z0-9]"),
        proptest::option::of("[a-z]{2,8}\\.example"),
        proptest::collection::vec(1u8..250, 0..3),
        (0u8..4).prop_flat_map(|n| (0..n).map(iface).collect::<Vec<_>>()),
        boot(),
    )
        .prop_map(|(version, host, domain, ns, interfaces, boot)| Vm {
            version,
            host,
            domain,
            nameservers: ns.iter().map(|n| format!("198.51.100.{n}")).collect(),
            interfaces,
            boot,
        })
}

fn put(o: &mut Map<String, Value>, k: &str, v: Option<Value>) {
    if let Some(v) = v {
        o.insert(k.into(), v);
    }
}

/// The VM in `version`'s spelling: `hub` writes what vm-operator's conversion produces.
fn document(vm: &Vm, version: ApiVersion, hub: bool) -> Value {
    let mut net = Map::new();
    put(&mut net, "hostName", vm.host.clone().map(Value::from));
    let v2 = version == ApiVersion::V1alpha2;
    // v1alpha2 has no network.domainName: the test VM only has one through Sysprep's joinDomain.
    let join = match &vm.boot {
        Boot::Sysprep { join_domain } => join_domain.clone(),
        _ => None,
    };
    let domain = if v2 && !hub {
        None
    } else if v2 || (hub && vm.version == ApiVersion::V1alpha2) {
        join.clone()
    } else {
        vm.domain.clone()
    };
    put(&mut net, "domainName", domain.map(Value::from));
    if !vm.nameservers.is_empty() {
        net.insert("nameservers".into(), json!(vm.nameservers));
    }
    let ifaces: Vec<Value> = vm
        .interfaces
        .iter()
        .map(|f| {
            let mut o = Map::new();
            o.insert("name".into(), f.name.clone().into());
            put(&mut o, "network", f.network.as_ref().map(|n| json!({"name": n})));
            if !f.addresses.is_empty() {
                o.insert("addresses".into(), json!(f.addresses));
            }
            // Hub: an old `false` is unset.
            let dhcp = |b: Option<bool>| if hub { b.filter(|b| *b) } else { b };
            put(&mut o, "dhcp4", dhcp(f.dhcp4).map(Value::from));
            put(&mut o, "dhcp6", dhcp(f.dhcp6).map(Value::from));
            put(&mut o, "gateway4", f.gateway4.clone().map(Value::from));
            put(&mut o, "mtu", f.mtu.map(Value::from));
            if !f.nameservers.is_empty() {
                o.insert("nameservers".into(), json!(f.nameservers));
            }
            if f.route {
                let i: u8 = f.name[3..].parse().unwrap_or(0);
                o.insert(
                    "routes".into(),
                    json!([{"to": format!("172.{}.0.0/16", 16 + i), "via": format!("10.{i}.0.1"), "metric": 100}]),
                );
            }
            Value::Object(o)
        })
        .collect();
    if !ifaces.is_empty() {
        net.insert("interfaces".into(), Value::Array(ifaces));
    }
    let bootstrap = match &vm.boot {
        Boot::CloudInit {
            global_ns,
            instance_id,
        } => {
            let mut ci = Map::new();
            put(
                &mut ci,
                "useGlobalNameserversAsDefault",
                global_ns.map(Value::from),
            );
            // v1alpha2 has no instanceID.
            if !(v2 || (hub && vm.version == ApiVersion::V1alpha2)) {
                put(&mut ci, "instanceID", instance_id.clone().map(Value::from));
            }
            Some(json!({ "cloudInit": ci }))
        }
        Boot::LinuxPrep => Some(json!({"linuxPrep": {"hardwareClockIsUTC": true}})),
        Boot::Sysprep { .. } => {
            let mut id = Map::new();
            id.insert("domainAdmin".into(), "admin".into());
            if v2 {
                put(&mut id, "joinDomain", join.map(Value::from));
            }
            Some(json!({"sysprep": {"sysprep": {
                "identification": id,
                "userData": {"fullName": "Ops", "orgName": "Example"}
            }}}))
        }
        Boot::None => None,
    };
    let mut spec = Map::new();
    spec.insert("className".into(), "small".into());
    if !net.is_empty() {
        spec.insert("network".into(), Value::Object(net));
    }
    put(&mut spec, "bootstrap", bootstrap);
    json!({
        "apiVersion": version.api_version(),
        "kind": "VirtualMachine",
        "metadata": {"name": "vm-1", "namespace": "ns"},
        "spec": spec,
    })
}

/// (code, model path, message) of every finding a reader acts on, minus conversion notes.
fn verdicts(c: &Compiled) -> BTreeSet<(String, String, String)> {
    c.all_diagnostics()
        .filter(|d| {
            d.severity != Severity::Info
                && !matches!(d.code, Code::ConversionDropped | Code::ConversionRewritten)
        })
        .map(|d| (d.code.to_string(), d.path.clone(), d.message.clone()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn converting_an_old_vm_means_what_the_hub_fields_mean(vm in old_vm()) {
        let old = serde_json::to_string_pretty(&document(&vm, vm.version, false)).unwrap();
        let hub = serde_json::to_string_pretty(&document(&vm, ApiVersion::V1alpha6, true)).unwrap();
        let opts = CompileOptions::default();
        let a = compile_str(&old, &[], &opts);
        let b = compile_str(&hub, &[], &opts);
        prop_assert_eq!(verdicts(&a), verdicts(&b), "\nold:\n{}\nhub:\n{}", old, hub);
        prop_assert_eq!(&a.units[0].resolved, &b.units[0].resolved, "\nold:\n{}\nhub:\n{}", old, hub);
        // And the models agree field for field (apart from apiVersion).
        let mut ma = a.units[0].vm.clone().unwrap();
        let mb = b.units[0].vm.clone().unwrap();
        ma.api_version = mb.api_version.clone();
        prop_assert_eq!(ma, mb);
        // Every finding on the old document is placed inside it.
        let lines = old.lines().count() as u32;
        for d in a.all_diagnostics() {
            prop_assert!(d.line.is_some_and(|l| l >= 1 && l <= lines), "{:?}", d);
        }
    }

    #[test]
    fn down_then_up_is_the_identity_when_nothing_is_reported(vm in old_vm(), to in 0usize..6) {
        let to = ApiVersion::ALL[to];
        let hub = serde_json::to_string(&document(&vm, ApiVersion::V1alpha6, true)).unwrap();
        let c = compile_str(&hub, &[], &CompileOptions::default());
        let model = c.units[0].vm.clone().unwrap();
        let d = convert::down(&model, to).unwrap();
        let back = convert::up_value(&d.value, to).unwrap();
        let mut back_hub = back.clone();
        back_hub.api_version = model.api_version.clone();
        if d.findings.is_empty() {
            prop_assert_eq!(back_hub, model);
        } else {
            prop_assert_ne!(back_hub, model);
        }
        // The text path agrees with the value path.
        let r = rewrite(&hub, to, &Default::default());
        prop_assert!(!r.has_errors(), "{:?}", r.diagnostics);
        prop_assert_eq!(r.documents.len(), 1);
    }
}

const TYPES: &[(&str, &str, &str)] = &[
    (
        "vsphere-distributed",
        "netoperator.vmware.com/v1alpha1",
        "Network",
    ),
    ("nsx-t", "vmware.com/v1alpha1", "VirtualNetwork"),
    ("nsx-t-subnet", "crd.nsx.vmware.com/v1alpha1", "Subnet"),
    (
        "nsx-t-subnetset",
        "crd.nsx.vmware.com/v1alpha1",
        "SubnetSet",
    ),
    ("nsx-t-vpc", "", ""),
];

#[derive(Debug, Clone)]
struct V1 {
    nics: Vec<(Option<String>, Option<usize>)>,
    transport: Option<usize>,
    secret: Option<String>,
    config_map: Option<String>,
}

fn v1_vm() -> impl Strategy<Value = V1> {
    (
        proptest::collection::vec(
            (
                proptest::option::of("[a-z]{3,8}"),
                proptest::option::of(0..TYPES.len()),
            ),
            0..4,
        ),
        proptest::option::of(0usize..5),
        proptest::option::of("[a-z]{3,8}"),
        proptest::option::of("[a-z]{3,8}"),
    )
        .prop_map(|(nics, transport, secret, config_map)| V1 {
            nics,
            transport,
            secret,
            config_map,
        })
}

const TRANSPORTS: [&str; 5] = [
    "ExtraConfig",
    "OvfEnv",
    "vAppConfig",
    "CloudInit",
    "Sysprep",
];

fn v1_documents(v: &V1) -> (Value, Value) {
    let mut old_spec = Map::new();
    let mut hub_spec = Map::new();
    if !v.nics.is_empty() {
        let mut old = Vec::new();
        let mut hub = Vec::new();
        for (i, (name, ty)) in v.nics.iter().enumerate() {
            let mut o = Map::new();
            put(&mut o, "networkName", name.clone().map(Value::from));
            put(&mut o, "networkType", ty.map(|t| TYPES[t].0.into()));
            old.push(Value::Object(o));
            let mut h = Map::new();
            h.insert("name".into(), format!("eth{i}").into());
            if name.is_some() || ty.is_some() {
                let mut r = Map::new();
                if let Some(t) = ty.filter(|t| !TYPES[*t].1.is_empty()) {
                    r.insert("apiVersion".into(), TYPES[t].1.into());
                    r.insert("kind".into(), TYPES[t].2.into());
                }
                r.insert("name".into(), name.clone().unwrap_or_default().into());
                h.insert("network".into(), Value::Object(r));
            }
            hub.push(Value::Object(h));
        }
        old_spec.insert("networkInterfaces".into(), Value::Array(old));
        hub_spec.insert("network".into(), json!({ "interfaces": hub }));
    }
    let mut md = Map::new();
    put(
        &mut md,
        "transport",
        v.transport.map(|t| TRANSPORTS[t].into()),
    );
    put(&mut md, "secretName", v.secret.clone().map(Value::from));
    put(
        &mut md,
        "configMapName",
        v.config_map.clone().map(Value::from),
    );
    let mut annotations = Map::new();
    if !md.is_empty() {
        let object = v.secret.clone().or(v.config_map.clone());
        let sel = |key: &str| object.as_ref().map(|n| json!({"name": n, "key": key}));
        let raw = |k: &str, key: &str| {
            let mut m = Map::new();
            put(&mut m, k, sel(key));
            Value::Object(m)
        };
        let props = || {
            let mut m = Map::new();
            put(&mut m, "rawProperties", object.clone().map(Value::from));
            Value::Object(m)
        };
        let b = match v.transport {
            Some(0) => json!({"cloudInit": raw("rawCloudConfig", "guestinfo.userdata")}),
            Some(1) => json!({"linuxPrep": {"hardwareClockIsUTC": true}, "vAppConfig": props()}),
            Some(2) => json!({"vAppConfig": props()}),
            Some(3) => json!({"cloudInit": raw("rawCloudConfig", "user-data")}),
            Some(4) => json!({"sysprep": raw("rawSysprep", "unattend")}),
            _ => json!({}),
        };
        hub_spec.insert("bootstrap".into(), b);
        if v.config_map.is_some() {
            annotations.insert(
                "vmoperator.vmware.com/v1a1-configmap-md-transport".into(),
                "true".into(),
            );
        }
        old_spec.insert("vmMetadata".into(), Value::Object(md));
    }
    let doc = |version: ApiVersion, spec: Map<String, Value>, ann: Map<String, Value>| {
        let mut meta = json!({"name": "vm-1", "namespace": "ns"});
        if !ann.is_empty() {
            meta["annotations"] = Value::Object(ann);
        }
        json!({"apiVersion": version.api_version(), "kind": "VirtualMachine", "metadata": meta, "spec": spec})
    };
    (
        doc(ApiVersion::V1alpha1, old_spec, Map::new()),
        doc(ApiVersion::V1alpha6, hub_spec, annotations),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn converting_a_v1alpha1_vm_means_what_the_hub_fields_mean(v in v1_vm()) {
        let (old, hub) = v1_documents(&v);
        let old = serde_json::to_string_pretty(&old).unwrap();
        let hub = serde_json::to_string_pretty(&hub).unwrap();
        let opts = CompileOptions::default();
        let a = compile_str(&old, &[], &opts);
        let b = compile_str(&hub, &[], &opts);
        prop_assert_eq!(verdicts(&a), verdicts(&b), "\nold:\n{}\nhub:\n{}", old, hub);
        prop_assert_eq!(&a.units[0].resolved, &b.units[0].resolved, "\nold:\n{}\nhub:\n{}", old, hub);
        let mut ma = a.units[0].vm.clone().unwrap();
        let mb = b.units[0].vm.clone().unwrap();
        ma.api_version = mb.api_version.clone();
        prop_assert_eq!(ma, mb, "\nold:\n{}\nhub:\n{}", old, hub);
    }
}
