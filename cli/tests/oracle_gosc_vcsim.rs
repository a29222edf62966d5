#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! Oracle: vcsim (govmomi's vCenter simulator, Debian `golang-github-vmware-govmomi-dev`
//! built in GOPATH mode with Debian's `golang-go`) runs the CustomizeVM_Task request the
//! gosc target renders for every golden case, verbatim, against a fresh powered-off VM with
//! as many NICs as the spec has adapters (and the spec's MACs). The task must succeed, and
//! after power-on the VM's guest.hostName / guest.ipAddress / guest.net must be the spec's.
//! With one NIC too many vcsim must answer NicSettingMismatch, and the harness says so.
//!
//! vcsim 0.24.2 is lenient XML-wise (pyVmomi is the strictness oracle) and predates
//! CustomizationCloudinitPrep and CustomizationDisableIpV4, which it decodes as nothing:
//! for those only acceptance (and the NIC count) is checked.
//! The Go binary is cached in Cargo's target tmp dir and rebuilt when its source changes.

mod common;

use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::render::{self, Target};
use guestnet_core::vim25::customization::{CustomizationSpec, Identity, IpGenerator};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const GOVMOMI: &str = "/usr/share/gocode/src/github.com/vmware/govmomi/simulator";

fn available() -> bool {
    common::oracle_available("go", "apt-get install golang-go")
        && common::oracle_found(
            Path::new(GOVMOMI).is_dir(),
            "govmomi sources are not installed",
            "apt-get install golang-github-vmware-govmomi-dev",
        )
}

/// Builds (once per run, and only when main.go changed) the vcsim harness.
fn harness() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = common::workspace_root().join("cli/tests/oracles/vcsim_gosc/main.go");
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vcsim_gosc");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("vcsim_gosc");
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if mtime(&bin).is_some() && mtime(&bin) >= mtime(&src) {
            return bin;
        }
        let tmp = dir.join(format!("vcsim_gosc.{}", std::process::id()));
        let t = std::time::Instant::now();
        let out = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&tmp)
            .arg(&src)
            .current_dir(&dir)
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            // Shared with the submitter's vcsim: govmomi compiles once per target dir.
            .env(
                "GOCACHE",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-cache"),
            )
            .env("GOFLAGS", "")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go build of the vcsim harness failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&tmp, &bin).unwrap();
        eprintln!("built vcsim harness in {:.1}s", t.elapsed().as_secs_f64());
        bin
    })
}

struct Run {
    case: String,
    file: PathBuf,
    spec: CustomizationSpec,
    host: Option<String>,
    extra_nic: bool,
}

