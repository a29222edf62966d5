//! End-to-end tests of the `guestnet` binary: the contract scripts rely on (exit codes,
//! output formats, stdin, directories, out-dir layout).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn guestnet(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guestnet"));
    c.args(args).env_remove("NO_COLOR");
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        // The process may exit (usage error) before reading stdin: a broken pipe is fine.
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn golden(case: &str) -> String {
    common::workspace_root()
        .join("golden-tests")
        .join(case)
        .join("input.yaml")
        .display()
        .to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const CLEAN: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web-01, namespace: demo}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1}\n";

#[test]
fn acceptance_file_gives_six_located_diagnostics() {
    let o = guestnet(
        &[
            "validate",
            &golden("done-means-six-problems"),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let got: Vec<(String, u64, u64)> = v
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = [
        ("GN122", 12, 15),
        ("GN101", 14, 7),
        ("GN201", 16, 17),
        ("GN107", 18, 14),
        ("GN111", 23, 14),
        ("GN003", 24, 7),
    ];
    let want: Vec<(String, u64, u64)> = want
        .iter()
        .map(|(c, l, k)| (c.to_string(), *l, *k))
        .collect();
    assert_eq!(got, want);
    for d in &v {
        for key in [
            "file", "code", "severity", "path", "line", "column", "message", "help",
        ] {
            assert!(d.get(key).is_some(), "missing {key} in {d}");
        }
    }
    // Human format: one error block each, with file:line:col and a caret.
    let o = guestnet(&["validate", &golden("done-means-six-problems")], None);
    let text = stdout(&o);
    assert_eq!(text.matches("error[GN").count(), 6, "{text}");
    assert!(
        text.contains("done-means-six-problems/input.yaml:16:17"),
        "{text}"
    );
    assert!(text.contains('^'));
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn clean_file_is_silent_and_exits_zero() {
    let o = guestnet(&["validate", "-", "--format", "json"], Some(CLEAN));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "[]\n");
    let o = guestnet(&["validate", "-"], Some(CLEAN));
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), ""));
}

