//! Oracle: cloud-init's VMware datasource boot path (Debian 12's cloud-init 22.4.2, run by
//! `/usr/bin/python3` through `oracles/cloudinit_vmware_ds.py`). Every golden case that
//! resolves is rendered in both gateway styles, with its own MAC policy and with
//! `--mac-policy derive` (so every case also runs with MACs and `set-name`), and handed to
//! the guest twice: as the plain `metadata.yaml`/`userdata.yaml` of the cloud-init target and
//! as the gzip+base64 `guestinfo.*` values of the vmx target's `snippet.vmx`, read as ESXi
//! reads a VMX file. cloud-init then runs what init-local runs (`get_data`, instance id, host
//! name, network config, device renames, `parse_net_config_data` and every Linux renderer)
//! plus the init stage's user-data processing, and what it ends up with must equal what
//! guestnet resolved: instance-id, host name and FQDN as `explain` reports them, every
//! interface's device, MAC, MTU, addresses, DHCP, routes and DNS, every VLAN, the user data.
//! Any cloud-init warning fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::explain;
use guestnet_core::pipeline::compile_str;
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::{Interface, MacPolicy, Resolved};
use guestnet_core::{Code, Severity};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PY: &str = "/usr/bin/python3";
const DS: &str = "/usr/lib/python3/dist-packages/cloudinit/sources/DataSourceVMware.py";
/// The DMI product UUID the oracle's guest has; cloud-init's instance-id without one.
const DMI_UUID: &str = "4237a1b2-c3d4-e5f6-0718-293a4b5c6d7e";

fn available() -> bool {
    common::oracle_available(PY, "Debian's python3")
        && common::oracle_available(DS, "apt-get install cloud-init (Debian 12: 22.4.2)")
}

/// What one document must boot into.
struct Expect {
    label: String,
    /// File in the batch directory; documents with equal bytes share one.
    file: String,
    resolved: Resolved,
    explain: Value,
    /// guestnet's netplan `network:` value, read as YAML.
    network: Value,
    userdata: Option<String>,
    plain: bool,
    /// Whether the document carries guestinfo at all (a VMX snippet of a VM whose bootstrap
    /// is not CloudInit carries none, and cloud-init must then find no data).
    guestinfo: bool,
    /// Paths of guestnet's GN301 warnings for this document: what guestnet predicted
    /// cloud-init 22.4 gets wrong. Each prediction must come true, and only those may.
    predicted: BTreeSet<String>,
    /// JSON pointers into the cloud-config of values guestnet flagged as Jinja (GN234): each
    /// must come out rewritten, and only those may.
    templated: BTreeSet<String>,
}

#[derive(Default)]
struct Batch {
    files: BTreeMap<String, String>,
    expects: Vec<Expect>,
}

impl Batch {
    fn file(&mut self, dir: &Path, content: String, ext: &str, ud: Option<&str>) -> String {
        let key = format!("{ext}\0{content}\0{}", ud.unwrap_or(""));
        if let Some(f) = self.files.get(&key) {
            return f.clone();
        }
        let name = format!("{:05}.{ext}", self.files.len());
        std::fs::write(dir.join(&name), &content).unwrap();
        if let Some(ud) = ud {
            std::fs::write(dir.join(name.replace(".md", ".ud")), ud).unwrap();
        }
        self.files.insert(key, name.clone());
        name
    }
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("guestnet YAML unreadable: {e}\n{text}"))
}

