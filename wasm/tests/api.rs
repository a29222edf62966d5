#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The browser API's contract, natively: result shapes (the CLI's diagnostic JSON), usage
//! errors, hostile input ending in diagnostics, multi-document text and the JSON wrapping.
//! `wasm/test/*.test.mjs` checks the same contract on the built module in node.

use guestnet_wasm::{EXAMPLE, api};
use serde_json::Value;

const TEN_NICS: &str = include_str!("../test/data/ten-nics.yaml");

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn codes(diags: &[guestnet_core::Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code.as_str()).collect()
}

fn only_custcfg_lossy(diags: &[guestnet_core::Diagnostic]) -> bool {
    diags
        .iter()
        .all(|d| d.code.as_str() == "GN301" && d.message.starts_with("cust.cfg cannot carry"))
}

#[test]
fn example_renders_every_target_without_errors() {
    let r = api::render(EXAMPLE, "all", "");
    let r = r.value().unwrap();
    assert_eq!(r.counts.errors, 0, "{:?}", r.diagnostics);
    // The only warnings: cust.cfg (a preview for this CloudInit VM) cannot carry MTU/routes.
    assert!(only_custcfg_lossy(&r.diagnostics), "{:?}", r.diagnostics);
    assert_eq!(r.vms.len(), 1);
    let targets: Vec<&str> = r.vms[0].targets.iter().map(|t| t.target).collect();
    assert_eq!(
        targets,
        [
            "netplan",
            "cloud-init",
            "status",
            "vapp",
            "custcfg",
            "vmx",
            "gosc"
        ]
    );
    let netplan = &r.vms[0].targets[0].artifacts[0];
    assert_eq!(netplan.name, "netplan.yaml");
    assert!(
        netplan
            .content
            .contains("macaddress: \"00:50:56:00:10:01\"")
    );
    assert_eq!(r.vms[0].name.as_deref(), Some("web-01"));
    assert_eq!(r.vms[0].namespace.as_deref(), Some("demo"));
}

#[test]
fn ten_nic_bench_spec_is_clean() {
    let r = api::render(TEN_NICS, "all", "");
    let r = r.value().unwrap();
    assert_eq!(r.counts.errors, 0, "{:?}", r.diagnostics);
    assert!(only_custcfg_lossy(&r.diagnostics), "{:?}", r.diagnostics);
    let netplan = &r.vms[0].targets[0].artifacts[0].content;
    assert_eq!(netplan.matches("macaddress:").count(), 10);
}

#[test]
fn diagnostics_have_the_cli_json_shape() {
    let bad = EXAMPLE.replace("gateway4: 10.20.0.1", "gateway4: 10.99.0.1");
    let v = json(&guestnet_wasm::validate(&bad, "{}"));
    assert_eq!(v["ok"], true);
    assert_eq!(v["errors"], 1);
    let d = &v["diagnostics"][0];
    let mut keys: Vec<&str> = d.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "code",
            "column",
            "endColumn",
            "endLine",
            "file",
            "help",
            "line",
            "message",
            "path",
            "severity"
        ]
    );
    assert_eq!(d["code"], "GN201");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "spec.network.interfaces[0].gateway4");
    let line = bad
        .lines()
        .position(|l| l.contains("10.99.0.1"))
        .map(|i| i + 1)
        .unwrap();
    assert_eq!(d["line"], line);
    assert_eq!(d["column"], 17);
    assert_eq!(d["endColumn"], 17 + "10.99.0.1".len());
    // Identical to the core type's own serialization, which the CLI prints.
    let r = api::validate(&bad, "");
    let core = serde_json::to_value(&r.value().unwrap().diagnostics[0]).unwrap();
    assert_eq!(&core, d);
}

#[test]
fn errors_mean_no_artifacts_and_render_findings_are_located() {
    let bad = EXAMPLE.replace("dhcp4: true", "dhcp4: true\n      gateway4: 10.0.0.1");
    let r = api::render(&bad, "all", "");
    let r = r.value().unwrap();
    assert!(codes(&r.diagnostics).contains(&"GN108"));
    assert!(r.vms[0].targets.is_empty());

    // A lossy target: cust.cfg cannot carry an MTU; the warning sits on the value.
    let r = api::render(EXAMPLE, "custcfg", "");
    let r = r.value().unwrap();
    let custcfg = &r.vms[0].targets[0];
    assert_eq!(custcfg.target, "custcfg");
    assert!(!custcfg.artifacts.is_empty());
    let w = custcfg
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "GN301" && d.path.ends_with(".mtu"))
        .expect("GN301 for the MTU");
    let mtu_line = EXAMPLE
        .lines()
        .position(|l| l.trim() == "mtu: 1500")
        .unwrap()
        + 1;
    assert_eq!(
        w.line,
        Some(mtu_line as u32),
        "render findings get a position"
    );
    assert!(r.diagnostics.contains(w), "and appear in the full list");
}