fn run(runs: &[Run], dir: &Path) -> Vec<Value> {
    let manifest = dir.join("manifest.tsv");
    let mut text = String::new();
    for r in runs {
        let nics = r.spec.nic_setting_map.len() + usize::from(r.extra_nic);
        let macs: Vec<&str> = r
            .spec
            .nic_setting_map
            .iter()
            .filter_map(|m| m.mac_address.as_deref())
            .collect();
        let macs = if macs.is_empty() {
            "-".to_string()
        } else {
            macs.join(",")
        };
        text.push_str(&format!("{}\t{nics}\t{macs}\n", r.file.display()));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = Command::new(harness()).arg(&manifest).output().unwrap();
    assert!(
        out.status.success(),
        "vcsim harness failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), runs.len(), "one result per request");
    results
}

/// Every golden case's spec as a CustomizeVM_Task request.
fn golden_runs(dir: &Path, extra_nic: bool) -> Vec<Run> {
    let mut runs = Vec::new();
    for case in common::golden_cases() {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let mut opts = common::case_options(&case);
        opts.render.gosc.envelope = EnvelopeKind::CustomizeVm;
        for (i, u) in common::resolved_units(&case, &opts).iter().enumerate() {
            let (vm, r) = (u.vm.as_ref().unwrap(), u.resolved.as_ref().unwrap());
            let out = render::render(Target::Gosc, vm, r, &opts.render);
            let Some(a) = out.artifacts.first() else {
                continue;
            };
            let spec = render::gosc::spec(vm, r, &opts.render, &mut Vec::new()).unwrap();
            let file = dir.join(format!("{name}.{i}.{extra_nic}.xml"));
            std::fs::write(&file, &a.content).unwrap();
            let host = matches!(spec.identity, Identity::LinuxPrep(_) | Identity::Sysprep(_))
                .then(|| r.host_name.value.clone());
            runs.push(Run {
                case: format!("{name}#{i}"),
                file,
                spec,
                host,
                extra_nic,
            });
        }
    }
    runs
}

#[test]
fn golden_gosc_customizes_a_vcsim_vm() {
    if !available() {
        return;
    }
    let started = std::time::Instant::now();
    harness();
    let dir = tempfile::tempdir().unwrap();
    let runs = golden_runs(dir.path(), false);
    let results = run(&runs, dir.path());
    let mut failures = Vec::new();
    let mut hosts_checked = 0;
    for (r, res) in runs.iter().zip(&results) {
        let fail = |why: String| format!("{}: {why}\n  vcsim said: {res}", r.case);
        if res["state"] != "success" {
            failures.push(fail(format!(
                "CustomizeVM_Task did not succeed ({} {})",
                res["fault"], res["detail"]
            )));
            continue;
        }
        if let Some(e) = res.get("error") {
            failures.push(fail(format!("after the task: {e}")));
            continue;
        }
        if let Some(h) = &r.host {
            hosts_checked += 1;
            if res["hostName"].as_str() != Some(h.as_str()) {
                failures.push(fail(format!("guest.hostName is not {h:?}")));
            }
        }
        let fixed: Vec<Option<&str>> = r
            .spec
            .nic_setting_map
            .iter()
            .map(|m| match &m.adapter.ip {
                IpGenerator::Fixed(ip) => Some(ip.as_str()),
                _ => None,
            })
            .collect();
        let first = fixed.iter().flatten().next().copied().unwrap_or("");
        if res["ipAddress"].as_str() != Some(first) {
            failures.push(fail(format!("guest.ipAddress is not {first:?}")));
        }
        let net = res["guestNet"].as_array().unwrap();
        if net.len() != fixed.len() {
            failures.push(fail(format!("guest.net has {} NICs", net.len())));
            continue;
        }
        for (i, (n, want)) in net.iter().zip(&fixed).enumerate() {
            let ips: Vec<&str> = n["ips"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let want: Vec<&str> = want.iter().copied().collect();
            if ips != want {
                failures.push(fail(format!("guest.net[{i}] has {ips:?}, spec {want:?}")));
            }
            if let Some(mac) = &r.spec.nic_setting_map[i].mac_address
                && n["mac"].as_str() != Some(mac.as_str())
            {
                failures.push(fail(format!("guest.net[{i}] MAC is not {mac}")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "vcsim disagreed:\n{}",
        failures.join("\n")
    );
    assert!(runs.len() >= 40, "only {} specs ran", runs.len());
    assert!(
        hosts_checked >= 15,
        "only {hosts_checked} host names checked"
    );
    eprintln!(
        "vcsim: CustomizeVM_Task succeeded for {} specs, guest state checked ({hosts_checked} host names), in {:.1}s",
        runs.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn nic_count_mismatch_is_nic_setting_mismatch() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<Run> = golden_runs(dir.path(), true)
        .into_iter()
        .filter(|r| !r.spec.nic_setting_map.is_empty())
        .collect();
    let results = run(&runs, dir.path());
    let mut failures = Vec::new();
    for (r, res) in runs.iter().zip(&results) {
        let n = r.spec.nic_setting_map.len();
        let want = format!("numberOfNicsInSpec={n} numberOfNicsInVM={}", n + 1);
        if res["fault"] != "NicSettingMismatch" || res["detail"].as_str() != Some(want.as_str()) {
            failures.push(format!(
                "{}: a VM with {} NICs for a {n}-adapter spec should fail with NicSettingMismatch ({want}); vcsim said {res}",
                r.case,
                n + 1
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(runs.len() >= 15, "only {} mismatches ran", runs.len());
    eprintln!(
        "vcsim: {} NIC-count mismatches reported as NicSettingMismatch",
        runs.len()
    );
}
