//! `guestnet convert` on VirtualMachine manifests through the binary: the target version,
//! the output format, the old `--to yaml|json` spellings, what is reported, exit statuses.
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

fn out(o: &Output) -> (String, String, i32) {
    (
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
        o.status.code().unwrap_or(-1),
    )
}

const V6_WITH_VLANS: &str = "apiVersion: vmoperator.vmware.com/v1alpha6
kind: VirtualMachine
metadata: {name: vm1, namespace: ns}
spec:
  bootstrap: {cloudInit: {}}
  network:
    interfaces:
    - {name: eth0, dhcp4: true}
    vlans:
    - {name: vlan10, id: 10, link: eth0}
";

#[test]
fn an_old_manifest_is_rewritten_as_v1alpha6_and_validates() {
    let (stdout, stderr, code) = out(&guestnet(
        &["convert", &golden("v1alpha2-sysprep-join-domain")],
        None,
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\n"),
        "{stdout}"
    );
    assert!(stdout.contains("    domainName: my-ad.local\n"), "{stdout}");
    assert!(!stdout.contains("joinDomain"), "{stdout}");
    // Info notes only when asked.
    assert!(stderr.is_empty(), "{stderr}");
    let (_, stderr, _) = out(&guestnet(
        &["convert", "--info", &golden("v1alpha2-sysprep-join-domain")],
        None,
    ));
    assert!(stderr.contains("info[GN331]"), "{stderr}");
    let (v, verr, vcode) = out(&guestnet(&["validate", "-"], Some(&stdout)));
    assert_eq!(vcode, 0, "{v}{verr}");
}

#[test]
fn down_conversion_reports_what_is_lost_and_writes_json_when_asked() {
    let (stdout, stderr, code) = out(&guestnet(
        &["convert", "--to", "v1alpha5", "--format", "json", "-"],
        Some(V6_WITH_VLANS),
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning[GN330]: spec.network.vlans"),
        "{stderr}"
    );
    assert!(stderr.contains("--> -:10:7"), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["apiVersion"], "vmoperator.vmware.com/v1alpha5");
    assert!(v["spec"]["network"].get("vlans").is_none(), "{v}");
}

#[test]
fn the_old_format_spellings_still_work() {
    // --to json (no version): v1alpha6 as JSON.
    let (stdout, stderr, code) = out(&guestnet(
        &[
            "convert",
            "--to",
            "json",
            &golden("v1alpha3-linuxprep-dual-stack"),
        ],
        None,
    ));
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["apiVersion"], "vmoperator.vmware.com/v1alpha6");
    // A guest artifact still needs --from, and can now be written as an older version.
    let netplan =
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.0.0.5/24]\n";
    let (stdout, stderr, code) = out(&guestnet(
        &[
            "convert", "--from", "netplan", "--to", "v1alpha2", "--name", "web", "-",
        ],
        Some(netplan),
    ));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("apiVersion: vmoperator.vmware.com/v1alpha2\n"),
        "{stdout}"
    );
    let (stdout, _, code) = out(&guestnet(
        &[
            "convert", "--from", "netplan", "--to", "yaml", "--name", "web", "-",
        ],
        Some(netplan),
    ));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("apiVersion: vmoperator.vmware.com/v1alpha6\n"));
    // Without --from, a netplan file is not a VirtualMachine.
    let (stdout, stderr, code) = out(&guestnet(&["convert", "-"], Some(netplan)));
    assert_eq!((stdout.as_str(), code), ("", 1), "{stderr}");
    assert!(stderr.contains("GN005"), "{stderr}");
}

#[test]
fn input_errors_stop_the_conversion_and_usage_errors_exit_2() {
    let bad = V6_WITH_VLANS.replace("dhcp4: true", "dhcp4: true, adresses: []");
    let (stdout, stderr, code) = out(&guestnet(&["convert", "-"], Some(&bad)));
    assert_eq!((stdout.as_str(), code), ("", 1));
    assert!(stderr.contains("error[GN003]"), "{stderr}");
    let (_, stderr, code) = out(&guestnet(
        &["convert", "--to", "yaml", "--format", "json", "-"],
        Some(V6_WITH_VLANS),
    ));
    assert_eq!(code, 2, "{stderr}");
    let (_, _, code) = out(&guestnet(
        &["convert", "--to", "v1alpha7", "-"],
        Some(V6_WITH_VLANS),
    ));
    assert_eq!(code, 2);
}
