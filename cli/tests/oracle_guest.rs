//! Oracle: Debian's cloud-init (22.4.2, run with /usr/bin/python3) reads every cust.cfg and
//! ovf-env.xml guestnet renders for the golden cases — with each case's options and again
//! with `--mac-policy derive` so every case has MACs — and what it derives (addresses,
//! gateways, DNS, MAC matching, hostname, time zone, vApp properties) agrees with what
//! guestnet resolved. A hostile-value corpus then proves no value can add a key, section,
//! element or line: each output is re-read by the real parser (configparser through
//! cloud-init, minidom through cloud-init's OVF datasource) and, for VMX, by libvirt's own
//! VMX parser (the NICs: count, MAC, model, networkName) and by ESXi's line reader (ported
//! from open-vm-tools, `oracles/vmx_dictll.py`: every key, and the guestinfo.ovfEnv read by
//! cloud-init's OVF parser).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use guestnet_core::Code;
use guestnet_core::model::VirtualMachine;
use guestnet_core::parse::{custcfg, vmx};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, RenderOptions, Target};
use guestnet_core::resolve::{MacPolicy, Resolved};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const PY: &str = "/usr/bin/python3";
const CLOUDINIT: &str = "/usr/lib/python3/dist-packages/cloudinit/sources/DataSourceOVF.py";

fn available() -> bool {
    common::oracle_available(PY, "Debian's python3")
        && common::oracle_available(CLOUDINIT, "apt-get install cloud-init (Debian 12: 22.4.2)")
}