fn build(dir: &Path) -> Batch {
    let mut b = Batch::default();
    for case in common::golden_cases() {
        let cname = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        for style in [GatewayStyle::Routes, GatewayStyle::Gateway4] {
            for policy in [None, Some(MacPolicy::Derive)] {
                let opts = common::variant_options(&case, style, policy);
                if policy.is_some()
                    && common::case_options(&case).resolve.mac_policy == MacPolicy::Derive
                {
                    continue;
                }
                for (ui, u) in compile_str(&text, &[], &opts).units.into_iter().enumerate() {
                    let (Some(vm), Some(r)) = (u.vm, u.resolved) else {
                        continue;
                    };
                    // GN234: text guestnet predicted cloud-init's Jinja pass rewrites.
                    let templated: BTreeSet<String> = u
                        .diagnostics
                        .iter()
                        .filter(|d| d.code == Code::JinjaText)
                        .filter_map(|d| {
                            d.path
                                .strip_prefix("spec.bootstrap.cloudInit.cloudConfig.")
                                .map(json_pointer)
                        })
                        .collect();
                    let label = format!(
                        "{cname}[{ui}] {style:?} {}",
                        opts.resolve.mac_policy.as_str()
                    );
                    let ci = render::render(Target::CloudInit, &vm, &r, &opts.render);
                    let np = render::render(Target::Netplan, &vm, &r, &opts.render);
                    let predicted: BTreeSet<String> = np
                        .diagnostics
                        .iter()
                        .filter(|d| {
                            d.code == Code::LossyTranslation && d.severity == Severity::Warning
                        })
                        .map(|d| d.path.clone())
                        .collect();
                    let network = yaml(&np.artifacts[0].content)["network"].clone();
                    let art = |n: &str| {
                        ci.artifacts
                            .iter()
                            .find(|a| a.name == n)
                            .map(|a| a.content.clone())
                    };
                    let (md, ud) = (art("metadata.yaml").unwrap(), art("userdata.yaml"));
                    let explain = explain::json(&r);
                    let plain_file = b.file(dir, md, "md", ud.as_deref());
                    let vmx = render::render(Target::Vmx, &vm, &r, &opts.render);
                    let vmx_text = vmx.artifacts[0].content.clone();
                    let guestinfo = vmx_text.contains("guestinfo.metadata");
                    let vmx_file = b.file(dir, vmx_text, "vmx", None);
                    for (plain, file) in [(true, plain_file), (false, vmx_file)] {
                        b.expects.push(Expect {
                            label: format!("{label} {}", if plain { "plain" } else { "vmx" }),
                            file,
                            resolved: r.clone(),
                            explain: explain.clone(),
                            network: network.clone(),
                            userdata: ud.clone(),
                            plain,
                            guestinfo: plain || guestinfo,
                            predicted: predicted.clone(),
                            templated: templated.clone(),
                        });
                    }
                }
            }
        }
    }
    b
}

