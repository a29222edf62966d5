//! guestnet in a real GitOps repository (`tests/fixtures/gitops-repo`): VMs next to
//! Deployments, ConfigMaps, Secrets, kustomizations with patches, a Helm chart, workflows,
//! vm-operator's other kinds, dev/prod scopes, `.guestnet.yaml`, inline suppressions, and
//! update-time rules against git history.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gitops-repo")
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_guestnet"));
    c.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(s) = stdin {
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// `file line:col code severity` for every finding of a JSON report.
fn findings(o: &Output) -> Vec<String> {
    let v: Vec<serde_json::Value> = serde_json::from_str(&out(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out(o), err(o)));
    v.iter()
        .map(|d| {
            format!(
                "{} {}:{} {} {}",
                d["file"].as_str().unwrap(),
                d["line"],
                d["column"],
                d["code"].as_str().unwrap(),
                d["severity"].as_str().unwrap()
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The fixture in a temporary folder (to change files or make it a git repository).
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    copy_dir(&fixture(), &repo);
    (d, repo)
}

#[test]
fn the_sample_repository_reports_exactly_the_vm_findings() {
    let o = run_in(
        &fixture(),
        &["validate", ".", "--format", "json", "--summary"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(
        findings(&o),
        vec![
            // the gateway is outside eth0's subnet
            "./clusters/dev/vms/db-01.yaml 17:17 GN201 error",
            // prod's catalog (scope clusters/prod) does not have dev's subnet
            "./clusters/prod/vms/app.yaml 36:19 GN209 error",
        ]
    );
    // 23 files (hidden .github and .guestnet.yaml are not walked; legacy/ is excluded),
    // 5 VMs, 21 skipped documents.
    assert_eq!(
        err(&o).trim(),
        "guestnet: 23 files, 5 VMs, 21 skipped, 2 errors, 0 warnings"
    );
}

#[test]
fn info_lists_every_skipped_document_and_strict_kinds_fails_them() {
    let o = run_in(
        &fixture(),
        &["validate", ".", "--format", "json", "--info"],
        None,
    );
    let all = findings(&o);
    let skipped: Vec<&String> = all.iter().filter(|f| f.contains(" GN407 info")).collect();
    assert_eq!(skipped.len(), 21, "{all:#?}");
    for (file, why) in [
        ("apps/deployment.yaml", "apps/v1/Deployment"),
        ("base/service.yaml", "VirtualMachineService"),
        ("classes/classes.yaml", "VirtualMachineClass"),
        ("charts/webapp/templates/vm.yaml", "Helm template"),
        ("charts/webapp/values.yaml", "not a Kubernetes object"),
        ("overlays/dev/vm-patch.yaml", "kustomize patch"),
        ("overlays/prod/vm-class.yaml", "kustomize patch"),
    ] {
        let v: Vec<serde_json::Value> = serde_json::from_str(&out(&o)).unwrap();
        assert!(
            v.iter().any(|d| d["file"].as_str().unwrap().ends_with(file)
                && d["message"].as_str().unwrap().contains(why)),
            "{file}: {why}"
        );
    }
    let o = run_in(
        &fixture(),
        &["validate", ".", "--format", "json", "--strict-kinds"],
        None,
    );
    let strict = findings(&o);
    assert_eq!(
        strict.iter().filter(|f| f.contains(" GN407 error")).count(),
        21
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn non_manifests_passed_by_name_are_never_errors() {
    // What pre-commit passes when someone stages them.
    let o = run_in(
        &fixture(),
        &[
            "validate",
            ".pre-commit-config.yaml",
            ".github/workflows/validate.yaml",
            "charts/webapp/templates/vm.yaml",
            "charts/webapp/Chart.yaml",
            "overlays/dev/vm-patch.yaml",
            "--summary",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o), "");
    assert_eq!(
        err(&o).trim(),
        "guestnet: 5 files, 0 VMs, 5 skipped, 0 errors, 0 warnings"
    );
}

#[test]
fn config_excludes_even_files_named_explicitly() {
    let o = run_in(&fixture(), &["validate", "legacy/old-vm.yaml"], None);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(err(&o).contains("no .yaml, .yml or .json files found"));
    // Without the repository's configuration the legacy VM is judged.
    let o = run_in(
        &fixture(),
        &[
            "validate",
            "legacy/old-vm.yaml",
            "--config",
            "/dev/null",
            "--format",
            "json",
        ],
        None,
    );
    assert!(
        findings(&o).iter().any(|f| f.contains("GN104")),
        "{}",
        out(&o)
    );
}

#[test]
fn one_staged_file_sees_the_configured_catalogs() {
    let o = run_in(
        &fixture(),
        &["validate", "clusters/prod/vms/app.yaml", "--format", "json"],
        None,
    );
    assert_eq!(
        findings(&o),
        vec!["clusters/prod/vms/app.yaml 36:19 GN209 error"]
    );
}

#[test]
fn scopes_keep_dev_and_prod_apart() {
    let (_d, repo) = scratch();
    let o = run_in(&repo, &["validate", "clusters", "--format", "json"], None);
    assert!(
        !findings(&o).iter().any(|f| f.contains("GN206")),
        "{}",
        out(&o)
    );
    // Without scopes the two clusters' Network catalogs, both named vm-net, collide: the
    // first one wins and prod's addresses are outside it.
    let cfg = std::fs::read_to_string(repo.join(".guestnet.yaml")).unwrap();
    std::fs::write(
        repo.join(".guestnet.yaml"),
        cfg.replace("scopes:\n- clusters/*\n", ""),
    )
    .unwrap();
    let o = run_in(&repo, &["validate", "clusters", "--format", "json"], None);
    let f = findings(&o);
    assert!(
        f.contains(&"clusters/prod/vms/web-01.yaml 17:19 GN209 error".to_string()),
        "{f:#?}"
    );
    // And without catalogs either, web-01 is defined twice, with one MAC.
    std::fs::write(repo.join(".guestnet.yaml"), "provider: vpc\n").unwrap();
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/dev/vms",
            "clusters/prod/vms",
            "--format",
            "json",
        ],
        None,
    );
    let f = findings(&o);
    assert!(
        f.contains(&"clusters/prod/vms/web-01.yaml 4:9 GN206 error".to_string()),
        "{f:#?}"
    );
}

#[test]
fn inline_ignore_and_rule_overrides() {
    let (_d, repo) = scratch();
    let web = repo.join("clusters/prod/vms/web-01.yaml");
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/prod/vms/web-01.yaml",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(findings(&o), Vec::<String>::new());
    let text = std::fs::read_to_string(&web).unwrap();
    std::fs::write(
        &web,
        text.replace(
            "      # guestnet:ignore GN204 the fourth resolver is for a later migration\n",
            "",
        ),
    )
    .unwrap();
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/prod/vms/web-01.yaml",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        findings(&o),
        vec!["clusters/prod/vms/web-01.yaml 19:20 GN204 warning"]
    );
    // `rules: {GN214: off}` hides db-01's eth1 without addresses; `--info` shows it
    // once the override is gone.
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/dev/vms/db-01.yaml",
            "--info",
            "--format",
            "json",
        ],
        None,
    );
    assert!(!out(&o).contains("GN214"));
    let cfg = std::fs::read_to_string(repo.join(".guestnet.yaml")).unwrap();
    std::fs::write(
        repo.join(".guestnet.yaml"),
        cfg.replace("  GN214: off", "  GN214: warning"),
    )
    .unwrap();
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/dev/vms/db-01.yaml",
            "--format",
            "json",
        ],
        None,
    );
    assert!(
        findings(&o).iter().any(|f| f.ends_with("GN214 warning")),
        "{}",
        out(&o)
    );
}

#[test]
fn a_broken_config_is_a_usage_error_with_a_position() {
    let (_d, repo) = scratch();
    std::fs::write(
        repo.join(".guestnet.yaml"),
        "provider: vds\nscope: [clusters/*]\n",
    )
    .unwrap();
    let o = run_in(&repo, &["validate", "clusters"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o)
            .contains(".guestnet.yaml:2:1: scope: unknown field `scope` (did you mean `scopes`?)"),
        "{}",
        err(&o)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn against_a_revision_applies_update_rules() {
    if !common::oracle_available("git", "--against reads history with git") {
        return;
    }
    let (_d, repo) = scratch();
    git(&repo, &["init", "-q"]);
    // No commit yet: every VM is new.
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/dev/vms/web-01.yaml",
            "--against",
            "HEAD",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "initial"]);
    let web = repo.join("clusters/dev/vms/web-01.yaml");
    let text = std::fs::read_to_string(&web).unwrap();
    std::fs::write(
        &web,
        text.replace("00:50:56:00:10:11", "00:50:56:00:10:99")
            .replace("10.10.0.11/24", "10.10.0.12/24"),
    )
    .unwrap();
    let o = run_in(
        &repo,
        &[
            "validate",
            "clusters/dev/vms/web-01.yaml",
            "--against",
            "HEAD",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        findings(&o),
        vec!["clusters/dev/vms/web-01.yaml 16:16 GN190 error"]
    );
    assert!(out(&o).contains("field is immutable"));
    // Without --against the change is fine (a new VM may have any MAC).
    let o = run_in(&repo, &["validate", "clusters/dev/vms/web-01.yaml"], None);
    assert_eq!(o.status.code(), Some(0));
    // From a subfolder, with a path relative to it.
    let o = run_in(
        &repo.join("clusters"),
        &["validate", "dev/vms/web-01.yaml", "--against", "HEAD"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let o = run_in(
        &repo,
        &["validate", "clusters", "--against", "no-such-rev"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("unknown revision"), "{}", err(&o));
}

#[test]
fn kustomize_build_output_validates_from_stdin() {
    let tool = ["kubectl", "kustomize"]
        .into_iter()
        .find(|t| common::oracle_available(t, "kustomize build | guestnet validate -"));
    let Some(tool) = tool else { return };
    let args: &[&str] = if tool == "kubectl" {
        &["kustomize", "overlays/dev"]
    } else {
        &["build", "overlays/dev"]
    };
    let built = Command::new(tool)
        .args(args)
        .current_dir(fixture())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let stream = String::from_utf8(built.stdout).unwrap();
    let o = run_in(
        &fixture(),
        &["validate", "-", "--format", "json", "--summary"],
        Some(&stream),
    );
    // The strategic-merge patch replaced the whole interface list (a CRD has no merge
    // keys), so the built VM lost its interface name: the patch file alone looked fine.
    let f = findings(&o);
    assert!(
        f.iter()
            .any(|x| x.starts_with("- ") && x.contains("GN102 error")),
        "{f:#?}"
    );
    assert!(err(&o).contains("1 VM, 2 skipped"), "{}", err(&o));
}

#[test]
fn sarif_on_an_io_error_is_a_valid_failed_run() {
    let o = run_in(
        &fixture(),
        &["validate", "missing.yaml", "--format", "sarif"],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert!(
        inv["toolExecutionNotifications"][0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("missing.yaml")
    );
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn rules_explain_completions_man_version() {
    let here = fixture();
    let o = run_in(&here, &["rules"], None);
    let table = out(&o);
    assert!(table.starts_with("CODE   DEFAULT  NAME"), "{table}");
    assert!(table.contains("GN201  error    GatewayOutsideSubnet"));
    let o = run_in(&here, &["rules", "GN190", "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v[0]["name"], "UpdateForbidden");
    assert!(
        v[0]["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("docs/rules.md#gn190")
    );
    let o = run_in(&here, &["explain", "gn201"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).starts_with("GN201 GatewayOutsideSubnet"),
        "{}",
        out(&o)
    );
    let o = run_in(&here, &["rules", "GN999"], None);
    assert_eq!(o.status.code(), Some(2));
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef guestnet"),
        ("fish", "complete -c guestnet"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run_in(&here, &["completions", shell], None);
        assert!(out(&o).contains(marker), "{shell}");
        assert!(
            out(&o).contains("strict-kinds"),
            "{shell} completes options"
        );
    }
    let o = run_in(&here, &["man"], None);
    assert!(out(&o).contains(".TH guestnet 1"));
    let o = run_in(&here, &["--version"], None);
    assert!(out(&o).starts_with(&format!("guestnet {}", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn docs_rules_md_is_fresh() {
    let on_disk =
        std::fs::read_to_string(common::workspace_root().join("docs/rules.md")).unwrap_or_default();
    assert!(
        on_disk == guestnet_cli::rules::markdown(),
        "docs/rules.md is stale: run `cargo run -p guestnet-cli -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn color_follows_flags_and_environment() {
    let bad = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: a}\nspec:\n  network: {hostName: -bad}\n";
    let esc = |o: &Output| out(o).contains('\u{1b}');
    let dir = fixture();
    assert!(
        !esc(&run_in(&dir, &["validate", "-"], Some(bad))),
        "no colour into a pipe"
    );
    assert!(esc(&run_in(
        &dir,
        &["validate", "-", "--color", "always"],
        Some(bad)
    )));
    let mut c = Command::new(env!("CARGO_BIN_EXE_guestnet"));
    let forced = c
        .args(["validate", "-"])
        .env("FORCE_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut forced = forced;
    forced
        .stdin
        .take()
        .unwrap()
        .write_all(bad.as_bytes())
        .unwrap();
    let o = forced.wait_with_output().unwrap();
    assert!(esc(&o), "FORCE_COLOR");
    let mut c = Command::new(env!("CARGO_BIN_EXE_guestnet"));
    let mut child = c
        .args(["validate", "-", "--color", "never"])
        .env("FORCE_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bad.as_bytes())
        .unwrap();
    assert!(
        !esc(&child.wait_with_output().unwrap()),
        "--color never wins"
    );
}