/// Runs the oracle script over a directory; file name -> JSON result.
fn oracle(dir: &Path) -> BTreeMap<String, Value> {
    let script = common::workspace_root().join("cli/tests/oracles/cloudinit_guest.py");
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

fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

/// What cloud-init derived from a cust.cfg, compared with the resolved configuration.
/// Returns (problems, number of IPv4_MODE=DISABLED NICs cloud-init reads as DHCP).
fn check_custcfg(vm: &VirtualMachine, r: &Resolved, text: &str, o: &Value) -> (Vec<String>, usize) {
    let mut p = Vec::new();
    let mut quirks = 0;
    if let Some(e) = o.get("error") {
        return (vec![format!("cloud-init failed: {e}")], 0);
    }
    // Structure: configparser sees exactly the sections/keys guestnet wrote, with equal values.
    let (sections, _) = custcfg::lex(text).unwrap();
    let ours: BTreeMap<String, String> = sections
        .iter()
        .flat_map(|s| {
            s.entries
                .iter()
                .map(move |e| (format!("{}|{}", s.name, e.key), e.value.clone()))
        })
        .collect();
    let theirs: BTreeMap<String, String> = o["values"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), s(v)))
        .collect();
    if ours != theirs {
        p.push(format!(
            "configparser read {theirs:?}, guestnet wrote {ours:?}"
        ));
    }
    let md = &o["metadata"];
    if s(&md["local-hostname"]) != r.fqdn {
        p.push(format!(
            "local-hostname {} != {}",
            md["local-hostname"], r.fqdn
        ));
    }
    let tz = vm
        .bootstrap()
        .and_then(|b| b.linux_prep.as_ref())
        .and_then(|l| l.time_zone.clone());
    if o["cfg"].get("timezone").map(s) != tz {
        p.push(format!("timezone {:?} != {tz:?}", o["cfg"].get("timezone")));
    }
    let config = o["network"]["config"].as_array().unwrap();
    let phys: Vec<&Value> = config.iter().filter(|c| c["type"] == "physical").collect();
    if phys.len() != r.interfaces.len() {
        p.push(format!(
            "{} physical NICs for {} interfaces",
            phys.len(),
            r.interfaces.len()
        ));
        return (p, quirks);
    }
    let primary = r.primary_interface.as_ref().map(|x| x.value.clone());
    for (f, c) in r.interfaces.iter().zip(&phys) {
        let mac = f.mac.as_ref().map(|m| m.value.clone()).unwrap_or_default();
        if s(&c["mac_address"]) != mac {
            p.push(format!("{}: mac {} != {mac}", f.name, c["mac_address"]));
        }
        let subnets = c["subnets"].as_array().unwrap();
        let v4: Vec<_> = f.ipv4().collect();
        let first = &subnets[0];
        if f.dhcp4.value {
            if first["type"] != "dhcp" {
                p.push(format!("{}: expected dhcp, got {first}", f.name));
            }
        } else if let Some(a) = v4.first() {
            if first["type"] != "static"
                || s(&first["address"]) != a.addr.to_string()
                || s(&first["netmask"]) != a.dotted_mask().unwrap().to_string()
            {
                p.push(format!("{}: expected static {a}, got {first}", f.name));
            }
            let want_gw = f
                .gateway4
                .as_ref()
                .filter(|_| primary.as_deref() == Some(f.name.as_str()))
                .map(|g| g.value.to_string());
            if first.get("gateway").map(s) != want_gw {
                p.push(format!(
                    "{}: gateway {:?} != {want_gw:?}",
                    f.name,
                    first.get("gateway")
                ));
            }
            if first.get("routes").is_some() {
                p.push(format!("{}: unexpected routes {first}", f.name));
            }
        } else if first["type"] == "dhcp" {
            quirks += 1; // IPv4_MODE = DISABLED: cloud-init falls back to DHCP (reference §1.3).
        } else {
            p.push(format!("{}: IPv4-less NIC read as {first}", f.name));
        }
        let v6: Vec<(String, String)> = subnets
            .iter()
            .filter(|x| x["type"] == "static6")
            .map(|x| (s(&x["address"]), s(&x["netmask"])))
            .collect();
        let want6: Vec<(String, String)> = f
            .ipv6()
            .map(|c| (c.addr.to_string(), c.prefix.to_string()))
            .collect();
        if v6 != want6 {
            p.push(format!("{}: IPv6 {v6:?} != {want6:?}", f.name));
        }
    }
    let ns = config.iter().find(|c| c["type"] == "nameserver");
    let want_dns = !r.nameservers.value.is_empty() || !r.search_domains.value.is_empty();
    match ns {
        Some(n) => {
            let addrs: Vec<String> = n["address"].as_array().unwrap().iter().map(s).collect();
            let search: Vec<String> = n["search"].as_array().unwrap().iter().map(s).collect();
            if addrs != r.nameservers.value || search != r.search_domains.value {
                p.push(format!(
                    "DNS {addrs:?}/{search:?} != {:?}/{:?}",
                    r.nameservers.value, r.search_domains.value
                ));
            }
        }
        None if want_dns => p.push("DNS missing".into()),
        None => {}
    }
    (p, quirks)
}

fn check_ovf(props: &[(String, String)], adapters: usize, o: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if let Some(e) = o.get("error") {
        return vec![format!("cloud-init failed: {e}")];
    }
    let want: BTreeMap<String, String> = props.iter().cloned().collect();
    let got: BTreeMap<String, String> = o["properties"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), s(v)))
        .collect();
    if want != got {
        p.push(format!("properties {got:?} != {want:?}"));
    }
    if o["property_elements"].as_u64() != Some(props.len() as u64) {
        p.push(format!(
            "{} Property elements for {} properties",
            o["property_elements"],
            props.len()
        ));
    }
    // Environment, PlatformSection + Kind/Vendor/Locale, PropertySection, properties,
    // EthernetAdapterSection + adapters.
    let want_el = 1 + 4 + 1 + props.len() + if adapters > 0 { 1 + adapters } else { 0 };
    if o["elements"].as_u64() != Some(want_el as u64) {
        p.push(format!("{} elements, expected {want_el}", o["elements"]));
    }
    p
}

fn vapp_props(vm: &VirtualMachine, r: &Resolved) -> Vec<(String, String)> {
    let mut d = Vec::new();
    render::vapp::properties(vm, r, &mut d)
}

