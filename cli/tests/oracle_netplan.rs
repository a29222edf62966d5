//! Oracle: netplan 0.106's own generator (Debian `netplan.io`). `netplan generate --root-dir
//! R` runs exactly `/usr/lib/netplan/generate --root-dir R` (netplan/cli/commands/generate.py),
//! so the test runs that binary directly, once per document, in parallel. Every golden case
//! that resolves is rendered in both gateway styles, with its own MAC policy and with
//! `--mac-policy derive`, and the systemd-networkd files netplan writes are compared field by
//! field with guestnet's resolved configuration: the [Match] (MAC, name) and the `.link`
//! rename, MTU, DHCP, IPv6AcceptRA, every Address, DNS and Domains, every route (the
//! gateways and each route's destination, next hop and metric, none declared twice), VLAN
//! attachments and each VLAN `.netdev` Id. netplan's warnings fail the test unless guestnet
//! predicted them: `gateway4`/`gateway6` deprecation exactly where the output uses those
//! keys, "Conflicting default route declarations" exactly when guestnet reports GN213.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::Code;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::{Interface, MacPolicy, Resolved};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

/// The generator `netplan generate` execs (Debian 12; /lib/netplan is the same via usrmerge).
const GENERATOR: &str = "/usr/lib/netplan/generate";

fn available() -> bool {
    common::oracle_available(GENERATOR, "apt-get install netplan.io (Debian 12: 0.106)")
}

/// A systemd unit file: sections in order, each with its keys in order (keys repeat).
type Unit = Vec<(String, Vec<(String, String)>)>;

fn parse_unit(text: &str) -> Unit {
    let mut out: Unit = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push((name.to_string(), Vec::new()));
        } else if let (Some((k, v)), Some(last)) = (line.split_once('='), out.last_mut()) {
            last.1.push((k.to_string(), v.to_string()));
        } else {
            panic!("not a unit-file line: {line:?}");
        }
    }
    out
}

/// Every value of `key` in every `section` (values split on whitespace, as networkd does for
/// list settings such as DNS= and Domains=).
fn values(u: &Unit, section: &str, key: &str) -> Vec<String> {
    u.iter()
        .filter(|(s, _)| s == section)
        .flat_map(|(_, kv)| kv.iter().filter(|(k, _)| k == key))
        .flat_map(|(_, v)| v.split_whitespace().map(str::to_string))
        .collect()
}

fn value(u: &Unit, section: &str, key: &str) -> Option<String> {
    values(u, section, key).into_iter().next()
}

/// What netplan produced for one document.
#[derive(Debug)]
struct Generated {
    ok: bool,
    warnings: Vec<String>,
    stderr: String,
    /// File name -> parsed unit, for run/systemd/network/*.
    files: BTreeMap<String, Unit>,
}

fn generate(root: &Path, yaml: &str) -> Generated {
    let etc = root.join("etc/netplan");
    std::fs::create_dir_all(&etc).unwrap();
    let file = etc.join("50-guestnet.yaml");
    std::fs::write(&file, yaml).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = Command::new(GENERATOR)
        .arg("--root-dir")
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    // Blocks separated by blank lines: "** (generate:PID): WARNING **: HH:MM:SS.mmm: message"
    // (the message may span lines), GLib's own "(generate:PID): GLib-WARNING **: ..." and
    // anything else netplan prints, kept whole so the check can reject it.
    let warnings = stderr
        .split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .map(|b| match b.split_once("WARNING **: ") {
            Some((_, m)) => m
                .split_once(": ")
                .map(|(_, msg)| msg)
                .unwrap_or(m)
                .to_string(),
            None => b.to_string(),
        })
        .collect();
    let mut files = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(root.join("run/systemd/network")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            files.insert(
                name,
                parse_unit(&std::fs::read_to_string(e.path()).unwrap()),
            );
        }
    }
    Generated {
        ok: out.status.success(),
        warnings,
        stderr,
        files,
    }
}

