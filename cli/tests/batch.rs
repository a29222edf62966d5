//! The batch engine at fleet scale (issue 10): derived MACs without collisions, allocation
//! from the network catalog with `--ipam-state`, render semantics of target lists and `all`,
//! collision-free output folders.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const EXE: &str = env!("CARGO_BIN_EXE_guestnet");

fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(EXE);
    c.args(args).env("NO_COLOR", "1").stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stderr_json(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stderr).unwrap_or_else(|e| panic!("{e}: {}", err(o)))
}

/// A VM with `nics` interfaces and no MACs, on catalog network `net` when given.
fn vm(name: &str, ns: &str, nics: usize, net: Option<&str>, extra: &str) -> String {
    let mut s = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces:\n"
    );
    for i in 0..nics {
        match net {
            Some(n) => s.push_str(&format!(
                "    - {{name: eth{i}, network: {{name: {n}}}{extra}}}\n"
            )),
            None => s.push_str(&format!("    - {{name: eth{i}, dhcp4: true{extra}}}\n")),
        }
    }
    s
}

const CATALOG: &str = "apiVersion: guestnet.dev/v1alpha1\nkind: Network\nmetadata: {name: net-a}\nspec:\n  subnets:\n  - cidr: 10.0.0.0/24\n    gateway: 10.0.0.1\n    reserved: [10.0.0.11]\n    ranges: [\"10.0.0.10-10.0.0.14\"]\n";

fn write(dir: &Path, files: &[(String, String)]) {
    for (n, t) in files {
        std::fs::write(dir.join(n), t).unwrap();
    }
}

fn explain_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["explain"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    let o = run(&a);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// `namespace/name/interface` -> MAC, from explain's JSON.
fn macs(v: &[serde_json::Value]) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for x in v {
        let r = &x["resolved"];
        for f in r["interfaces"].as_array().unwrap() {
            m.insert(
                format!(
                    "{}/{}/{}",
                    r["namespace"].as_str().unwrap_or("default"),
                    r["name"].as_str().unwrap(),
                    f["name"].as_str().unwrap()
                ),
                f["mac"]["value"].as_str().unwrap().to_string(),
            );
        }
    }
    m
}

#[test]
fn derived_macs_are_unique_and_independent_of_order_and_threads() {
    // 1,200 VMs with 10 NICs: ~17 first-choice collisions in a 22-bit space.
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let vms: Vec<(String, String)> = (0..1_200)
        .map(|i| {
            (
                format!("vm{i}"),
                vm(&format!("vm{i}"), "fleet", 10, None, ""),
            )
        })
        .collect();
    // Same VMs, one file each, but file names in opposite order in the second directory.
    write(
        a.path(),
        &vms.iter()
            .map(|(n, t)| (format!("{n}.yaml"), t.clone()))
            .collect::<Vec<_>>(),
    );
    write(
        b.path(),
        &vms.iter()
            .enumerate()
            .map(|(i, (_, t))| (format!("{:05}.yaml", 99_999 - i), t.clone()))
            .collect::<Vec<_>>(),
    );
    let one = explain_json(&[a.path().to_str().unwrap(), "--mac-policy", "derive"]);
    let m1 = macs(&one);
    assert_eq!(m1.len(), 12_000);
    let unique: HashSet<&String> = m1.values().collect();
    assert_eq!(unique.len(), 12_000, "derived MACs collide");
    let moved = one
        .iter()
        .flat_map(|x| x["resolved"]["interfaces"].as_array().unwrap().clone())
        .filter(|f| {
            f["mac"]["source"]["detail"]
                .as_str()
                .unwrap()
                .contains("were taken")
        })
        .count();
    assert!(moved > 0, "the batch had collisions to resolve");
    // Each provenance names its own interface's key (composed when the VM is resolved
    // again, not kept in the plan).
    for x in &one {
        let r = &x["resolved"];
        for f in r["interfaces"].as_array().unwrap() {
            let detail = f["mac"]["source"]["detail"].as_str().unwrap();
            let key = format!(
                "\"fleet/{}/{}",
                r["name"].as_str().unwrap(),
                f["name"].as_str().unwrap()
            );
            assert!(detail.contains(&key), "{key} in {detail}");
        }
    }
    let o = run_env(
        &[
            "explain",
            b.path().to_str().unwrap(),
            "--mac-policy",
            "derive",
            "--format",
            "json",
        ],
        &[("RAYON_NUM_THREADS", "1")],
    );
    let two: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        macs(&two),
        m1,
        "same MACs whatever the file order and thread count"
    );
    // And the render validates its own output.
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "render",
        a.path().to_str().unwrap(),
        "--target",
        "all",
        "--mac-policy",
        "derive",
        "--out-dir",
        out.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(stderr_json(&o).iter().all(|d| d["code"] != "GN206"));
}