/// Runs the oracle over a directory: file name -> what cloud-init made of it.
fn oracle(dir: &Path) -> BTreeMap<String, Value> {
    let script = common::workspace_root().join("cli/tests/oracles/cloudinit_vmware_ds.py");
    let out = Command::new(PY).arg(&script).arg(dir).output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["file"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn ip(v: &Value) -> IpAddr {
    v.as_str().unwrap().parse().unwrap()
}

/// The routes of one interface of cloud-init's network state: each subnet's `gateway` is its
/// family's default route, each subnet's `routes` entry a route.
fn state_routes(iface: &Value) -> BTreeSet<common::GuestRoute> {
    let mut out = BTreeSet::new();
    for s in iface["subnets"].as_array().into_iter().flatten() {
        if let Some(gw) = s.get("gateway") {
            let gw = ip(gw);
            let any: IpAddr = if gw.is_ipv4() { "0.0.0.0" } else { "::" }.parse().unwrap();
            out.insert((any, 0, gw, None));
        }
        for r in s["routes"].as_array().into_iter().flatten() {
            let prefix = r["prefix"].as_u64().unwrap() as u8;
            out.insert((
                ip(&r["network"]),
                prefix,
                ip(&r["gateway"]),
                r["metric"].as_i64(),
            ));
        }
    }
    out
}

/// The routes cloud-init 22.4's v2 reader must derive for an interface: the resolved ones
/// without metrics (its `_v2_to_v1_ipcfg` passes only `to` and `via` on, a documented
/// limitation guestnet cannot influence) and, for each IPv6 default route guestnet warned
/// about, the `::/64` route that reader makes of `::/0`.
fn cloud_init_routes(f: &Interface, predicted: &BTreeSet<String>) -> BTreeSet<common::GuestRoute> {
    if predicted.contains(&format!("spec.network.interfaces[{}].routes", f.index)) {
        // Routes of an interface without addresses or DHCP: no subnet to hang them on.
        return f
            .gateway4
            .iter()
            .chain(&f.gateway6)
            .map(|g| {
                (
                    if g.value.is_ipv4() { "0.0.0.0" } else { "::" }
                        .parse()
                        .unwrap(),
                    0,
                    g.value,
                    None,
                )
            })
            .collect();
    }
    let mut out: BTreeSet<common::GuestRoute> = common::expected_routes(f)
        .into_iter()
        .map(|(d, p, g, _)| (d, p, g, None))
        .collect();
    let any6: IpAddr = "::".parse().unwrap();
    let mut mangled = Vec::new();
    let mut kept = Vec::new();
    for (j, r) in f.routes.iter().enumerate() {
        let Ok(via) = r.via.parse::<IpAddr>() else {
            continue;
        };
        let default6 = via.is_ipv6() && (r.to == "default" || r.to == "::/0");
        if !default6 {
            continue;
        }
        if predicted.contains(&format!("spec.network.interfaces[{}].routes[{j}]", f.index)) {
            mangled.push(via);
        } else {
            kept.push(via);
        }
    }
    kept.extend(f.gateway6.as_ref().map(|g| g.value));
    for via in mangled {
        out.insert((any6, 64, via, None));
        if !kept.contains(&via) {
            out.remove(&(any6, 0, via, None));
        }
    }
    out
}

/// cloud-init's network state (the v2 interpretation every renderer but netplan's uses)
/// against the resolved configuration.
fn check_state(r: &Resolved, predicted: &BTreeSet<String>, st: &Value, p: &mut Vec<String>) {
    // A search-only nameservers block that guestnet warned about makes cloud-init 22.4 skip
    // the DNS of that interface and of every interface after it (ethernets key order).
    let dns_lost_from = r
        .interfaces
        .iter()
        .filter(|f| {
            predicted.contains(&format!(
                "spec.network.interfaces[{}].searchDomains",
                f.index
            ))
        })
        .map(|f| f.name.clone())
        .min();
    let ifaces: BTreeMap<String, &Value> = st["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap_or_default().to_string(), i))
        .collect();
    let physical = ifaces.values().filter(|i| i["type"] == "physical").count();
    if physical != r.interfaces.len() {
        p.push(format!(
            "{physical} physical interfaces for {}",
            r.interfaces.len()
        ));
    }
    for f in &r.interfaces {
        let dev = &f.device_name.value;
        let Some(i) = ifaces.get(dev) else {
            p.push(format!(
                "{}: cloud-init configures {:?}, not the guest device {dev}",
                f.name,
                ifaces.keys().collect::<Vec<_>>()
            ));
            continue;
        };
        let mac = f.mac.as_ref().map(|m| m.value.clone());
        if i["mac_address"].as_str().map(str::to_lowercase) != mac {
            p.push(format!("{dev}: MAC {} != {mac:?}", i["mac_address"]));
        }
        if i["mtu"].as_i64() != f.mtu.as_ref().map(|m| m.value) {
            p.push(format!(
                "{dev}: MTU {} != {:?}",
                i["mtu"],
                f.mtu.as_ref().map(|m| m.value)
            ));
        }
        let subnets = i["subnets"].as_array().cloned().unwrap_or_default();
        let addrs: BTreeSet<(IpAddr, u8)> = subnets
            .iter()
            .filter(|s| s["type"].as_str().is_some_and(|t| t.starts_with("static")))
            .map(|s| (ip(&s["address"]), s["prefix"].as_u64().unwrap() as u8))
            .collect();
        let want: BTreeSet<(IpAddr, u8)> = f
            .addresses
            .iter()
            .map(|a| (a.value.addr, a.value.prefix))
            .collect();
        if addrs != want {
            p.push(format!("{dev}: addresses {addrs:?} != {want:?}"));
        }
        let types: BTreeSet<&str> = subnets.iter().filter_map(|s| s["type"].as_str()).collect();
        let (d4, d6) = (
            types.contains("dhcp4") || types.contains("dhcp"),
            types.contains("dhcp6"),
        );
        if (d4, d6) != (f.dhcp4.value, f.dhcp6.value) {
            p.push(format!(
                "{dev}: DHCP v4/v6 {d4}/{d6} != {}/{}",
                f.dhcp4.value, f.dhcp6.value
            ));
        }
        let routes = state_routes(i);
        let want = cloud_init_routes(f, predicted);
        if routes != want {
            p.push(format!("{dev}: routes {routes:?} != {want:?}"));
        }
        let (ns, search) = (strs(&i["dns"]["nameservers"]), strs(&i["dns"]["search"]));
        let lost = dns_lost_from.as_ref().is_some_and(|k| &f.name >= k);
        let (want_ns, want_search) = if lost {
            (Vec::new(), Vec::new())
        } else {
            (f.nameservers.value.clone(), f.search_domains.value.clone())
        };
        if ns != want_ns || search != want_search {
            p.push(format!(
                "{dev}: DNS {ns:?}/{search:?} != {want_ns:?}/{want_search:?}"
            ));
        }
    }
    for v in &r.vlans {
        let Some(i) = ifaces.get(&v.name) else {
            p.push(format!("VLAN {} missing", v.name));
            continue;
        };
        // The guest device of the link, or, where guestnet warned that cloud-init 22.4
        // takes the netplan ID instead, that ID.
        let k = r.vlans.iter().position(|x| x.name == v.name).unwrap();
        let raw = if predicted.contains(&format!("spec.network.vlans[{k}].link")) {
            Some(v.link.clone())
        } else {
            r.interfaces
                .iter()
                .find(|f| f.name == v.link)
                .map(|f| f.device_name.value.clone())
        };
        if i["vlan_id"].as_i64() != Some(v.id)
            || i["vlan-raw-device"].as_str().map(str::to_string) != raw
        {
            p.push(format!(
                "VLAN {}: id {} on {} != {} on {raw:?}",
                v.name, i["vlan_id"], i["vlan-raw-device"], v.id
            ));
        }
    }
}

fn check(e: &Expect, o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if let Some(err) = o.get("error") {
        return vec![format!("cloud-init failed: {err}")];
    }
    let search_only = e.predicted.iter().any(|x| x.ends_with(".searchDomains"));
    for w in strs(&o["warnings"]) {
        let expected = (!e.guestinfo && w.ends_with("failed to find a valid data access method"))
            || (search_only && w.contains("Skipping invalid command"));
        if !expected {
            p.push(format!("cloud-init logged: {w}"));
        }
    }
    if search_only
        && !strs(&o["warnings"])
            .iter()
            .any(|w| w.contains("Skipping invalid command"))
    {
        p.push("guestnet predicted cloud-init would reject a search-only nameservers block; it did not".into());
    }
    if !e.guestinfo {
        if o["get_data"] != false {
            p.push("cloud-init found data in a snippet without guestinfo".into());
        }
        return p;
    }
    if o["get_data"] != true {
        p.push("DataSourceVMware.get_data() found nothing".into());
        return p;
    }
    let want_iid = e.explain["instanceId"]["value"]
        .as_str()
        .unwrap_or(DMI_UUID);
    if o["instance_id"] != want_iid {
        p.push(format!("instance-id {} != {want_iid}", o["instance_id"]));
    }
    if o["hostname"] != e.explain["hostName"]["value"] {
        p.push(format!(
            "hostname {} != {}",
            o["hostname"], e.explain["hostName"]["value"]
        ));
    }
    if o["fqdn"] != e.explain["fqdn"] {
        p.push(format!("fqdn {} != {}", o["fqdn"], e.explain["fqdn"]));
    }
    if strs(&o["public_keys"]) != e.resolved.public_keys {
        p.push(format!(
            "public keys {} != {:?}",
            o["public_keys"], e.resolved.public_keys
        ));
    }
    let wait = e.resolved.wait_on_network.as_ref().map(|w| {
        let mut m = serde_json::Map::new();
        for (k, v) in [("ipv4", w.ipv4), ("ipv6", w.ipv6)] {
            if let Some(v) = v {
                m.insert(k.into(), v.into());
            }
        }
        Value::Object(m)
    });
    if o["wait_on_network"] != wait.unwrap_or(Value::Null) {
        p.push(format!("wait-on-network {}", o["wait_on_network"]));
    }
    if o["network_config"] != e.network {
        p.push(format!(
            "network config {} != guestnet's {}",
            o["network_config"], e.network
        ));
    }
    let r = &e.resolved;
    let mut want_dev: Vec<Vec<String>> = r
        .interfaces
        .iter()
        .filter_map(|f| {
            f.mac
                .as_ref()
                .map(|m| vec![m.value.clone(), f.device_name.value.clone()])
        })
        .collect();
    want_dev.sort();
    let mut devs: Vec<Vec<String>> = o["physdevs"].as_array().unwrap().iter().map(strs).collect();
    devs.sort();
    if devs != want_dev {
        p.push(format!("renames {devs:?} != {want_dev:?}"));
    }
    check_state(r, &e.predicted, &o["network_state"], &mut p);
    for (name, res) in o["renderers"].as_object().unwrap() {
        if let Some(err) = res.get("error") {
            p.push(format!("{name} renderer failed: {err}"));
        }
        if name == "netplan" && res["passthrough_equal"] != true {
            p.push("cloud-init's netplan passthrough changed the document".into());
        }
    }
    match &e.userdata {
        Some(ud) => {
            let raw = if e.plain { ud.trim_end() } else { ud.as_str() };
            if o["userdata_raw"] != raw {
                p.push(format!("user data {} != {raw:?}", o["userdata_raw"]));
            }
            if o["cloud_config_header"] != "#cloud-config" {
                p.push(format!(
                    "rendered user data starts {}",
                    o["cloud_config_header"]
                ));
            }
            let mut want = yaml(ud);
            let mut got = o["cloud_config"].clone();
            for ptr in &e.templated {
                match (got.pointer_mut(ptr), want.pointer_mut(ptr)) {
                    (Some(g), Some(w)) => {
                        if g == w {
                            p.push(format!("guestnet predicted Jinja would rewrite {ptr} ({w}); cloud-init kept it"));
                        }
                        *g = Value::Null;
                        *w = Value::Null;
                    }
                    _ => p.push(format!(
                        "templated value {ptr} is missing from the cloud-config"
                    )),
                }
            }
            if got != want {
                p.push(format!("cloud-config {got} != {want}"));
            }
        }
        None => {
            if !o["userdata_raw"].is_null() {
                p.push(format!("unexpected user data {}", o["userdata_raw"]));
            }
        }
    }
    p
}

/// `runcmd[1][2]` (a cloudConfig field path) -> `/runcmd/1/2`.
fn json_pointer(path: &str) -> String {
    let mut out = String::new();
    for part in path.split('.') {
        let (name, rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        out.push('/');
        out.push_str(name);
        for idx in rest.split(['[', ']']).filter(|s| !s.is_empty()) {
            out.push('/');
            out.push_str(idx);
        }
    }
    out
}

#[test]
fn every_golden_case_boots_through_the_vmware_datasource() {
    if !available() {
        return;
    }
    let (_keep, dir) = common::oracle_dir("cloudinit-datasource");
    let batch = build(&dir);
    let t = Instant::now();
    let results = oracle(&dir);
    let elapsed = t.elapsed();
    let mut failures = Vec::new();
    for e in &batch.expects {
        let o = results
            .get(&e.file)
            .unwrap_or_else(|| panic!("no oracle result for {}", e.file));
        let problems = check(e, o);
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({}):\n  {}",
                e.label,
                e.file,
                problems.join("\n  ")
            ));
        }
    }
    let (plain, vmx) =
        batch.expects.iter().fold(
            (0, 0),
            |(a, b), e| {
                if e.plain { (a + 1, b) } else { (a, b + 1) }
            },
        );
    eprintln!(
        "cloud-init 22.4.2 booted {} distinct documents ({plain} plain, {vmx} VMX expectations) in {:.2}s",
        results.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} documents do not boot as resolved:\n{}",
        failures.len(),
        batch.expects.len(),
        failures.join("\n")
    );
    assert!(
        results.len() >= 200,
        "only {} documents checked",
        results.len()
    );
}