/// Runs the generator over many documents on a few threads; results in input order.
fn generate_all(dir: &Path, docs: &[String]) -> Vec<Generated> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Generated>>> =
        Mutex::new((0..docs.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 4);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    if i >= docs.len() {
                        break;
                    }
                    let g = generate(&dir.join(format!("root-{i:04}")), &docs[i]);
                    results.lock().unwrap()[i] = Some(g);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

/// Routes networkd will install for one .network file: [Route] sections plus the
/// [Network] Gateway= keys (netplan's form of gateway4/gateway6).
fn network_routes(u: &Unit) -> Vec<common::GuestRoute> {
    let mut out = Vec::new();
    for gw in values(u, "Network", "Gateway") {
        let gw: IpAddr = gw.parse().unwrap();
        let any: IpAddr = if gw.is_ipv4() { "0.0.0.0" } else { "::" }.parse().unwrap();
        out.push((any, 0, gw, None));
    }
    for (sec, kv) in u {
        if sec != "Route" {
            continue;
        }
        let get = |k: &str| kv.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let gw: IpAddr = get("Gateway").unwrap().parse().unwrap();
        let (dest, prefix) = match get("Destination") {
            Some(d) => common::split_cidr(&d).unwrap(),
            None => (
                if gw.is_ipv4() { "0.0.0.0" } else { "::" }.parse().unwrap(),
                0,
            ),
        };
        out.push((dest, prefix, gw, get("Metric").map(|m| m.parse().unwrap())));
    }
    out
}

/// Whether guestnet's netplan carries `gateway6` for this interface: its IPv6 gateway, or
/// a metric-less IPv6 default route standing in for one.
fn writes_gateway6(f: &Interface) -> bool {
    f.gateway6.is_some()
        || f.routes.iter().any(|r| {
            r.metric.is_none()
                && r.via.parse::<IpAddr>().is_ok_and(|v| v.is_ipv6())
                && (r.to == "default" || r.to == "::/0")
        })
}

fn check_interface(f: &Interface, r: &Resolved, g: &Generated, p: &mut Vec<String>) {
    let dev = &f.device_name.value;
    let Some(net) = g.files.get(&format!("10-netplan-{}.network", f.name)) else {
        p.push(format!("{}: no .network file", f.name));
        return;
    };
    let mac = f.mac.as_ref().map(|m| m.value.clone());
    let matched_mac =
        value(net, "Match", "PermanentMACAddress").or(value(net, "Match", "MACAddress"));
    if matched_mac != mac {
        p.push(format!(
            "{}: [Match] MAC {matched_mac:?} != {mac:?}",
            f.name
        ));
    }
    if value(net, "Match", "Name").as_deref() != Some(dev.as_str()) {
        p.push(format!(
            "{}: [Match] Name {:?} != {dev}",
            f.name,
            value(net, "Match", "Name")
        ));
    }
    let mtu = f.mtu.as_ref().map(|m| m.value.to_string());
    if value(net, "Link", "MTUBytes") != mtu {
        p.push(format!(
            "{}: MTUBytes {:?} != {mtu:?}",
            f.name,
            value(net, "Link", "MTUBytes")
        ));
    }
    // A rename (set-name) or an MTU on a matched device is a .link file, matched by MAC or
    // by the original name; it renames only for set-name.
    let link = g.files.get(&format!("10-netplan-{}.link", f.name));
    let renamed = mac.is_some() || dev != &f.name;
    match (link, renamed || mtu.is_some()) {
        (Some(l), true) => {
            let by = value(l, "Match", "PermanentMACAddress")
                .or(value(l, "Match", "MACAddress"))
                .or(value(l, "Match", "OriginalName"));
            let want = mac.clone().unwrap_or_else(|| dev.clone());
            let name = value(l, "Link", "Name");
            if by.as_ref() != Some(&want) || name.as_ref() != renamed.then_some(dev) {
                p.push(format!(
                    "{}: .link {l:?} does not rename {want} to {dev}",
                    f.name
                ));
            }
            if value(l, "Link", "MTUBytes") != mtu {
                p.push(format!(
                    "{}: .link MTUBytes {:?} != {mtu:?}",
                    f.name,
                    value(l, "Link", "MTUBytes")
                ));
            }
        }
        (None, false) => {}
        (l, want) => p.push(format!(
            "{}: .link file {} but expected {want}",
            f.name,
            l.is_some()
        )),
    }
    let dhcp = match (f.dhcp4.value, f.dhcp6.value) {
        (true, true) => Some("yes"),
        (true, false) => Some("ipv4"),
        (false, true) => Some("ipv6"),
        (false, false) => None,
    };
    if value(net, "Network", "DHCP").as_deref() != dhcp {
        p.push(format!(
            "{}: DHCP {:?} != {dhcp:?}",
            f.name,
            value(net, "Network", "DHCP")
        ));
    }
    let addrs = values(net, "Network", "Address");
    let want: Vec<String> = f.addresses.iter().map(|a| a.value.to_string()).collect();
    if addrs != want {
        p.push(format!("{}: Address {addrs:?} != {want:?}", f.name));
    }
    let ra = value(net, "Network", "IPv6AcceptRA");
    let want_ra = if f.accept_ra { "yes" } else { "no" };
    if ra.as_deref() != Some(want_ra) {
        p.push(format!("{}: IPv6AcceptRA {ra:?} != {want_ra}", f.name));
    }
    if values(net, "Network", "DNS") != f.nameservers.value {
        p.push(format!(
            "{}: DNS {:?} != {:?}",
            f.name,
            values(net, "Network", "DNS"),
            f.nameservers.value
        ));
    }
    if values(net, "Network", "Domains") != f.search_domains.value {
        p.push(format!(
            "{}: Domains {:?} != {:?}",
            f.name,
            values(net, "Network", "Domains"),
            f.search_domains.value
        ));
    }
    let routes = network_routes(net);
    let set: BTreeSet<common::GuestRoute> = routes.iter().copied().collect();
    if set.len() != routes.len() {
        p.push(format!("{}: a route is declared twice: {routes:?}", f.name));
    }
    let want = common::expected_routes(f);
    if set != want {
        p.push(format!("{}: routes {set:?} != {want:?}", f.name));
    }
    let mut vlans = values(net, "Network", "VLAN");
    vlans.sort();
    let mut want: Vec<String> = r
        .vlans
        .iter()
        .filter(|v| v.link == f.name)
        .map(|v| v.name.clone())
        .collect();
    want.sort();
    if vlans != want {
        p.push(format!("{}: VLAN {vlans:?} != {want:?}", f.name));
    }
}

fn check(r: &Resolved, style: GatewayStyle, gn213: bool, g: &Generated) -> Vec<String> {
    let mut p = Vec::new();
    if !g.ok {
        return vec![format!("netplan generate failed:\n{}", g.stderr)];
    }
    for f in &r.interfaces {
        check_interface(f, r, g, &mut p);
    }
    for v in &r.vlans {
        match g.files.get(&format!("10-netplan-{}.netdev", v.name)) {
            Some(nd) => {
                let ok = value(nd, "NetDev", "Name").as_deref() == Some(v.name.as_str())
                    && value(nd, "NetDev", "Kind").as_deref() == Some("vlan")
                    && value(nd, "VLAN", "Id") == Some(v.id.to_string());
                if !ok {
                    p.push(format!("VLAN {} id {}: .netdev {nd:?}", v.name, v.id));
                }
            }
            None => p.push(format!("VLAN {}: no .netdev", v.name)),
        }
        match g.files.get(&format!("10-netplan-{}.network", v.name)) {
            Some(n) => {
                let quiet = value(n, "Match", "Name").as_deref() == Some(v.name.as_str())
                    && values(n, "Network", "Address").is_empty()
                    && value(n, "Network", "DHCP").is_none()
                    && value(n, "Network", "IPv6AcceptRA").as_deref() == Some("no");
                if !quiet {
                    p.push(format!("VLAN {}: .network {n:?}", v.name));
                }
            }
            None => p.push(format!("VLAN {}: no .network", v.name)),
        }
    }
    // Exactly the files those checks looked at.
    let mut want: BTreeSet<String> = BTreeSet::new();
    for f in &r.interfaces {
        want.insert(format!("10-netplan-{}.network", f.name));
        if f.mac.is_some() || f.device_name.value != f.name || f.mtu.is_some() {
            want.insert(format!("10-netplan-{}.link", f.name));
        }
    }
    for v in &r.vlans {
        want.insert(format!("10-netplan-{}.network", v.name));
        want.insert(format!("10-netplan-{}.netdev", v.name));
    }
    let got: BTreeSet<String> = g.files.keys().cloned().collect();
    if got != want {
        p.push(format!("networkd files {got:?} != {want:?}"));
    }
    // Warnings: each predicted, each prediction made.
    let count = |needle: &str| g.warnings.iter().filter(|w| w.contains(needle)).count();
    let want4 = match style {
        GatewayStyle::Gateway4 => r.interfaces.iter().filter(|f| f.gateway4.is_some()).count(),
        GatewayStyle::Routes => 0,
    };
    let want6 = r.interfaces.iter().filter(|f| writes_gateway6(f)).count();
    let conflicts = count("Conflicting default route declarations");
    if count("`gateway4` has been deprecated") != want4
        || count("`gateway6` has been deprecated") != want6
        || (conflicts > 0) != gn213
    {
        p.push(format!(
            "netplan warned {:?}; guestnet predicted {want4} gateway4 and {want6} gateway6 deprecations and {} default route conflict",
            g.warnings,
            if gn213 { "a" } else { "no" }
        ));
    }
    for w in &g.warnings {
        let known = [
            "`gateway4` has been deprecated",
            "`gateway6` has been deprecated",
            "Conflicting default route declarations",
        ];
        if !known.iter().any(|k| w.contains(k)) {
            p.push(format!("unexpected netplan warning: {w}"));
        }
    }
    p
}

struct Case {
    label: String,
    resolved: Resolved,
    style: GatewayStyle,
    gn213: bool,
    doc: usize,
}

fn variants() -> (Vec<String>, Vec<Case>) {
    let mut docs: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut cases = Vec::new();
    for case in common::golden_cases() {
        let cname = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let own = common::case_options(&case).resolve.mac_policy;
        for style in [GatewayStyle::Routes, GatewayStyle::Gateway4] {
            for policy in [None, Some(MacPolicy::Derive)] {
                if policy == Some(own) {
                    continue;
                }
                let opts: CompileOptions = common::variant_options(&case, style, policy);
                for (ui, u) in compile_str(&text, &[], &opts).units.into_iter().enumerate() {
                    let gn213 = u
                        .diagnostics
                        .iter()
                        .any(|d| d.code == Code::MultipleDefaultRoutes);
                    let (Some(vm), Some(r)) = (u.vm, u.resolved) else {
                        continue;
                    };
                    let yaml = render::render(Target::Netplan, &vm, &r, &opts.render).artifacts[0]
                        .content
                        .clone();
                    let doc = *index.entry(yaml.clone()).or_insert_with(|| {
                        docs.push(yaml);
                        docs.len() - 1
                    });
                    cases.push(Case {
                        label: format!(
                            "{cname}[{ui}] {style:?} {}",
                            opts.resolve.mac_policy.as_str()
                        ),
                        resolved: r,
                        style,
                        gn213,
                        doc,
                    });
                }
            }
        }
    }
    (docs, cases)
}

#[test]
fn golden_netplan_matches_networkd_field_by_field() {
    if !available() {
        return;
    }
    let (_keep, dir) = common::oracle_dir("netplan");
    let (docs, cases) = variants();
    let t = Instant::now();
    let generated = generate_all(&dir, &docs);
    let elapsed = t.elapsed();
    let mut failures = Vec::new();
    for c in &cases {
        let problems = check(&c.resolved, c.style, c.gn213, &generated[c.doc]);
        if !problems.is_empty() {
            failures.push(format!(
                "{} (root-{:04}):\n  {}\n{}",
                c.label,
                c.doc,
                problems.join("\n  "),
                docs[c.doc]
            ));
        }
    }
    eprintln!(
        "netplan 0.106 generated networkd config for {} distinct documents ({} variants) in {:.2}s",
        docs.len(),
        cases.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} variants differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n---\n")
    );
    assert!(
        docs.len() >= 100,
        "only {} netplan documents checked",
        docs.len()
    );
}