#[test]
fn derived_macs_keep_clear_of_explicit_ones() {
    let d = tempfile::tempdir().unwrap();
    // Find vm0's derived MAC, then give another VM that MAC explicitly.
    write(d.path(), &[("a.yaml".into(), vm("vm0", "ns", 1, None, ""))]);
    let m = macs(&explain_json(&[
        d.path().to_str().unwrap(),
        "--mac-policy",
        "derive",
    ]));
    let taken = m["ns/vm0/eth0"].clone();
    write(
        d.path(),
        &[(
            "b.yaml".into(),
            vm("other", "ns", 1, None, &format!(", macAddr: \"{taken}\"")),
        )],
    );
    let m2 = macs(&explain_json(&[
        d.path().to_str().unwrap(),
        "--mac-policy",
        "derive",
    ]));
    assert_eq!(m2["ns/other/eth0"], taken);
    assert_ne!(
        m2["ns/vm0/eth0"], taken,
        "the derived MAC moves off the explicit one"
    );
}

#[test]
fn allocation_from_the_catalog_is_lowest_free_and_explained() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("catalog.yaml".into(), CATALOG.into()),
            ("b.yaml".into(), vm("b", "ns", 1, Some("net-a"), "")),
            ("a.yaml".into(), vm("a", "ns", 1, Some("net-a"), "")),
            // A static address inside the range is taken.
            (
                "s.yaml".into(),
                vm(
                    "s",
                    "ns",
                    1,
                    Some("net-a"),
                    ", addresses: [10.0.0.10/24], gateway4: 10.0.0.1",
                ),
            ),
        ],
    );
    let v = explain_json(&[d.path().to_str().unwrap()]);
    let addr = |name: &str| {
        let r = v.iter().find(|x| x["resolved"]["name"] == name).unwrap();
        let a = &r["resolved"]["interfaces"][0]["addresses"][0];
        (
            a["value"].as_str().unwrap().to_string(),
            a["source"]["detail"].as_str().unwrap_or("").to_string(),
            r["resolved"]["interfaces"][0]["gateway4"]["value"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    };
    // .10 static, .11 reserved: a gets .12, b gets .13 (key order, not file order).
    assert_eq!(addr("a").0, "10.0.0.12/24");
    assert_eq!(addr("b").0, "10.0.0.13/24");
    assert_eq!(addr("a").2, "10.0.0.1", "the catalog gateway comes with it");
    assert!(
        addr("a")
            .1
            .contains("net-a 10.0.0.0/24 range 10.0.0.10-10.0.0.14"),
        "{}",
        addr("a").1
    );
    let o = run(&["explain", d.path().to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("<- allocated from net-a 10.0.0.0/24"));
}

#[test]
fn an_exhausted_range_names_network_subnet_and_count() {
    let d = tempfile::tempdir().unwrap();
    let mut files = vec![("catalog.yaml".to_string(), CATALOG.to_string())];
    for i in 0..6 {
        files.push((
            format!("v{i}.yaml"),
            vm(&format!("v{i}"), "ns", 1, Some("net-a"), ""),
        ));
    }
    write(d.path(), &files);
    let o = run(&["validate", d.path().to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let ex: Vec<_> = v.iter().filter(|x| x["code"] == "GN236").collect();
    // Range .10-.14 without the reserved .11: 4 free for 6 requests.
    assert_eq!(ex.len(), 2, "{v:?}");
    let m = ex[0]["message"].as_str().unwrap();
    assert!(
        m.contains("net-a") && m.contains("10.0.0.0/24") && m.contains("asks for 6 addresses"),
        "{m}"
    );
    assert!(ex[0]["line"].as_u64().is_some());
}

#[test]
fn ipam_state_keeps_allocations_and_releases_only_gone_vms() {
    let d = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let state = out.path().join("ipam.json");
    let render = |dir: &Path| {
        let o = run(&[
            "render",
            dir.to_str().unwrap(),
            "--target",
            "netplan",
            "--out-dir",
            out.path().to_str().unwrap(),
            "--ipam-state",
            state.to_str().unwrap(),
            "--mac-policy",
            "derive",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let s: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
        s
    };
    write(
        d.path(),
        &[
            ("catalog.yaml".into(), CATALOG.into()),
            ("b.yaml".into(), vm("b", "ns", 1, Some("net-a"), "")),
            ("c.yaml".into(), vm("c", "ns", 1, Some("net-a"), "")),
        ],
    );
    let s1 = render(d.path());
    assert_eq!(s1["addresses"]["ns/b/eth0"][0]["address"], "10.0.0.10/24");
    assert_eq!(s1["addresses"]["ns/c/eth0"][0]["address"], "10.0.0.12/24");
    let mac_b = s1["macs"]["ns/b/eth0"].clone();
    // A VM that sorts first would take .10 without the state; with it, b and c keep theirs.
    write(
        d.path(),
        &[("a.yaml".into(), vm("a", "ns", 1, Some("net-a"), ""))],
    );
    let s2 = render(d.path());
    assert_eq!(s2["addresses"]["ns/b/eth0"], s1["addresses"]["ns/b/eth0"]);
    assert_eq!(s2["addresses"]["ns/c/eth0"], s1["addresses"]["ns/c/eth0"]);
    assert_eq!(s2["addresses"]["ns/a/eth0"][0]["address"], "10.0.0.13/24");
    assert_eq!(s2["macs"]["ns/b/eth0"], mac_b);
    let np = std::fs::read_to_string(out.path().join("ns/b/netplan.yaml")).unwrap();
    assert!(np.contains("10.0.0.10/24"), "{np}");
    // b is gone: its address is released; the others stay.
    std::fs::remove_file(d.path().join("b.yaml")).unwrap();
    let s3 = render(d.path());
    assert!(s3["addresses"].get("ns/b/eth0").is_none(), "{s3}");
    assert_eq!(s3["addresses"]["ns/a/eth0"], s2["addresses"]["ns/a/eth0"]);
    // A file that cannot be parsed hides which VMs exist: nothing is released then.
    std::fs::write(d.path().join("broken.yaml"), "a: [\n").unwrap();
    std::fs::remove_file(d.path().join("c.yaml")).unwrap();
    let o = run(&[
        "render",
        d.path().to_str().unwrap(),
        "--target",
        "netplan",
        "--out-dir",
        out.path().to_str().unwrap(),
        "--ipam-state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let s4: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(s4["addresses"]["ns/c/eth0"], s3["addresses"]["ns/c/eth0"]);
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn target_all_renders_what_each_vm_can_have() {
    // LinuxPrep VMs without macAddr: cust.cfg needs MACs, the other targets do not.
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("a.yaml".into(), vm("a", "ns", 1, None, "")),
            (
                "b.yaml".into(),
                vm("b", "ns", 1, None, ", macAddr: \"00:50:56:00:00:0b\""),
            ),
        ],
    );
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "render",
        d.path().to_str().unwrap(),
        "--target",
        "all",
        "--out-dir",
        out.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v = stderr_json(&o);
    let w: Vec<_> = v.iter().filter(|x| x["code"] == "GN313").collect();
    assert_eq!(w.len(), 1, "{v:?}");
    assert_eq!(w[0]["severity"], "warning");
    assert!(w[0]["file"].as_str().unwrap().ends_with("a.yaml"));
    assert!(out.path().join("ns/a/netplan.yaml").is_file());
    assert!(!out.path().join("ns/a/cust.cfg").exists());
    assert!(out.path().join("ns/b/cust.cfg").is_file());
    // Named explicitly, the target that cannot be rendered stays an error, for that VM only.
    let out2 = tempfile::tempdir().unwrap();
    let o = run(&[
        "render",
        d.path().to_str().unwrap(),
        "--target",
        "netplan,custcfg",
        "--out-dir",
        out2.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr_json(&o)
            .iter()
            .any(|x| x["code"] == "GN321" && x["severity"] == "error")
    );
    assert!(
        !out2.path().join("ns/a").exists(),
        "no partial folder for the failed VM"
    );
    let mut got: Vec<String> = std::fs::read_dir(out2.path().join("ns/b"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, vec!["cust.cfg", "netplan.yaml"]);
}

#[test]
fn output_folders_never_collide() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("a.yaml".into(), vm("web", "team-a", 1, None, "")),
            ("b.yaml".into(), vm("web", "team-b", 1, None, "")),
        ],
    );
    let out = tempfile::tempdir().unwrap();
    let o = run(&[
        "render",
        d.path().to_str().unwrap(),
        "--target",
        "netplan",
        "--out-dir",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out.path().join("team-a/web/netplan.yaml").is_file());
    assert!(out.path().join("team-b/web/netplan.yaml").is_file());
    // Names that differ only in case would share a folder on a case-insensitive file
    // system; the API server refuses upper case in a name (GN010), so such a VM is an error
    // before any folder is planned.
    write(
        d.path(),
        &[("c.yaml".into(), vm("WEB", "team-a", 1, None, ""))],
    );
    let o = run(&["validate", d.path().to_str().unwrap(), "--format", "json"]);
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let bad: Vec<_> = v.iter().filter(|x| x["code"] == "GN010").collect();
    assert_eq!(bad.len(), 1, "{v:?}");
    assert!(bad[0]["file"].as_str().unwrap().ends_with("c.yaml"));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn catalogs_on_stdin_apply_to_its_vms() {
    use std::io::Write;
    let text = format!("{}---\n{CATALOG}", vm("a", "ns", 1, Some("net-a"), ""));
    let mut c = Command::new(EXE)
        .args(["explain", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v[0]["resolved"]["interfaces"][0]["addresses"][0]["value"],
        "10.0.0.10/24"
    );
}

/// A batch whose key index outgrows the planner's buffer (2,000 VMs with 8 NICs: 52,000
/// keys) finds the same duplicates whether the index goes to a temporary file or, when the
/// temporary directory is unusable, stays in memory.
#[test]
fn a_key_index_on_disk_or_in_memory_finds_the_same_duplicates() {
    let d = tempfile::tempdir().unwrap();
    let vms = d.path().join("vms");
    std::fs::create_dir(&vms).unwrap();
    let tmp = d.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    for i in 0..2000u32 {
        // vm-1999 repeats vm-0's first two addresses; vm-1500 repeats vm-5's first MAC.
        let mut s = format!(
            "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: vm-{i}, namespace: ns}}\nspec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces:\n"
        );
        for n in 0..8u32 {
            let host = if i == 1999 && n == 0 { 2 } else { i + 2 };
            let mac = if i == 1500 && n == 0 { 5 } else { i };
            s.push_str(&format!(
                "    - {{name: eth{n}, macAddr: \"00:50:56:{n:02x}:{:02x}:{:02x}\", addresses: [10.{n}.{}.{}/8, 10.{}.{}.{}/8], gateway4: 10.0.0.1}}\n",
                mac >> 8,
                mac & 255,
                host >> 8,
                host & 255,
                n + 100,
                host >> 8,
                host & 255
            ));
        }
        std::fs::write(vms.join(format!("vm-{i:04}.yaml")), s).unwrap();
    }
    let dir = vms.to_str().unwrap();
    let check = |tmpdir: &str| {
        let o = run_env(
            &["validate", dir, "--format", "json"],
            &[("TMPDIR", tmpdir)],
        );
        let v: Vec<serde_json::Value> =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", err(&o)));
        let mut dup: Vec<(String, String)> = v
            .iter()
            .filter(|x| x["code"] == "GN206")
            .map(|x| {
                let f = x["file"].as_str().unwrap();
                let f = f.rsplit('/').next().unwrap().to_string();
                (f, x["message"].as_str().unwrap().to_string())
            })
            .collect();
        dup.sort();
        (o.status.code(), dup, v.len())
    };
    let on_disk = check(tmp.to_str().unwrap());
    let files: Vec<&str> = on_disk.1.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        files,
        [
            "vm-0000.yaml",
            "vm-0000.yaml",
            "vm-0005.yaml",
            "vm-1500.yaml",
            "vm-1999.yaml",
            "vm-1999.yaml"
        ],
        "{on_disk:?}"
    );
    assert!(
        on_disk.1[0]
            .1
            .contains("10.0.0.2 is also assigned to ns/vm-1999")
    );
    assert!(
        on_disk.1[1]
            .1
            .contains("10.100.0.2 is also assigned to ns/vm-1999")
    );
    assert!(
        on_disk.1[2].1.contains("also used by ns/vm-1500"),
        "{on_disk:?}"
    );
    assert_eq!(on_disk.0, Some(1));
    // Nothing is left in the temporary directory (the file has no name).
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0);
    let in_memory = check(d.path().join("missing").to_str().unwrap());
    assert_eq!(in_memory, on_disk);
}