#[test]
fn golden_custcfg_and_ovf_env_agree_with_cloud_init() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cases: BTreeMap<String, (VirtualMachine, Resolved)> = BTreeMap::new();
    for case in common::golden_cases() {
        let cname = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        for policy in [None, Some(MacPolicy::Derive)] {
            let mut opts = CompileOptions::default();
            if let Ok(o) = std::fs::read_to_string(case.join("options.yaml"))
                && let Some(p) = o.lines().find_map(|l| l.strip_prefix("macPolicy: "))
            {
                opts.resolve.mac_policy = MacPolicy::parse(p.trim()).unwrap();
            }
            if let Some(p) = policy {
                opts.resolve.mac_policy = p;
            }
            for (ui, u) in compile_str(&text, &[], &opts).units.into_iter().enumerate() {
                let (Some(vm), Some(r)) = (u.vm, u.resolved) else {
                    continue;
                };
                let stem = format!("{cname}-{}-{ui}", opts.resolve.mac_policy.as_str());
                if cases.contains_key(&stem) {
                    continue;
                }
                let c = render::render(Target::Custcfg, &vm, &r, &RenderOptions::default());
                if let Some(a) = c.artifacts.first() {
                    std::fs::write(dir.path().join(format!("{stem}.cfg")), &a.content).unwrap();
                }
                let v = render::render(Target::Vapp, &vm, &r, &RenderOptions::default());
                std::fs::write(
                    dir.path().join(format!("{stem}.xml")),
                    &v.artifacts[0].content,
                )
                .unwrap();
                cases.insert(stem, (vm, r));
            }
        }
    }
    let t = Instant::now();
    let results = oracle(dir.path());
    let elapsed = t.elapsed();
    let (mut cfgs, mut xmls, mut quirks) = (0, 0, 0);
    let mut failures = Vec::new();
    for (file, o) in &results {
        let (stem, ext) = file.rsplit_once('.').unwrap();
        let (vm, r) = &cases[stem];
        let problems = if ext == "cfg" {
            cfgs += 1;
            let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
            let (p, q) = check_custcfg(vm, r, &text, o);
            quirks += q;
            p
        } else {
            xmls += 1;
            let adapters = r.interfaces.iter().filter(|f| f.mac.is_some()).count();
            check_ovf(&vapp_props(vm, r), adapters, o)
        };
        if !problems.is_empty() {
            failures.push(format!("{file}:\n  {}", problems.join("\n  ")));
        }
    }
    eprintln!(
        "cloud-init 22.4.2 read {cfgs} cust.cfg and {xmls} ovf-env.xml in {:.2}s ({quirks} IPv4-less NICs read as DHCP, the documented IPv4_MODE=DISABLED quirk)",
        elapsed.as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "cloud-init disagrees:\n{}",
        failures.join("\n")
    );
    assert!(cfgs >= 60, "only {cfgs} cust.cfg checked");
    assert!(xmls >= 60, "only {xmls} ovf-env.xml checked");
}

/// Strings that try to change the structure of a line-based or XML file.
fn corpus() -> Vec<String> {
    let mut v: Vec<String> = [
        "\n", "\r", "\r\n", "\"", "|", "=", "[", "]", "%", "%(x)s", "#", ";", "<", ">", "&", "'",
        ":", "\t", "\u{0}", "\u{1}", "\u{1b}", "\u{7f}", "\u{85}", "\u{2028}", " ", "&amp;", "]]>",
        "<!--", "|22", "\\", "{{", "}}",
    ]
    .iter()
    .map(|h| format!("a{h}b"))
    .collect();
    v.push("x\n[NETWORK]\nHOSTNAME = evil\n".into());
    v.push("\"/><Property oe:key=\"evil\" oe:value=\"1\"/>".into());
    v.push("\"\nethernet0.present = \"FALSE".into());
    v.push("a".repeat(10 * 1024));
    v.push("\u{1}\n\"|=[%#<".repeat(1000));
    v
}