/// Negative controls: the harness sees netplan's own failure, an unpredicted warning, and a
/// field that differs from the resolved configuration.
#[test]
fn harness_catches_what_netplan_rejects_or_changes() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = |n: &str| -> PathBuf { dir.path().join(n) };
    // netplan rejects an address without a prefix length.
    let bad = "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [\"10.0.0.5\"]\n";
    assert!(!generate(&root("bad"), bad).ok);
    // A resolved VM, rendered, must pass; the same document with one field changed, or with
    // a conflict guestnet did not predict, must not.
    let text = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1, namespace: ns}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, macAddr: '00:50:56:00:00:01', addresses: [10.0.0.5/24], gateway4: 10.0.0.1, nameservers: [10.0.0.53], mtu: 9000}\n";
    let opts = CompileOptions::default();
    let u = compile_str(text, &[], &opts).units.remove(0);
    let (vm, r) = (u.vm.unwrap(), u.resolved.unwrap());
    let yaml = render::render(Target::Netplan, &vm, &r, &opts.render).artifacts[0]
        .content
        .clone();
    let good = generate(&root("good"), &yaml);
    assert_eq!(
        check(&r, GatewayStyle::Routes, false, &good),
        Vec::<String>::new()
    );
    for (name, from, to, expect) in [
        ("mtu", "mtu: 9000", "mtu: 1500", "MTUBytes"),
        ("dns", "10.0.0.53", "10.0.0.54", "DNS"),
        ("mac", "00:50:56:00:00:01", "00:50:56:00:00:02", "MAC"),
        ("route", "\"0.0.0.0/0\"", "\"0.0.0.0/1\"", "routes"),
        (
            "twice",
            "      set-name",
            "      gateway4: \"10.0.0.1\"\n      set-name",
            "Conflicting",
        ),
        ("dhcp", "dhcp4: false", "dhcp4: true", "DHCP"),
    ] {
        let changed = yaml.replacen(from, to, 1);
        assert_ne!(changed, yaml, "{name}: nothing replaced");
        let g = generate(&root(name), &changed);
        let problems = check(&r, GatewayStyle::Routes, false, &g).join("\n");
        assert!(
            problems.contains(expect),
            "{name}: harness missed it: {problems:?}\n{changed}"
        );
    }
}