#[test]
fn strict_fails_on_warnings() {
    let warn = CLEAN.replace(
        "addresses: [10.0.0.5/24], gateway4: 10.0.0.1",
        "addresses: [10.0.0.5/24], routes: [{to: 10.1.0.1/16, via: 10.0.0.1}]",
    );
    assert_eq!(
        guestnet(&["validate", "-"], Some(&warn)).status.code(),
        Some(0)
    );
    assert_eq!(
        guestnet(&["validate", "-", "--strict"], Some(&warn))
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn sarif_and_github_formats() {
    let o = guestnet(
        &[
            "validate",
            &golden("rule-gn201-gateway-outside-subnet"),
            "--format",
            "sarif",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "GN201");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        12
    );
    assert!(
        v["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len()
            > 40
    );
    let o = guestnet(
        &[
            "validate",
            &golden("rule-gn201-gateway-outside-subnet"),
            "--format",
            "github",
        ],
        None,
    );
    let line = stdout(&o);
    assert!(line.starts_with("::error file="), "{line}");
    assert!(line.contains(",line=12,col=17,"), "{line}");
}

#[test]
fn syntax_error_is_a_finding_with_location() {
    let o = guestnet(&["validate", "-", "--format", "json"], Some("a: [1,\n"));
    assert_eq!(o.status.code(), Some(1));
    let v: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["code"], "GN001");
    assert!(v[0]["line"].as_u64().is_some());
}

#[test]
fn usage_and_io_errors_exit_two() {
    assert_eq!(
        guestnet(&["validate", "/nonexistent/x.yaml"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        guestnet(&["validate", "--format", "xml", "-"], Some(CLEAN))
            .status
            .code(),
        Some(2)
    );
    assert_eq!(guestnet(&["frobnicate"], None).status.code(), Some(2));
    assert_eq!(guestnet(&["--version"], None).status.code(), Some(0));
}

#[test]
fn batch_checks_span_files() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.yaml"), CLEAN).unwrap();
    std::fs::write(d.path().join("b.yaml"), CLEAN.replace("web-01", "web-02")).unwrap();
    std::fs::write(d.path().join("notes.txt"), "ignored").unwrap();
    let o = guestnet(
        &["validate", d.path().to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    // Reported at both places, each naming the other (issue 10).
    assert_eq!(v.len(), 2, "{v:?}");
    for (d, here, other) in [(&v[0], "a.yaml", "b.yaml"), (&v[1], "b.yaml", "a.yaml")] {
        assert_eq!(d["code"], "GN206");
        assert!(d["file"].as_str().unwrap().ends_with(here), "{d}");
        assert_eq!(d["line"], 8);
        assert!(d["message"].as_str().unwrap().contains(other), "{d}");
        assert!(
            d["related"][0]["file"].as_str().unwrap().ends_with(other),
            "{d}"
        );
    }
}

#[test]
fn render_stdout_and_out_dir() {
    let o = guestnet(&["render", "-", "--target", "netplan"], Some(CLEAN));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("network:\n"));
    // Several artifacts on stdout: every one, each under a header (issue 9 item 10).
    let with_userdata = CLEAN.replace(
        "bootstrap: {cloudInit: {}}",
        "bootstrap: {cloudInit: {cloudConfig: {timezone: UTC}}}",
    );
    let o = guestnet(
        &["render", "-", "--target", "cloud-init"],
        Some(&with_userdata),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(t.starts_with("# file: metadata.yaml\n"), "{t}");
    assert!(t.contains("\n# file: userdata.yaml\n"), "{t}");
    let o = guestnet(&["render", "-", "--target", "netplan,status"], Some(CLEAN));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("# file: status.yaml\n"));

    let d = tempfile::tempdir().unwrap();
    let two = format!(
        "{CLEAN}---\n{}",
        CLEAN
            .replace("web-01", "web-02")
            .replace("10.0.0.5", "10.0.0.6")
    );
    let o = guestnet(
        &[
            "render",
            "-",
            "--target",
            "all",
            "--out-dir",
            d.path().to_str().unwrap(),
        ],
        Some(&two),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for vm in ["web-01", "web-02"] {
        for f in ["netplan.yaml", "metadata.yaml", "status.yaml"] {
            assert!(d.path().join("demo").join(vm).join(f).is_file(), "{vm}/{f}");
        }
    }
    let leftovers = walk(d.path())
        .into_iter()
        .filter(|p| p.contains(".tmp-"))
        .count();
    assert_eq!(leftovers, 0);
}

fn walk(p: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn a_vm_with_errors_gets_no_artifacts() {
    let d = tempfile::tempdir().unwrap();
    let bad = CLEAN.replace("gateway4: 10.0.0.1", "gateway4: 10.9.9.9");
    let both = format!(
        "{bad}---\n{}",
        CLEAN
            .replace("web-01", "web-02")
            .replace("10.0.0.5", "10.0.0.6")
    );
    let o = guestnet(
        &[
            "render",
            "-",
            "--target",
            "netplan",
            "--out-dir",
            d.path().to_str().unwrap(),
        ],
        Some(&both),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("GN201"));
    assert!(!d.path().join("demo/web-01").exists());
    assert!(d.path().join("demo/web-02/netplan.yaml").is_file());
}

#[test]
fn explain_shows_provenance() {
    let o = guestnet(&["explain", "-"], Some(CLEAN));
    let t = stdout(&o);
    assert!(t.contains("hostName         web-01"), "{t}");
    assert!(t.contains("<- metadata.name"), "{t}");
    let o = guestnet(&["explain", "-", "--format", "json"], Some(CLEAN));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["resolved"]["hostName"]["source"]["kind"], "metadata");
}

#[test]
fn netplan_converts_back_to_a_valid_vm() {
    let np = guestnet(&["render", "-", "--target", "netplan"], Some(CLEAN));
    let o = guestnet(
        &["convert", "--from", "netplan", "--name", "web-01", "-"],
        Some(&stdout(&np)),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let vm = stdout(&o);
    assert!(vm.contains("gateway4: \"10.0.0.1\""), "{vm}");
    let v = guestnet(&["validate", "-", "--format", "json"], Some(&vm));
    assert_eq!(stdout(&v), "[]\n");
}

#[test]
fn schema_command_prints_json_schema() {
    let o = guestnet(&["schema"], None);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        v["properties"]["apiVersion"]["const"],
        "vmoperator.vmware.com/v1alpha6"
    );
}

#[test]
fn example_is_clean() {
    let ex = guestnet(&["example"], None);
    let o = guestnet(
        &["validate", "-", "--strict", "--format", "json"],
        Some(&stdout(&ex)),
    );
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "[]\n"));
}

#[test]
fn json_input_has_positions_too() {
    let json = r#"{
  "apiVersion": "vmoperator.vmware.com/v1alpha6",
  "kind": "VirtualMachine",
  "metadata": {"name": "vm1"},
  "spec": {"bootstrap": {"cloudInit": {}}, "network": {"interfaces": [
    {"name": "eth0", "addresses": ["10.0.0.5/24"], "gateway4": "10.0.1.1"}
  ]}}
}"#;
    let o = guestnet(&["validate", "-", "--format", "json"], Some(json));
    let v: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(
        (
            v[0]["code"].as_str(),
            v[0]["line"].as_u64(),
            v[0]["column"].as_u64()
        ),
        (Some("GN201"), Some(6), Some(64))
    );
}
