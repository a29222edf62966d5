//! The CLI layer against a hostile file system and hostile streams (issue 9): planted links,
//! loops, FIFOs, devices, huge and non-UTF-8 inputs, closed and full output streams. Each test
//! fails on the code before the issue was fixed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_guestnet");

const VM: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web-01, namespace: demo}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - {name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1}\n";

fn vm(name: &str, ns: Option<&str>, ip: &str) -> String {
    let meta = match ns {
        Some(n) => format!("{{name: {name}, namespace: {n}}}"),
        None => format!("{{name: {name}}}"),
    };
    VM.replace("{name: web-01, namespace: demo}", &meta)
        .replace("10.0.0.5", ip)
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = Command::new(EXE);
    c.args(args)
        .env("NO_COLOR", "1")
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

/// Runs with a deadline: a hang (FIFO, /dev/zero) fails the test instead of blocking it.
fn run_bounded(mut c: Command, secs: u64) -> Output {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "guestnet did not finish in {secs}s: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn json(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not a JSON array ({e}): {}",
            String::from_utf8_lossy(&o.stdout)
        )
    })
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tree(p: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn go(p: &Path, base: &Path, out: &mut Vec<String>) {
        let mut es: Vec<_> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        es.sort();
        for e in es {
            let rel = e.strip_prefix(base).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(&e).unwrap();
            if m.is_dir() {
                go(&e, base, out);
            } else {
                out.push(rel);
            }
        }
    }
    go(p, p, &mut out);
    out
}

fn mkfifo(p: &Path) {
    rustix::fs::mkfifoat(rustix::fs::CWD, p, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
}

// Item 1: nothing is written outside --out-dir.
#[test]
fn a_link_at_the_namespace_folder_is_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&victim, out.join("demo")).unwrap();
    let o = run(
        &[
            "render",
            "-",
            "--target",
            "netplan",
            "--out-dir",
            out.to_str().unwrap(),
        ],
        Some(VM),
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("symbolic link"), "{}", err(&o));
    assert!(
        tree(&victim).is_empty(),
        "written through the link: {:?}",
        tree(&victim)
    );
}

#[test]
fn a_link_planted_at_the_old_temp_file_name_is_not_followed() {
    // The old writer used `.<artifact>.tmp-<pid>` in the VM folder, opened with
    // File::create: a link there made guestnet overwrite its target. `exec` keeps the pid.
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let out = d.path().join("out");
    std::fs::create_dir_all(out.join("demo/web-01")).unwrap();
    let input = d.path().join("vm.yaml");
    std::fs::write(&input, VM).unwrap();
    let script = format!(
        "ln -s {v} {o}/demo/web-01/.netplan.yaml.tmp-$$ && exec {EXE} render {i} --target netplan --out-dir {o}",
        v = victim.display(),
        o = out.display(),
        i = input.display()
    );
    let o = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(tree(&out), vec!["demo/web-01/netplan.yaml"]);
}

// Item 2: loop-safe walks that read only regular files.
#[test]
fn walks_survive_loops_fifos_and_devices() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::write(root.join("a.yaml"), VM).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink(".", root.join("self")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("zero.yaml")).unwrap();
    mkfifo(&root.join("pipe.yaml"));
    let mut c = Command::new(EXE);
    c.args([
        "validate",
        root.to_str().unwrap(),
        "--format",
        "json",
        "--info",
    ]);
    let o = run_bounded(c, 30);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = json(&o);
    let codes: Vec<&str> = v.iter().map(|d| d["code"].as_str().unwrap()).collect();
    // No duplicates of a.yaml read through `self`; the FIFO and the device link are skipped
    // with an informational finding each.
    assert!(!codes.contains(&"GN206"), "{v:?}");
    let skipped: Vec<&str> = v
        .iter()
        .filter(|d| d["code"] == "GN410")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(skipped.len(), 2, "{v:?}");
    assert!(skipped.iter().any(|f| f.ends_with("pipe.yaml")));
    assert!(skipped.iter().any(|f| f.ends_with("zero.yaml")));
}

#[test]
fn a_named_fifo_or_device_is_skipped_not_read() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("p.yaml");
    mkfifo(&fifo);
    let mut c = Command::new(EXE);
    c.args([
        "validate",
        fifo.to_str().unwrap(),
        "/dev/zero",
        "--format",
        "json",
        "--info",
    ]);
    let o = run_bounded(c, 30);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(json(&o).iter().filter(|d| d["code"] == "GN410").count(), 2);
}

