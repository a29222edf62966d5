#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! The gosc target through the `guestnet` binary: render options, convert --from gosc, and
//! what a user sees for bad input (a diagnostic and exit 1, never a panic or partial file).

mod common;

use std::process::{Command, Output};

fn guestnet(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guestnet"));
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn case(name: &str) -> String {
    common::workspace_root()
        .join("golden-tests")
        .join(name)
        .join("input.yaml")
        .display()
        .to_string()
}

#[test]
fn render_then_convert_back() {
    let out = guestnet(
        &[
            "render",
            "--target",
            "gosc",
            "--provider",
            "vpc",
            &case("gosc-linuxprep-static"),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CustomizationSpec"));
    let back = guestnet(
        &["convert", "--from", "gosc", "--name", "web01", "-"],
        Some(&xml),
    );
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    let yaml = String::from_utf8(back.stdout).unwrap();
    assert!(yaml.contains("hostName: web01"), "{yaml}");
    assert!(yaml.contains("\"10.0.0.10/24\""), "{yaml}");
}

#[test]
fn envelope_and_api_version_options() {
    let out = guestnet(
        &[
            "render",
            "--target",
            "gosc",
            "--gosc-envelope",
            "create-spec",
            "--api-version",
            "7.0.3",
            &case("gosc-sysprep-domain-join"),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("<CreateCustomizationSpec xmlns=\"urn:vim25\">"));
    assert!(!xml.contains("<domainOU>"), "domainOU is API 8.0.2");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("GN310"), "{err}");
    let bad = guestnet(
        &[
            "render",
            "--target",
            "gosc",
            "--api-version",
            "7.0U3",
            &case("gosc-linuxprep-dhcp"),
        ],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn cloudinitprep_on_an_old_vcenter_renders_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = guestnet(
        &[
            "render",
            "--target",
            "gosc",
            "--api-version",
            "7.0",
            "--out-dir",
            dir.path().to_str().unwrap(),
            &case("gosc-api-version-7.0-cloudinitprep"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GN312"));
    assert!(!dir.path().join("prod/ci-old/gosc.xml").exists());
}

#[test]
fn bad_xml_is_a_diagnostic() {
    for (input, code) in [
        ("<CustomizationSpec xmlns=\"urn:vim25\"><identity>", "GN221"),
        (
            "<spec xmlns=\"urn:vim25\"><identity/><globalIPSettings/></spec>",
            "GN004",
        ),
        ("", "GN221"),
    ] {
        let out = guestnet(&["convert", "--from", "gosc", "-"], Some(input));
        assert_eq!(out.status.code(), Some(1), "{input}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(code), "{input}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}