/// Negative controls: documents cloud-init 22.4 rejects or reads differently must fail the
/// harness, and a plain (unencoded) VMX value with `|XX` escapes must read back whole.
/// The first control is the original bug: `to: default` (what guestnet wrote before the
/// fix) makes `parse_net_config_data` raise, and init-local would fail on the guest.
#[test]
fn harness_catches_what_cloud_init_rejects() {
    use guestnet_core::render::RenderOptions;
    use guestnet_core::render::encode::{gzip_base64, vmx_escape};
    if !available() {
        return;
    }
    let text = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1, namespace: ns}\nspec:\n  bootstrap: {cloudInit: {instanceID: iid-7}}\n  network:\n    interfaces:\n    - {name: eth0, macAddr: '00:50:56:00:00:01', addresses: [10.0.0.5/24, 'fd00::5/64'], gateway4: 10.0.0.1, gateway6: 'fd00::1'}\n    - {name: eth1, macAddr: '00:50:56:00:00:02', addresses: [10.1.0.5/24], nameservers: [10.1.0.53]}\n";
    let u = compile_str(text, &[], &Default::default()).units.remove(0);
    let (vm, r) = (u.vm.unwrap(), u.resolved.unwrap());
    let opts = RenderOptions::default();
    let md = render::render(Target::CloudInit, &vm, &r, &opts).artifacts[0]
        .content
        .clone();
    let meta = yaml(&md);
    let network = meta["network"].clone();
    let dir = tempfile::tempdir().unwrap();
    let mutate = |f: &dyn Fn(&mut Value)| -> String {
        let mut m = meta.clone();
        f(&mut m);
        serde_json::to_string(&m).unwrap() // cloud-init reads JSON metadata too
    };
    fn eth0(m: &mut Value) -> &mut Value {
        &mut m["network"]["ethernets"]["eth0"]
    }
    let controls: Vec<(&str, String, &str)> = vec![
        (
            "default-route",
            mutate(&|m| {
                let e = eth0(m);
                e["routes"][0]["to"] = "default".into();
            }),
            "Address default is not a valid ip address",
        ),
        (
            "empty-nameservers",
            mutate(&|m| {
                let e = eth0(m);
                e["nameservers"] = serde_json::json!({});
            }),
            "Skipping invalid command",
        ),
        (
            "ipv6-default-route",
            mutate(&|m| {
                let e = eth0(m);
                let gw = e.as_object_mut().unwrap().remove("gateway6").unwrap();
                e["routes"]
                    .as_array_mut()
                    .unwrap()
                    .push(serde_json::json!({"to": "::/0", "via": gw}));
            }),
            "(::, 64, fd00::1, None)",
        ),
        (
            "instance-id",
            mutate(&|m| m["instance-id"] = "iid-8".into()),
            "instance-id",
        ),
        (
            "hostname",
            mutate(&|m| m["local-hostname"] = "vm2".into()),
            "hostname",
        ),
    ];
    let mut expects = Vec::new();
    for (name, doc, _) in &controls {
        std::fs::write(dir.path().join(format!("{name}.md")), doc).unwrap();
        // The same document as ESXi serves it from a VMX snippet, gzip+base64.
        let vmx = format!(
            ".encoding = \"UTF-8\"\nguestinfo.metadata = \"{}\"\nguestinfo.metadata.encoding = \"gzip+base64\"\n",
            gzip_base64(doc.as_bytes())
        );
        std::fs::write(dir.path().join(format!("{name}.vmx")), vmx).unwrap();
    }
    // Positive control: plain JSON metadata in a VMX value, quotes and all as `|XX`.
    let plain = serde_json::to_string(&meta).unwrap();
    assert!(vmx_escape(&plain).contains("|22"));
    std::fs::write(
        dir.path().join("escaped.vmx"),
        format!("guestinfo.metadata = \"{}\"\n", vmx_escape(&plain)),
    )
    .unwrap();
    let results = oracle(dir.path());
    let expect = |file: &str, plain: bool| Expect {
        label: file.to_string(),
        file: file.to_string(),
        resolved: r.clone(),
        explain: explain::json(&r),
        network: network.clone(),
        userdata: None,
        plain,
        guestinfo: true,
        predicted: BTreeSet::new(),
        templated: BTreeSet::new(),
    };
    let ok = check(&expect("escaped.vmx", false), &results["escaped.vmx"]);
    assert!(ok.is_empty(), "escaped VMX value misread: {ok:?}");
    for (name, _, needle) in &controls {
        for (file, plain) in [(format!("{name}.md"), true), (format!("{name}.vmx"), false)] {
            let problems = check(&expect(&file, plain), &results[&file]).join("\n");
            assert!(
                problems.contains(needle),
                "{file}: harness missed {needle:?}: {problems}"
            );
            expects.push(file);
        }
    }
    eprintln!("negative controls caught: {expects:?}");
}