#[test]
fn info_findings_only_when_asked() {
    // The example is CloudInit: the gosc target is a preview (GN401, info).
    let quiet = api::render(EXAMPLE, "gosc", "{}");
    assert!(quiet.value().unwrap().diagnostics.is_empty());
    let loud = api::render(EXAMPLE, "gosc", r#"{"info": true}"#);
    let loud = loud.value().unwrap();
    assert_eq!(codes(&loud.diagnostics), ["GN401"]);
    assert_eq!(loud.counts.infos, 1);
}

#[test]
fn options_change_the_output_like_the_cli_flags() {
    let routes = api::render(EXAMPLE, "netplan", "");
    let gw4 = api::render(EXAMPLE, "netplan", r#"{"netplanGatewayStyle":"gateway4"}"#);
    let text = |o: &api::Outcome<api::Rendered>| {
        o.value().unwrap().vms[0].targets[0].artifacts[0]
            .content
            .clone()
    };
    assert!(
        text(&routes).contains("to: \"0.0.0.0/0\""),
        "{}",
        text(&routes)
    );
    assert!(text(&gw4).contains("gateway4: \"10.20.0.1\""));

    let soap = api::render(EXAMPLE, "gosc", r#"{"goscEnvelope":"customize-vm"}"#);
    let soap = soap.value().unwrap().vms[0].targets[0].artifacts[0]
        .content
        .clone();
    assert!(soap.contains("CustomizeVM_Task"), "{soap}");

    let pci = api::render(EXAMPLE, "netplan", r#"{"macPolicy":"pci-order"}"#);
    assert!(!text(&pci).contains("macaddress"));
    let pci = pci.value().unwrap();
    assert!(codes(&pci.diagnostics).contains(&"GN233"));
}

#[test]
fn usage_errors_are_error_results() {
    let bad_target = json(&guestnet_wasm::render(EXAMPLE, "netplan,ifupdown", ""));
    assert_eq!(bad_target["ok"], false);
    assert_eq!(bad_target["error"]["kind"], "usage");
    assert_eq!(
        bad_target["error"]["message"],
        "unknown target \"ifupdown\": one of netplan, cloud-init, status, vapp, custcfg, vmx, gosc, or all"
    );
    let bad_opt = json(&guestnet_wasm::validate(EXAMPLE, r#"{"provider":"aws"}"#));
    assert_eq!(bad_opt["ok"], false);
    assert!(
        bad_opt["error"]["message"]
            .as_str()
            .unwrap()
            .contains("vds, nsxt, vpc")
    );
    let bad_from = json(&guestnet_wasm::convert("ifcfg", "x", "yaml", ""));
    assert_eq!(bad_from["error"]["kind"], "usage");
    let bad_to = json(&guestnet_wasm::convert("vmx", "", "toml", ""));
    assert_eq!(bad_to["error"]["kind"], "usage");
}

#[test]
fn targets_list_deduplicates_and_keeps_order() {
    let t = api::parse_targets("vmx, netplan,vmx").unwrap();
    let names: Vec<&str> = t.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, ["vmx", "netplan"]);
    assert_eq!(api::parse_targets("all").unwrap().len(), 7);
    assert!(api::parse_targets("").is_err());
}

#[test]
fn duplicates_across_documents_of_one_text_are_found() {
    let second = EXAMPLE
        .replace("name: web-01\n", "name: web-02\n")
        .replace("hostName: web-01", "hostName: web-02")
        .replace("00:50:56:00:10:0", "00:50:56:00:11:0");
    let text = format!("{EXAMPLE}---\n{second}");
    let r = api::render(&text, "netplan", "");
    let r = r.value().unwrap();
    let dup: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.code.as_str() == "GN206")
        .collect();
    assert!(!dup.is_empty(), "{:?}", r.diagnostics);
    // Reported at every place (as the CLI does across files), each naming the other.
    let second_start = EXAMPLE.lines().count() + 2;
    assert!(
        dup.iter()
            .any(|d| (d.line.unwrap() as usize) < second_start)
    );
    assert!(dup.iter().any(|d| d.line.unwrap() as usize >= second_start));
    assert!(dup.iter().all(|d| d.message.contains("also")), "{dup:?}");
    assert_eq!(r.vms.len(), 2);
    assert_eq!(r.vms[1].document, 2);
    // Neither VM of a duplicate address gets artifacts: which one is wrong is the user's call.
    assert!(r.vms[0].targets.is_empty());
    assert!(r.vms[1].targets.is_empty());
}

#[test]
fn explain_gives_text_and_provenance() {
    let e = api::explain(EXAMPLE, "");
    let e = e.value().unwrap();
    assert_eq!(e.vms.len(), 1);
    assert!(e.vms[0].text.starts_with("VirtualMachine demo/web-01"));
    assert!(e.vms[0].text.contains("<- spec.network.hostName"));
    assert_eq!(e.vms[0].resolved["hostName"]["value"], "web-01");
    // Every spec path named as a source is placed in the text.
    let at = |path: &str| e.vms[0].locations.iter().find(|l| l.path == path).cloned();
    let host = at("spec.network.hostName").expect("hostName located");
    let want = EXAMPLE
        .lines()
        .position(|l| l.trim() == "hostName: web-01")
        .unwrap()
        + 1;
    assert_eq!((host.line, host.column), (want as u32, 15));
    assert!(at("spec.network.interfaces[0].macAddr").is_some());
    for path in e.vms[0]
        .text
        .lines()
        .filter_map(|l| l.split_once("<- ").map(|x| x.1))
    {
        if path.starts_with("spec.") || path.starts_with("metadata.") {
            assert!(at(path).is_some(), "{path} not located");
        }
    }
}

#[test]
fn convert_reads_a_custcfg_back() {
    let r = api::render(EXAMPLE, "custcfg", "");
    let cfg = r.value().unwrap().vms[0].targets[0].artifacts[0]
        .content
        .clone();
    let c = api::convert("custcfg", &cfg, "yaml", "web-01");
    let c = c.value().unwrap();
    assert_eq!(c.counts.errors, 0, "{:?}", c.diagnostics);
    assert_eq!(c.documents, 1);
    assert!(c.output.contains("kind: VirtualMachine"));
    assert!(c.output.contains("10.20.0.10/24"));
    // The output is a spec the API validates and renders again.
    let again = api::validate(&c.output, "");
    assert_eq!(again.value().unwrap().counts.errors, 0);

    let j = api::convert("custcfg", &cfg, "json", "");
    let v: Value = serde_json::from_str(&j.value().unwrap().output).unwrap();
    assert_eq!(v["kind"], "VirtualMachine");
}

#[test]
fn convert_errors_point_into_the_input_and_give_no_output() {
    let c = api::convert(
        "vmx",
        "ethernet0.present = \"TRUE\"\nthis is not vmx\n",
        "",
        "",
    );
    let c = c.value().unwrap();
    assert!(c.counts.errors > 0, "{:?}", c.diagnostics);
    assert!(c.output.is_empty());
    assert_eq!(c.documents, 0);
    assert!(c.diagnostics.iter().any(|d| d.line == Some(2)));
}

#[test]
fn rules_and_catalog_list_everything() {
    let rules = api::rules();
    assert_eq!(rules.len(), guestnet_core::Code::ALL.len());
    assert!(
        rules
            .iter()
            .any(|r| r.code == "GN201" && !r.title.is_empty())
    );
    let c = api::catalog();
    assert_eq!(c.targets.len(), 7);
    assert_eq!(c.formats, ["netplan", "custcfg", "vapp", "vmx", "gosc"]);
}

#[test]
fn hostile_input_ends_in_limit_diagnostics() {
    // Larger than the 64 MiB input budget.
    let huge = format!("# {}\n", "x".repeat(65 << 20));
    let v = api::validate(&huge, "");
    assert_eq!(codes(&v.value().unwrap().diagnostics), ["GN002"]);
    drop(huge);

    // Billion laughs.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let v = api::render(&bomb, "all", "");
    assert_eq!(codes(&v.value().unwrap().diagnostics), ["GN002"]);

    // Deep nesting, flow and block.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let v = api::explain(&deep, "");
    let d = &v.value().unwrap().diagnostics;
    // The YAML parser's own recursion limit answers first: a syntax error, not a crash.
    assert_eq!(codes(d), ["GN001"]);
    assert!(d[0].message.contains("recursion limit"), "{d:?}");
    let block: String = (0..5_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let v = api::validate(&block, "");
    assert_eq!(codes(&v.value().unwrap().diagnostics), ["GN002"]);
}

#[test]
fn hostile_input_to_every_reverse_parser_gives_diagnostics_not_panics() {
    let deep_xml = format!("{}{}", "<a>".repeat(200_000), "</a>".repeat(200_000));
    let inputs = [
        String::new(),
        "\u{0}\u{1}\u{fffd}garbage\n".repeat(1000),
        deep_xml,
        format!("{}\n", "=".repeat(1 << 20)),
        "[".repeat(100_000),
    ];
    for format in ["netplan", "custcfg", "vapp", "vmx", "gosc"] {
        for (i, text) in inputs.iter().enumerate() {
            let c = api::convert(format, text, "yaml", "");
            let c = c.value().unwrap();
            // Either a clean empty result or findings; never output with errors.
            if c.counts.errors > 0 {
                assert!(c.output.is_empty(), "{format} input {i}");
            }
            let _ = guestnet_wasm::convert(format, text, "json", "x");
        }
    }
}