fn vm_json(host: &str, tz: &str, prop_key: &str, prop_value: &str, net: &str) -> String {
    serde_json::json!({
        "apiVersion": "vmoperator.vmware.com/v1alpha6",
        "kind": "VirtualMachine",
        "metadata": {"name": "h1", "namespace": "ns"},
        "spec": {
            "bootstrap": {
                "linuxPrep": {"timeZone": tz},
                "vAppConfig": {"properties": [{"key": prop_key, "value": {"value": prop_value}}]}
            },
            "network": {
                "hostName": host,
                "interfaces": [{"name": "eth0", "macAddr": "00:50:56:00:00:01", "dhcp4": true, "network": {"name": net}}]
            }
        }
    })
    .to_string()
}

/// Per output file: the VMX keys written and the vApp properties set.
type Expected = (Vec<String>, Vec<(String, String)>);

#[test]
fn hostile_values_cannot_change_structure() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lv_dir = dir.path().join("libvirt");
    std::fs::create_dir_all(&lv_dir).unwrap();
    let mut lv: Vec<(VirtualMachine, Resolved, std::path::PathBuf)> = Vec::new();
    let mut expect: BTreeMap<String, Expected> = BTreeMap::new();
    let (mut rejected, mut rendered) = (0, 0);
    let mut n = 0;
    for h in corpus() {
        // Each hostile string in each user-controlled slot that reaches these files.
        let slots = [
            (
                "host",
                vm_json(&format!("h{h}"), "UTC", "k", "v", "net"),
                None,
            ),
            (
                "tz",
                vm_json("h", &format!("UTC{h}"), "k", "v", "net"),
                None,
            ),
            (
                "pkey",
                vm_json("h", "UTC", &format!("k{h}"), "v", "net"),
                None,
            ),
            ("pval", vm_json("h", "UTC", "k", &h, "net"), None),
            ("net", vm_json("h", "UTC", "k", "v", &format!("n{h}")), None),
            (
                "marker",
                vm_json("h", "UTC", "k", "v", "net"),
                Some(h.clone()),
            ),
        ];
        for (slot, json, marker) in slots {
            n += 1;
            let c = compile_str(&json, &[], &CompileOptions::default());
            let Some(u) = c.units.first() else {
                // The loader refuses the document as a whole (e.g. NUL in YAML).
                assert!(
                    !c.diagnostics.is_empty(),
                    "{slot} {h:?}: no unit and no diagnostic"
                );
                rejected += 1;
                continue;
            };
            let (Some(vm), Some(r)) = (&u.vm, &u.resolved) else {
                // Rejected by validation: with a clear code, never rendered.
                assert!(
                    u.diagnostics
                        .iter()
                        .any(|d| d.severity == guestnet_core::Severity::Error),
                    "{slot} {h:?}: neither rendered nor rejected"
                );
                rejected += 1;
                continue;
            };
            let opts = RenderOptions {
                custcfg_marker_id: marker,
                ..RenderOptions::default()
            };
            for t in [Target::Custcfg, Target::Vapp, Target::Vmx] {
                let out = render::render(t, vm, r, &opts);
                let Some(a) = out.artifacts.first() else {
                    let codes: Vec<Code> = out.diagnostics.iter().map(|d| d.code).collect();
                    assert!(
                        codes.contains(&Code::UnsafeValue),
                        "{slot} {h:?} {t:?}: no artifact and no GN230: {codes:?}"
                    );
                    rejected += 1;
                    continue;
                };
                rendered += 1;
                let ext = match t {
                    Target::Custcfg => "cfg",
                    Target::Vapp => "xml",
                    _ => "vmx",
                };
                let stem = format!("{n:04}-{slot}");
                std::fs::write(dir.path().join(format!("{stem}.{ext}")), &a.content).unwrap();
                if t == Target::Vmx {
                    let f = lv_dir.join(format!("{stem}.vmx"));
                    std::fs::write(&f, common::libvirt::wrap(&a.content)).unwrap();
                    lv.push((vm.clone(), r.clone(), f));
                    let keys = vmx::lex(&a.content)
                        .unwrap()
                        .into_iter()
                        .map(|e| e.key)
                        .collect();
                    expect.insert(format!("{stem}.vmx"), (keys, vapp_props(vm, r)));
                }
                if t == Target::Custcfg {
                    // Lines guestnet wrote: every value must come back whole.
                    assert!(
                        a.content
                            .lines()
                            .all(|l| l.is_empty() || l.starts_with('[') || l.contains(" = "))
                    );
                }
            }
            expect.insert(format!("{n:04}-{slot}"), (Vec::new(), vapp_props(vm, r)));
        }
    }
    let results = oracle(dir.path());
    let mut failures = Vec::new();
    for (file, o) in &results {
        let (stem, ext) = file.rsplit_once('.').unwrap();
        let props = &expect[stem].1;
        let problems: Vec<String> = match ext {
            "cfg" => {
                if let Some(e) = o.get("error") {
                    vec![format!("cloud-init failed: {e}")]
                } else {
                    let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
                    let (sections, _) = custcfg::lex(&text).unwrap();
                    let ours: Vec<(String, Vec<String>)> = sections
                        .iter()
                        .map(|s| {
                            let mut k: Vec<String> =
                                s.entries.iter().map(|e| e.key.clone()).collect();
                            k.sort();
                            (s.name.clone(), k)
                        })
                        .collect();
                    let theirs: Vec<(String, Vec<String>)> = o["shape"]
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_array().unwrap().iter().map(s).collect()))
                        .collect();
                    let mut ours_sorted = ours.clone();
                    ours_sorted.sort();
                    if ours_sorted != theirs {
                        vec![format!("shape {theirs:?} != {ours_sorted:?}")]
                    } else {
                        Vec::new()
                    }
                }
            }
            "xml" => check_ovf(props, 1, o),
            _ => {
                let mut p = Vec::new();
                let keys: Vec<String> = o["keys"].as_array().unwrap().iter().map(s).collect();
                if keys != expect[file].0 {
                    p.push(format!("VMX keys {keys:?} != {:?}", expect[file].0));
                }
                let got: BTreeMap<String, String> = o["ovf_properties"]
                    .as_object()
                    .map(|m| m.iter().map(|(k, v)| (k.clone(), s(v))).collect())
                    .unwrap_or_default();
                let want: BTreeMap<String, String> = props.iter().cloned().collect();
                if got != want {
                    p.push(format!("guestinfo.ovfEnv properties {got:?} != {want:?}"));
                }
                p
            }
        };
        if !problems.is_empty() {
            failures.push(format!("{file}: {}", problems.join("; ")));
        }
    }
    // The NICs of every hostile VMX, through libvirt's parser.
    if common::libvirt::available() {
        let path = common::libvirt::stand_ins(&dir.path().join("bin"));
        let files: Vec<std::path::PathBuf> = lv.iter().map(|x| x.2.clone()).collect();
        let parsed = common::libvirt::domxml_from_native(&path, &files);
        for (vm, r, f) in &lv {
            let problems = match &parsed[f] {
                Ok(xml) => common::libvirt::check_nics(vm, r, &common::libvirt::nics(xml)),
                Err(e) => vec![format!("libvirt rejected it: {e}")],
            };
            if !problems.is_empty() {
                failures.push(format!(
                    "{} (libvirt): {}",
                    f.display(),
                    problems.join("; ")
                ));
            }
        }
    }
    eprintln!(
        "hostile corpus: {n} VMs, {rendered} artifacts re-read by the real parsers ({} VMX also by libvirt), {rejected} rejections (validation or renderer)",
        lv.len()
    );
    assert!(
        failures.is_empty(),
        "structure changed:\n{}",
        failures.join("\n")
    );
    assert!(
        rendered > 100 && rejected > 50,
        "{rendered} rendered, {rejected} rejected"
    );
}