#[test]
fn excludes_and_ignore_files_apply() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::create_dir(root.join("charts")).unwrap();
    std::fs::write(root.join("charts/bad.yaml"), "a: [\n").unwrap();
    std::fs::write(root.join("gen.yaml"), "a: [\n").unwrap();
    std::fs::write(root.join(".guestnetignore"), "gen.yaml\n").unwrap();
    std::fs::write(root.join("ok.yaml"), VM).unwrap();
    let o = run(
        &[
            "validate",
            root.to_str().unwrap(),
            "--exclude",
            "charts/",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(
        &[
            "validate",
            root.to_str().unwrap(),
            "--no-ignore",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(json(&o).len(), 2);
}

// Item 3: reads are bounded while reading.
#[test]
fn endless_stdin_is_cut_at_the_limit() {
    let mut c = Command::new(EXE);
    c.args(["validate", "-", "--format", "json"])
        .stdin(std::fs::File::open("/dev/zero").unwrap());
    let o = run_bounded(c, 60);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let v = json(&o);
    assert_eq!(v[0]["code"], "GN002", "{v:?}");
    assert!(v[0]["message"].as_str().unwrap().contains("limit"));
}

// Item 4: a node budget across all documents of a file.
#[test]
fn node_heavy_files_hit_the_total_node_budget() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("big.yaml");
    // 21 documents of 100,000 nodes: each within the per-document limit, 2.1M in all.
    let doc = format!("[{}0]\n---\n", "0,".repeat(99_990));
    std::fs::write(&f, doc.repeat(21)).unwrap();
    let o = run(&["validate", f.to_str().unwrap(), "--format", "json"], None);
    let v = json(&o);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["code"], "GN002");
    assert!(
        v[0]["message"]
            .as_str()
            .unwrap()
            .contains("all its documents"),
        "{v:?}"
    );
}

// Item 5: human output is capped per document.
#[test]
fn twenty_thousand_findings_on_one_line_are_capped() {
    let fields: Vec<String> = (0..20_000).map(|i| format!("\"x{i}\": 1")).collect();
    let text = format!(
        "{{\"apiVersion\": \"vmoperator.vmware.com/v1alpha6\", \"kind\": \"VirtualMachine\", \"metadata\": {{\"name\": \"a1\"}}, \"spec\": {{{}}}}}\n",
        fields.join(", ")
    );
    let o = run(&["validate", "-"], Some(&text));
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        out.matches("error[GN003]").count(),
        100,
        "{}",
        &out[..500.min(out.len())]
    );
    assert!(
        out.contains("19900 more findings in -"),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
    // Every line of output is short: long source lines are windowed.
    assert!(out.lines().all(|l| l.len() < 1_000));
    let o = run(&["validate", "-", "--format", "json"], Some(&text));
    assert_eq!(json(&o).len(), 20_000, "machine formats get everything");
}

// Item 6: exit codes hold when output fails.
#[test]
fn closed_stdout_is_quiet_and_full_streams_exit_two() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("bad.yaml");
    std::fs::write(&f, VM.replace("gateway4: 10.0.0.1", "gateway4: 10.9.9.9")).unwrap();
    // `| head -c1`: the reader goes away after one byte.
    let script = format!(
        "{EXE} validate {} {} {} | head -c1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        f.display(),
        f.display(),
        f.display()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(status, "1", "exit status as if the output had been read");
    assert_eq!(err(&o), "", "no complaint about the closed pipe");
    // stdout on /dev/full: exit 2 with a message, never SIGABRT.
    let o = Command::new(EXE)
        .args(["validate", f.to_str().unwrap()])
        .stdout(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("cannot write to stdout"), "{}", err(&o));
    // stderr on /dev/full (render reports there): still exit 2, no abort.
    let o = Command::new(EXE)
        .args(["render", f.to_str().unwrap(), "--target", "netplan"])
        .stdout(Stdio::piped())
        .stderr(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

// Item 8: no silent overwrite of one output folder.
#[test]
fn no_namespace_and_default_namespace_are_the_same_folder() {
    let two = format!(
        "{}---\n{}",
        vm("web", None, "10.0.0.5"),
        vm("web", Some("default"), "10.0.0.6")
    );
    let d = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "render",
            "-",
            "--target",
            "netplan",
            "--out-dir",
            d.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        Some(&two),
    );
    assert_eq!(o.status.code(), Some(1));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stderr).unwrap();
    // One object and one folder: an error at both places (and the shared host name warned).
    let dups: Vec<_> = v
        .iter()
        .filter(|x| x["code"] == "GN206" && x["severity"] == "error")
        .collect();
    assert_eq!(dups.len(), 2, "{v:?}");
    assert!(
        dups.iter()
            .all(|x| x["message"].as_str().unwrap().contains("default/web"))
    );
    assert!(tree(d.path()).is_empty(), "neither VM overwrites the other");
}

// Item 9: a re-render replaces the VM's folder as a unit.
#[test]
fn stale_artifacts_do_not_survive_a_re_render() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().to_str().unwrap();
    let linux = VM.replace("cloudInit: {}", "linuxPrep: {}").replace(
        "- {name: eth0,",
        "- {name: eth0, macAddr: \"00:50:56:00:00:01\",",
    );
    let o = run(
        &["render", "-", "--target", "all", "--out-dir", out],
        Some(&linux),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(d.path().join("demo/web-01/cust.cfg").is_file());
    let o = run(
        &["render", "-", "--target", "netplan", "--out-dir", out],
        Some(&linux),
    );
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(tree(d.path()), vec!["demo/web-01/netplan.yaml"]);
}

// Item 12: one bad file does not sink the batch.
#[test]
fn a_non_utf8_file_is_a_finding_at_its_first_bad_byte() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.yaml"), b"apiVersion: v1\nkind: \xff\xfe\n").unwrap();
    std::fs::write(
        d.path().join("b.yaml"),
        VM.replace("gateway4: 10.0.0.1", "gateway4: 10.9.9.9"),
    )
    .unwrap();
    let o = run(
        &["validate", d.path().to_str().unwrap(), "--format", "json"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let v = json(&o);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(
        (
            v[0]["code"].as_str(),
            v[0]["line"].as_u64(),
            v[0]["column"].as_u64()
        ),
        (Some("GN001"), Some(2), Some(7))
    );
    assert_eq!(v[1]["code"], "GN201", "the other file is still checked");
}

#[test]
fn an_unreadable_file_is_a_finding_and_json_stays_an_array() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("secret.yaml");
    std::fs::write(&f, VM).unwrap();
    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    // Permissions do not stop root: then /proc/self/mem, a regular file whose read fails.
    let target = if std::fs::read(&f).is_ok() {
        "/proc/self/mem".to_string()
    } else {
        f.display().to_string()
    };
    let ok = d.path().join("ok.yaml");
    std::fs::write(&ok, VM.replace("gateway4: 10.0.0.1", "gateway4: 10.9.9.9")).unwrap();
    let o = run(
        &[
            "validate",
            &target,
            ok.to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let v = json(&o);
    assert_eq!(v[0]["code"], "GN012", "{v:?}");
    assert_eq!(v[1]["code"], "GN201", "the batch goes on");
}

// Item 13: a BOM does not shift columns nor appear in snippets.
#[test]
fn a_bom_does_not_shift_columns() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("bom.yaml");
    let body = "kind: [\n";
    std::fs::write(&f, format!("\u{feff}{body}")).unwrap();
    let o = run(&["validate", f.to_str().unwrap()], None);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(!out.contains('\u{feff}'), "{out:?}");
    let plain = d.path().join("plain.yaml");
    std::fs::write(&plain, body).unwrap();
    let o2 = run(&["validate", plain.to_str().unwrap()], None);
    let out2 = String::from_utf8_lossy(&o2.stdout).replace("plain.yaml", "bom.yaml");
    assert_eq!(out, out2, "same positions with and without a BOM");
}

fn write_dir(files: &[(&str, String)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (n, t) in files {
        std::fs::write(d.path().join(n), t).unwrap();
    }
    d
}

#[test]
fn sarif_carries_the_other_places_as_related_locations() {
    let d = write_dir(&[
        ("a.yaml", vm("a1", Some("ns"), "10.0.0.5")),
        ("b.yaml", vm("b1", Some("ns"), "10.0.0.5")),
    ]);
    let o = run(
        &["validate", d.path().to_str().unwrap(), "--format", "sarif"],
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        let rel = &r["relatedLocations"][0]["physicalLocation"];
        let here = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        let there = rel["artifactLocation"]["uri"].as_str().unwrap();
        assert_ne!(here, there);
        assert_eq!(rel["region"]["startLine"], 8);
    }
}
