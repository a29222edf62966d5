#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
//! End to end: the `guestnet` binary against vcsim (govmomi's vCenter simulator from Debian's
//! `golang-github-vmware-govmomi-dev` 0.24.2, built in GOPATH mode with Debian's `golang-go`)
//! over TLS on 127.0.0.1 with a password and its own CA.
//!
//! The simulator program (`oracles/vcsim_submit/main.go`) is ours: it extends vcsim with
//! `CustomizeGuest_Task` (vcsim 0.24.2 has none) and with a VM question that blocks a
//! power-on, and it lets a test play the guest (events, `guestinfo.gc.status`, VMware Tools
//! state) and the administrator (power, pending customizations, expired sessions). Its SOAP
//! trace shows what reached the server, so "nothing was sent" is checked where it happened.
//!
//! Skips loudly without go/govmomi; fails instead under `GUESTNET_REQUIRE_ORACLES=1`.

mod common;

use guestnet_core::render::encode::decode_guestinfo;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::OnceLock;

const GOVMOMI: &str = "/usr/share/gocode/src/github.com/vmware/govmomi/simulator";
const USER: &str = "administrator@vsphere.local";
const PASSWORD: &str = "vc-pw";

fn available() -> bool {
    common::oracle_available("go", "apt-get install golang-go")
        && common::oracle_found(
            Path::new(GOVMOMI).is_dir(),
            "govmomi sources are not installed",
            "apt-get install golang-github-vmware-govmomi-dev",
        )
}

/// Builds (once per run, and only when main.go changed) the simulator.
fn harness() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src = common::workspace_root().join("cli/tests/oracles/vcsim_submit/main.go");
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let dir = tmp.join("vcsim_submit");
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("vcsim_submit");
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if mtime(&bin).is_some() && mtime(&bin) >= mtime(&src) {
            return bin;
        }
        let out_tmp = dir.join(format!("vcsim_submit.{}", std::process::id()));
        let t = std::time::Instant::now();
        let out = Command::new("go")
            .arg("build")
            .arg("-o")
            .arg(&out_tmp)
            .arg(&src)
            .current_dir(&dir)
            .env("GO111MODULE", "off")
            .env("GOPATH", "/usr/share/gocode")
            .env("GOCACHE", tmp.join("go-cache"))
            .env("GOFLAGS", "")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "go build of the vcsim harness failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&out_tmp, &bin).unwrap();
        eprintln!("built vcsim_submit in {:.1}s", t.elapsed().as_secs_f64());
        bin
    })
}

/// One simulator process, driven through its stdin.
struct Vcsim {
    child: Child,
    stdin: ChildStdin,
    out: BufReader<ChildStdout>,
    url: String,
    thumbprint: String,
    ca: PathBuf,
    trace: PathBuf,
    dir: tempfile::TempDir,
}

impl Vcsim {
    fn start(args: &[&str]) -> Vcsim {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let trace = dir.path().join("trace.log");
        let mut child = Command::new(harness())
            .args([
                "-ca-out",
                ca.to_str().unwrap(),
                "-trace",
                trace.to_str().unwrap(),
            ])
            .args(["-user", USER, "-password", PASSWORD])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut hello = String::new();
        out.read_line(&mut hello).unwrap();
        let v: Value = serde_json::from_str(&hello)
            .unwrap_or_else(|e| panic!("vcsim_submit did not start ({e}): {hello:?}"));
        Vcsim {
            child,
            stdin,
            out,
            url: v["url"].as_str().unwrap().to_string(),
            thumbprint: v["thumbprint"].as_str().unwrap().to_string(),
            ca,
            trace,
            dir,
        }
    }

    fn cmd(&mut self, args: &[&str]) -> Value {
        writeln!(self.stdin, "{}", serde_json::to_string(args).unwrap()).unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["ok"], true, "harness {args:?}: {v}");
        v
    }

    fn vm(&mut self, name: &str) -> Value {
        self.cmd(&["vm", name])
    }

    /// `guestnet` with govc's environment pointing here (thumbprint pinned).
    fn guestnet(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_guestnet"));
        for (k, _) in std::env::vars() {
            if k.starts_with("GOVC_")
                || k.starts_with("GUESTNET_SECRET_")
                || k == "GUESTNET_GUEST_PASSWORD"
            {
                c.env_remove(k);
            }
        }
        c.env("GOVC_URL", &self.url)
            .env("GOVC_USERNAME", USER)
            .env("GOVC_PASSWORD", PASSWORD)
            .env("GOVC_THUMBPRINT", &self.thumbprint)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The SOAP trace so far (every request and response the simulator saw).
    fn trace(&self) -> String {
        std::fs::read_to_string(&self.trace).unwrap_or_default()
    }

    /// How many requests of a method reached the simulator (the harness's own client
    /// included: it logs in once at start-up).
    fn sent(&self, method: &str) -> usize {
        let t = self.trace();
        t.split("Request: ")
            .skip(1)
            .map(|chunk| chunk.split("Response: ").next().unwrap_or(""))
            .filter(|req| {
                req.contains(&format!("<{method} ")) || req.contains(&format!("<{method}>"))
            })
            .count()
    }
}

impl Drop for Vcsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(c: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn vm_yaml(name: &str, vm: &str, bootstrap: &str, interfaces: &str) -> String {
    format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: {name}\n  namespace: prod\n  annotations: {{guestnet.dev/vm: {vm}}}\nspec:\n  bootstrap:\n{bootstrap}  network:\n    hostName: {name}\n    interfaces:\n{interfaces}"
    )
}

const LINUXPREP: &str = "    linuxPrep: {timeZone: Etc/UTC}\n";

fn one_nic(ip: &str) -> String {
    format!("    - {{name: eth0, addresses: [{ip}/24], gateway4: 10.0.0.1}}\n")
}

#[test]
fn linuxprep_customize_and_power_on_shows_the_spec_in_guest() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    sim.cmd(&["power", "DC0_H0_VM0", "off"]);
    let mac = sim.vm("DC0_H0_VM0")["net"][0]["mac"]
        .as_str()
        .unwrap()
        .to_string();
    let f = sim.write(
        "web01.yaml",
        &vm_yaml("web01", "x", LINUXPREP, &one_nic("10.0.0.10")),
    );
    let r = run(sim.guestnet().arg("submit").arg(&f).args([
        "--vm",
        "/DC0/vm/DC0_H0_VM0",
        "--power-on",
    ]));
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout
            .contains("applied  prod/web01  vm-57 (DC0_H0_VM0)  CustomizeVM_Task, PowerOnVM_Task"),
        "{r}"
    );
    let vm = sim.vm("DC0_H0_VM0");
    assert_eq!(vm["power"], "poweredOn");
    assert_eq!(vm["hostName"], "web01", "{vm}");
    assert_eq!(vm["ipAddress"], "10.0.0.10", "{vm}");
    assert_eq!(vm["net"][0]["ips"], serde_json::json!(["10.0.0.10"]));
    assert_eq!(vm["pending"], "");
    // The VM's own MAC was bound into the spec that reached vcsim.
    let t = sim.trace();
    assert!(
        t.contains(&format!("<macAddress>{mac}</macAddress>")),
        "MAC {mac} not sent"
    );
    assert_eq!(sim.sent("CustomizeVM_Task"), 1);
    assert_eq!(
        sim.vm("DC0_H0_VM0")["taskNames"],
        serde_json::json!(["PowerOff", "CustomizeVm", "PowerOn"])
    );
}

#[test]
fn a_render_out_dir_is_submitted_through_its_gosc_xml() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    sim.cmd(&["power", "DC0_H0_VM1", "off"]);
    let f = sim.write(
        "web03.yaml",
        &vm_yaml("web03", "x", LINUXPREP, &one_nic("10.0.0.13")),
    );
    let out = sim.dir.path().join("out");
    let r = run(Command::new(env!("CARGO_BIN_EXE_guestnet"))
        .arg("render")
        .arg(&f)
        .args(["--target", "gosc", "--out-dir"])
        .arg(&out));
    assert_eq!(r.code, 0, "{r}");
    assert!(out.join("prod/web03/gosc.xml").is_file());
    let r = run(sim
        .guestnet()
        .arg("submit")
        .arg(&out)
        .args(["--vm", "DC0_H0_VM1", "--power-on"]));
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout
            .contains("applied  prod/web03  vm-60 (DC0_H0_VM1)  CustomizeVM_Task, PowerOnVM_Task"),
        "{r}"
    );
    let vm = sim.vm("DC0_H0_VM1");
    assert_eq!(
        (vm["hostName"].as_str(), vm["ipAddress"].as_str()),
        (Some("web03"), Some("10.0.0.13")),
        "{vm}"
    );
}

#[test]
fn nic_count_mismatch_is_caught_before_sending() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    sim.cmd(&["power", "DC0_H0_VM0", "off"]);
    let before = sim.vm("DC0_H0_VM0");
    let two = "    - {name: eth0, dhcp4: true}\n    - {name: eth1, dhcp4: true}\n";
    let f = sim.write("two.yaml", &vm_yaml("web01", "DC0_H0_VM0", LINUXPREP, two));
    let r = run(sim.guestnet().arg("submit").arg(&f));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("the spec has 2 network interface(s) but the VM has 1 network adapter(s); nothing was sent"),
        "{r}"
    );
    // vcsim saw the reads but no task: only the harness's power-off is in its task log.
    assert_eq!(
        sim.vm("DC0_H0_VM0")["taskNames"],
        serde_json::json!(["PowerOff"])
    );
    assert_eq!(before["tasks"], 1);
    assert_eq!(sim.sent("CustomizeVM_Task"), 0);
    assert!(sim.sent("RetrieveProperties") > 0);
}

#[test]
fn customization_pending_and_invalid_power_state_are_reported() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    sim.cmd(&["power", "DC0_H0_VM0", "off"]);
    sim.cmd(&["pending", "DC0_H0_VM0", "an-earlier-spec"]);
    let f = sim.write(
        "a.yaml",
        &vm_yaml("web01", "DC0_H0_VM0", LINUXPREP, &one_nic("10.0.0.10")),
    );
    let r = run(sim.guestnet().arg("submit").arg(&f));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("CustomizeVM_Task failed: a customization is already pending on this VM: it is applied at the next power-on; power the VM on (or wait for the guest to finish) before customizing again (CustomizationPending)"),
        "{r}"
    );
    // A running VM, forced to CustomizeVM_Task: vCenter refuses, and the sentence says why.
    let f = sim.write(
        "b.yaml",
        &vm_yaml("web02", "DC0_H0_VM1", LINUXPREP, &one_nic("10.0.0.11")),
    );
    let r = run(sim
        .guestnet()
        .arg("submit")
        .arg(&f)
        .args(["--gosc-method", "customize-vm"]));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("CustomizeVM_Task failed: the VM is poweredOn but the operation needs it poweredOff (InvalidPowerState); CustomizeVM_Task needs a powered-off VM"),
        "{r}"
    );
    // Without forcing, a running VM needs CustomizeGuest_Task, which plain vcsim lacks: said
    // plainly, nothing sent.
    let r = run(sim.guestnet().arg("submit").arg(&f));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .contains("has no guest customization manager (vSphere 7.0 Update 2 or newer has it)"),
        "{r}"
    );
    assert_eq!(sim.sent("CustomizeGuest_Task"), 0);
}

#[test]
fn wrong_password_and_thumbprints() {
    if !available() {
        return;
    }
    let sim = Vcsim::start(&[]);
    let status = |c: &mut Command| {
        let mut args: Vec<std::ffi::OsString> = c.get_args().map(|a| a.to_owned()).collect();
        args.splice(0..0, ["status", "--vm", "DC0_H0_VM0"].map(Into::into));
        let mut fresh = Command::new(c.get_program());
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => fresh.env(k, v),
                None => fresh.env_remove(k),
            };
        }
        run(fresh.args(args).stdin(Stdio::null()))
    };
    // Wrong password: InvalidLogin in a sentence, the password nowhere.
    let r = status(sim.guestnet().env("GOVC_PASSWORD", "not-the-password-7"));
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr
            .contains("vCenter rejected the user name or password (InvalidLogin)"),
        "{r}"
    );
    assert!(!format!("{r}").contains("not-the-password-7"));
    // Wrong thumbprint: refused before any request, the real one shown for comparison.
    let logins = sim.sent("Login");
    let wrong = ["00"; 32].join(":");
    let r = status(sim.guestnet().env("GOVC_THUMBPRINT", &wrong));
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains(&format!(
            "has SHA-256 thumbprint {}, not the pinned {wrong}",
            sim.thumbprint
        )),
        "{r}"
    );
    assert_eq!(
        sim.sent("Login"),
        logins,
        "a refused certificate must stop the login"
    );
    // No pin, not in the system store: refused, with the thumbprint to pin.
    let r = status(sim.guestnet().env_remove("GOVC_THUMBPRINT"));
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("is not trusted") && r.stderr.contains(&sim.thumbprint),
        "{r}"
    );
    // The simulator's CA: verified normally (chain and 127.0.0.1 in the certificate).
    let r = status(
        sim.guestnet()
            .env_remove("GOVC_THUMBPRINT")
            .arg("--ca-file")
            .arg(&sim.ca),
    );
    assert_eq!(r.code, 0, "{r}");
    // no_verify when asked, with a warning; as a flag and in a libvirt URI.
    let r = status(
        sim.guestnet()
            .env_remove("GOVC_THUMBPRINT")
            .arg("--no-verify"),
    );
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stderr
            .contains("warning: TLS certificate verification is off"),
        "{r}"
    );
    let port = sim.url.rsplit(':').next().unwrap().trim_end_matches("/sdk");
    let uri =
        format!("vpx://administrator%40vsphere.local@127.0.0.1:{port}/DC0/DC0_H0?no_verify=1");
    let r = status(
        sim.guestnet()
            .env_remove("GOVC_THUMBPRINT")
            .env_remove("GOVC_URL")
            .env_remove("GOVC_USERNAME")
            .args(["--connect", &uri]),
    );
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout.starts_with("DC0_H0_VM0 (vm-57): GC_PENDING"),
        "{r}"
    );
    // A host the datacenter does not have.
    let bad = uri.replace("/DC0_H0?", "/nohost?");
    let r = status(
        sim.guestnet()
            .env_remove("GOVC_URL")
            .args(["--connect", &bad]),
    );
    assert_eq!(r.code, 2, "{r}");
    assert!(
        r.stderr.contains("names host nohost in datacenter DC0"),
        "{r}"
    );
}

#[test]
fn cloud_init_extra_config_reads_back() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    let mac = sim.vm("DC0_H0_VM1")["net"][0]["mac"]
        .as_str()
        .unwrap()
        .to_string();
    let boot = "    cloudInit:\n      cloudConfig:\n        users: [{name: ops, passwd: {name: creds, key: pw}}]\n";
    let f = sim.write(
        "ci.yaml",
        &(vm_yaml("web02", "DC0_H0_VM1", boot, &one_nic("10.0.0.12"))
            + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: prod}\nstringData: {pw: \"$6$hashed\"}\n"),
    );
    let r = run(sim.guestnet().arg("submit").arg(&f));
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout
            .contains("applied  prod/web02  vm-60 (DC0_H0_VM1)  ReconfigVM_Task"),
        "{r}"
    );
    let vm = sim.vm("DC0_H0_VM1");
    // vcsim 0.24.2 appends extraConfig entries; the last one of a key is its value.
    let get = |k: &str| -> String {
        vm["extra"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e[0] == k)
            .map(|e| e[1].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{k} not in {vm}"))
    };
    assert_eq!(get("guestinfo.metadata.encoding"), "gzip+base64");
    assert_eq!(get("guestinfo.userdata.encoding"), "gzip+base64");
    let md = String::from_utf8(
        decode_guestinfo(&get("guestinfo.metadata"), Some("gzip+base64")).unwrap(),
    )
    .unwrap();
    assert!(md.contains("local-hostname: web02"), "{md}");
    assert!(md.contains("10.0.0.12/24"), "{md}");
    assert!(
        md.contains(&mac),
        "the VM's MAC {mac} should be in the netplan match: {md}"
    );
    let ud = String::from_utf8(
        decode_guestinfo(&get("guestinfo.userdata"), Some("gzip+base64")).unwrap(),
    )
    .unwrap();
    assert!(
        ud.starts_with("## template: jinja\n#cloud-config\n"),
        "{ud}"
    );
    assert!(
        ud.contains("passwd: $6$hashed") || ud.contains("passwd: \"$6$hashed\""),
        "{ud}"
    );
}

#[test]
fn dry_run_sends_nothing() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    sim.cmd(&["power", "DC0_H0_VM0", "off"]);
    sim.cmd(&["vapp", "DC0_H0_VM0", "hostname:7:true", "token:9:true"]);
    let before = sim.vm("DC0_H0_VM0");
    let boot = "    linuxPrep: {}\n    vAppConfig:\n      properties:\n      - {key: hostname, value: {value: web01}}\n      - {key: token, value: {from: {name: app, key: token}}}\n";
    let f = sim.write(
        "vm.yaml",
        &(vm_yaml("web01", "DC0_H0_VM0", boot, &one_nic("10.0.0.10"))
            + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: prod}\ndata: {token: c2VjcmV0LXRva2Vu}\n"),
    );
    let r = run(sim
        .guestnet()
        .arg("submit")
        .arg(&f)
        .args(["--dry-run", "--power-on"]));
    assert_eq!(r.code, 0, "{r}");
    // Every request, in order, masked; the vApp edits under the VM's own keys.
    let methods: Vec<&str> = r
        .stdout
        .lines()
        .filter_map(|l| l.split("request ").nth(1))
        .collect();
    assert_eq!(
        methods,
        vec![
            "1 of 3: ReconfigVM_Task -->",
            "2 of 3: CustomizeVM_Task -->",
            "3 of 3: PowerOnVM_Task -->"
        ],
        "{r}"
    );
    let compact: String = r.stdout.lines().map(str::trim).collect();
    assert!(
        compact.contains("<key>7</key><id>hostname</id><value>web01</value>"),
        "{r}"
    );
    assert!(
        compact.contains("<key>9</key><id>token</id><value>********(secret app/token)</value>"),
        "{r}"
    );
    assert!(
        r.stdout
            .contains("<value>********(secret app/token)</value>"),
        "{r}"
    );
    assert!(!r.stdout.contains("secret-token"));
    assert!(r.stdout.contains("dry-run  prod/web01  vm-57 (DC0_H0_VM0)  would send ReconfigVM_Task, CustomizeVM_Task, PowerOnVM_Task"), "{r}");
    // vcsim saw reads only.
    assert_eq!(sim.vm("DC0_H0_VM0"), before);
    for m in ["ReconfigVM_Task", "CustomizeVM_Task", "PowerOnVM_Task"] {
        assert_eq!(sim.sent(m), 0, "{m} was sent");
    }
    // The real run sends the same bodies with the value in place.
    let r = run(sim.guestnet().arg("submit").arg(&f).arg("--power-on"));
    assert_eq!(r.code, 0, "{r}");
    assert!(sim.trace().contains("<value>secret-token</value>"));
    for m in ["ReconfigVM_Task", "CustomizeVM_Task", "PowerOnVM_Task"] {
        assert_eq!(sim.sent(m), 1, "{m}");
    }
    assert_eq!(sim.vm("DC0_H0_VM0")["hostName"], "web01");
}

#[test]
fn customize_guest_task_on_the_extended_simulator() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[
        "-guest-customization",
        "-guest-user",
        "root",
        "-guest-password",
        "guest-pw",
    ]);
    sim.cmd(&["guestid", "DC0_H0_VM0", "ubuntu64Guest"]);
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsRunning"]);
    let f = sim.write(
        "g.yaml",
        &vm_yaml("web01", "DC0_H0_VM0", LINUXPREP, &one_nic("10.0.0.20")),
    );
    let submit = |sim: &Vcsim, pw: &str| {
        run(sim
            .guestnet()
            .arg("submit")
            .arg(&f)
            .args(["--guest-user", "root", "--tools-wait", "3"])
            .env("GUESTNET_GUEST_PASSWORD", pw))
    };
    // The guest rejects a wrong password.
    let r = submit(&sim, "wrong-guest-pw");
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("the guest rejected the user name or password given for in-guest customization (InvalidGuestLogin)"), "{r}");
    // Tools briefly offline (an instant clone): checked again until they run.
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsRunning", "1200"]);
    let r = submit(&sim, "guest-pw");
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stderr.contains("VMware Tools are not running yet"), "{r}");
    assert!(
        r.stdout
            .contains("applied  prod/web01  vm-57 (DC0_H0_VM0)  CustomizeGuest_Task"),
        "{r}"
    );
    let vm = sim.vm("DC0_H0_VM0");
    assert_eq!(
        (vm["hostName"].as_str(), vm["ipAddress"].as_str()),
        (Some("web01"), Some("10.0.0.20")),
        "{vm}"
    );
    // The guest's events say it is done.
    let r = run(sim.guestnet().args(["status", "--vm", "DC0_H0_VM0"]));
    assert_eq!(r.code, 0, "{r}");
    assert!(
        r.stdout
            .starts_with("DC0_H0_VM0 (vm-57): GC_COMPLETE: customization succeeded at "),
        "{r}"
    );
    // Tools never come back: refused after --tools-wait, nothing sent.
    let sent = sim.sent("CustomizeGuest_Task");
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsNotRunning"]);
    let r = submit(&sim, "guest-pw");
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stdout.contains("VMware Tools are not running in the guest (guest.toolsRunningStatus = \"guestToolsNotRunning\", waited 3 s)"), "{r}");
    // A guest OS CustomizeGuest_Task does not support: refused before sending.
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsRunning"]);
    sim.cmd(&["guestid", "DC0_H0_VM0", "windows2019srv_64Guest"]);
    let r = submit(&sim, "guest-pw");
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout
            .contains("this VM's guestId is \"windows2019srv_64Guest\""),
        "{r}"
    );
    assert_eq!(sim.sent("CustomizeGuest_Task"), sent);
    // On a powered-off VM the extended simulator answers InvalidPowerState.
    sim.cmd(&["guestid", "DC0_H0_VM0", "rhel8_64Guest"]);
    sim.cmd(&["power", "DC0_H0_VM0", "off"]);
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsRunning"]);
    let r = run(sim
        .guestnet()
        .arg("submit")
        .arg(&f)
        .args([
            "--guest-user",
            "root",
            "--gosc-method",
            "customize-guest",
            "--tools-wait",
            "0",
        ])
        .env("GUESTNET_GUEST_PASSWORD", "guest-pw"));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("CustomizeGuest_Task failed: the VM is poweredOff but the operation needs it poweredOn (InvalidPowerState)"),
        "{r}"
    );
    assert_eq!(sim.sent("CustomizeGuest_Task"), sent + 1);
}

#[test]
fn status_maps_events_tools_and_gc_status() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    let vm = "DC0_H0_VM1";
    let status = |sim: &Vcsim| run(sim.guestnet().args(["status", "--vm", vm]));
    let state = |r: &Run| r.stdout.split(": ").nth(1).unwrap_or("").to_string();
    sim.cmd(&["tools", vm, "guestToolsRunning"]);
    assert_eq!(state(&status(&sim)), "GC_PENDING");
    sim.cmd(&["event", vm, "CustomizationStartedEvent", "started"]);
    assert_eq!(state(&status(&sim)), "GC_PENDING");
    sim.cmd(&["event", vm, "CustomizationSucceeded", "done"]);
    sim.cmd(&["tools", vm, "guestToolsNotRunning"]);
    assert_eq!(state(&status(&sim)), "REBOOT_PENDING");
    sim.cmd(&["tools", vm, "guestToolsRunning"]);
    sim.cmd(&["gcstatus", vm, "Started"]);
    assert_eq!(state(&status(&sim)), "POST_GC_PENDING");
    sim.cmd(&["gcstatus", vm, "Successful"]);
    let r = status(&sim);
    assert_eq!((r.code, state(&r)), (0, "GC_COMPLETE".into()), "{r}");
    sim.cmd(&["gcstatus", vm, "Error executing post-customization script"]);
    let r = status(&sim);
    assert_eq!((r.code, state(&r)), (1, "GC_FAILED".into()), "{r}");
    assert!(
        r.stdout
            .contains("\"Error executing post-customization script\""),
        "{r}"
    );
    // JSON carries the events.
    sim.cmd(&["gcstatus", vm, ""]);
    sim.cmd(&[
        "event",
        vm,
        "CustomizationNetworkSetupFailed",
        "no carrier on eth0",
    ]);
    let r = run(sim
        .guestnet()
        .args(["status", "--vm", vm, "--format", "json"]));
    assert_eq!(r.code, 1, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["state"], "GC_FAILED");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "CustomizationStartedEvent",
            "CustomizationSucceeded",
            "CustomizationNetworkSetupFailed"
        ]
    );
    // --wait polls until the guest finishes; a session that expires meanwhile is renewed.
    sim.cmd(&["event", vm, "CustomizationStartedEvent", "again"]);
    let waiting = sim
        .guestnet()
        .args([
            "status",
            "--vm",
            vm,
            "--wait",
            "--interval",
            "0.2",
            "--timeout",
            "60",
            "-v",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let expired = sim.cmd(&["expire-sessions"]);
    assert!(expired["terminated"].as_u64().unwrap() >= 1, "{expired}");
    std::thread::sleep(std::time::Duration::from_millis(600));
    sim.cmd(&["event", vm, "CustomizationSucceeded", "done again"]);
    let out = waiting.wait_with_output().unwrap();
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{so}\n{se}");
    let states: Vec<&str> = so.lines().map(|l| l.split(": ").nth(1).unwrap()).collect();
    assert_eq!(states, vec!["GC_PENDING", "GC_COMPLETE"], "{so}");
    assert!(se.contains("session expired: logging in again"), "{se}");
    assert_eq!(
        se.matches("-> Login").count(),
        2,
        "one login, one re-login: {se}"
    );
    // A --wait that runs out is a failure.
    sim.cmd(&["event", vm, "CustomizationStartedEvent", "third"]);
    let r = run(sim.guestnet().args([
        "status",
        "--vm",
        vm,
        "--wait",
        "--interval",
        "0.2",
        "--timeout",
        "1",
    ]));
    assert_eq!(r.code, 1, "{r}");
    assert!(r.stderr.contains("still GC_PENDING after 1 s"), "{r}");
}

#[test]
fn a_vm_question_is_answered_only_when_asked_to() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&[]);
    for vm in ["DC0_H0_VM0", "DC0_H0_VM1"] {
        sim.cmd(&["power", vm, "off"]);
        sim.cmd(&["question", vm]);
    }
    let f = sim.write(
        "q.yaml",
        &vm_yaml("web01", "DC0_H0_VM0", LINUXPREP, &one_nic("10.0.0.10")),
    );
    let r = run(sim
        .guestnet()
        .arg("submit")
        .arg(&f)
        .args(["--power-on", "--timeout", "20"]));
    assert_eq!(r.code, 1, "{r}");
    assert!(
        r.stdout.contains("PowerOnVM_Task is waiting for an answer to a VM question: \"This virtual machine might have been moved or copied.\" (choices: Cancel, I Moved It, [I Copied It]); answer it in the vSphere Client, or run again with --auto-answer"),
        "{r}"
    );
    assert!(r.stdout.contains("(done before: CustomizeVM_Task)"), "{r}");
    assert_eq!(sim.vm("DC0_H0_VM0")["answered"], "");
    // libvirt's auto_answer=1 in the URI takes the default.
    let port = sim.url.rsplit(':').next().unwrap().trim_end_matches("/sdk");
    let uri =
        format!("vpx://administrator%40vsphere.local@127.0.0.1:{port}/DC0/DC0_H0?auto_answer=1");
    let f = sim.write(
        "q2.yaml",
        &vm_yaml("web02", "DC0_H0_VM1", LINUXPREP, &one_nic("10.0.0.11")),
    );
    let r = run(sim
        .guestnet()
        .env_remove("GOVC_URL")
        .arg("submit")
        .arg(&f)
        .args(["--power-on", "--connect", &uri]));
    assert_eq!(r.code, 0, "{r}");
    assert!(r.stderr.contains("answered the VM question \"This virtual machine might have been moved or copied.\" with its default \"I Copied It\""), "{r}");
    let vm = sim.vm("DC0_H0_VM1");
    assert_eq!(
        (vm["answered"].as_str(), vm["power"].as_str()),
        (Some("2"), Some("poweredOn")),
        "{vm}"
    );
}

#[test]
fn canary_passwords_never_leak() {
    if !available() {
        return;
    }
    let vc = "vc-canary-3f9a1";
    let guest = "guest-canary-77c2";
    let secret = "secret-canary-51be";
    let mut sim = Vcsim::start(&[
        "-guest-customization",
        "-password",
        vc,
        "-guest-password",
        guest,
    ]);
    sim.cmd(&["guestid", "DC0_H0_VM0", "ubuntu64Guest"]);
    sim.cmd(&["tools", "DC0_H0_VM0", "guestToolsRunning"]);
    sim.cmd(&["vapp", "DC0_H0_VM0", "token:5:true"]);
    let boot = "    linuxPrep: {}\n    vAppConfig:\n      properties:\n      - {key: token, value: {from: {name: app, key: token}}}\n";
    let f = sim.write(
        "vm.yaml",
        &(vm_yaml("web01", "DC0_H0_VM0", boot, &one_nic("10.0.0.10"))
            + &format!("---\napiVersion: v1\nkind: Secret\nmetadata: {{name: app, namespace: prod}}\nstringData: {{token: {secret}}}\n")),
    );
    let pwfile = sim.write("pw", &format!("{vc}\n"));
    let state = sim.dir.path().join("state.json");
    let base = |sim: &Vcsim| {
        let mut c = sim.guestnet();
        c.env_remove("GOVC_PASSWORD")
            .arg("submit")
            .arg(&f)
            .args(["--guest-user", "root", "--state"])
            .arg(&state)
            .arg("--password-file")
            .arg(&pwfile)
            .arg("-v")
            .env("GUESTNET_GUEST_PASSWORD", guest);
        c
    };
    let mut seen = Vec::new();
    for (what, mut c) in [
        ("dry run", {
            let mut c = base(&sim);
            c.arg("--dry-run");
            c
        }),
        ("dry run json", {
            let mut c = base(&sim);
            c.args(["--dry-run", "--format", "json"]);
            c
        }),
        ("submit", base(&sim)),
        ("re-run", base(&sim)),
        ("forced json", {
            let mut c = base(&sim);
            c.args(["--force", "--format", "json"]);
            c
        }),
        ("guest password wrong", {
            let mut c = base(&sim);
            c.env("GUESTNET_GUEST_PASSWORD", format!("{guest}-x"))
                .arg("--force");
            c
        }),
        ("bad thumbprint", {
            let mut c = base(&sim);
            c.arg("--thumbprint").arg(["AB"; 32].join(":"));
            c
        }),
        ("status", {
            let mut c = sim.guestnet();
            c.env("GOVC_PASSWORD", vc)
                .args(["status", "--vm", "DC0_H0_VM0", "-v"]);
            c
        }),
    ] {
        let argv: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().to_string())
            .collect();
        let r = run(&mut c);
        seen.push((what, argv.join(" "), r));
    }
    let state_text = std::fs::read_to_string(&state).unwrap();
    for (what, argv, r) in &seen {
        for canary in [vc, guest, secret] {
            assert!(!argv.contains(canary), "{what}: {canary} in argv");
            assert!(
                !r.stdout.contains(canary) && !r.stderr.contains(canary),
                "{what}: {canary} leaked:\n{r}"
            );
        }
    }
    for canary in [vc, guest, secret] {
        assert!(!state_text.contains(canary), "{canary} in the state file");
        // ... while the server did receive every one of them, so the checks above could fail.
        assert!(
            sim.trace().contains(canary),
            "{canary} never reached the server"
        );
    }
    let codes: Vec<i32> = seen.iter().map(|(_, _, r)| r.code).collect();
    assert_eq!(
        codes,
        vec![0, 0, 0, 0, 0, 1, 2, 0],
        "{}",
        seen.iter()
            .map(|(w, _, r)| format!("== {w}\n{r}"))
            .collect::<String>()
    );
    assert!(
        seen[3].2.stdout.contains("skipped  prod/web01"),
        "{}",
        seen[3].2
    );
    // There is no way to put a password on the command line.
    let r = run(Command::new(env!("CARGO_BIN_EXE_guestnet")).args([
        "submit",
        "x.yaml",
        "--password",
        "p",
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unexpected argument '--password'"), "{r}");
}

#[test]
fn fleet_of_50_with_two_failures_resumes() {
    if !available() {
        return;
    }
    let mut sim = Vcsim::start(&["-machines", "25"]);
    let mut names = Vec::new();
    for prefix in ["DC0_H0_VM", "DC0_C0_RP0_VM"] {
        for i in 0..25 {
            names.push(format!("{prefix}{i}"));
        }
    }
    let dir = sim.dir.path().join("fleet");
    for (i, n) in names.iter().enumerate() {
        sim.cmd(&["power", n, "off"]);
        let text = vm_yaml(
            &format!("vm{i:02}"),
            n,
            LINUXPREP,
            &one_nic(&format!("10.0.0.{}", i + 100)),
        );
        sim.write(&format!("fleet/vm{i:02}.yaml"), &text);
    }
    // Two VMs still have an earlier customization pending: vCenter refuses them.
    let failing = [&names[7], &names[31]];
    for n in failing {
        sim.cmd(&["pending", n, "earlier"]);
    }
    let state = sim.dir.path().join("fleet-state.json");
    let submit = |sim: &Vcsim| {
        run(sim
            .guestnet()
            .arg("submit")
            .arg(&dir)
            .args([
                "--power-on",
                "--parallel",
                "4",
                "--format",
                "json",
                "--state",
            ])
            .arg(&state))
    };
    let t = std::time::Instant::now();
    let r = submit(&sim);
    let first_secs = t.elapsed().as_secs_f64();
    assert_eq!(r.code, 1, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let vms = v["vms"].as_array().unwrap();
    assert_eq!(vms.len(), 50);
    let by_status = |s: &str| vms.iter().filter(|o| o["status"] == s).count();
    assert_eq!((by_status("applied"), by_status("failed")), (48, 2), "{r}");
    for o in vms.iter().filter(|o| o["status"] == "failed") {
        assert!(
            o["message"]
                .as_str()
                .unwrap()
                .contains("(CustomizationPending)"),
            "{o}"
        );
    }
    let failed_vms: Vec<&str> = vms
        .iter()
        .filter(|o| o["status"] == "failed")
        .map(|o| o["vm"].as_str().unwrap())
        .collect();
    for (i, n) in names.iter().enumerate() {
        let vm = sim.vm(n);
        if failing.contains(&n) {
            assert!(failed_vms.contains(&vm["moref"].as_str().unwrap()));
            assert_eq!(vm["hostName"], "", "{n}");
        } else {
            assert_eq!(vm["hostName"], format!("vm{i:02}"), "{n}: {vm}");
            assert_eq!(vm["power"], "poweredOn");
        }
    }
    // The administrator clears the two; the re-run applies exactly those.
    for n in failing {
        sim.cmd(&["pending", n, ""]);
    }
    let tasks_before: Vec<u64> = names
        .iter()
        .map(|n| sim.vm(n)["tasks"].as_u64().unwrap())
        .collect();
    let r = submit(&sim);
    assert_eq!(r.code, 0, "{r}");
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let vms = v["vms"].as_array().unwrap();
    let applied: Vec<&str> = vms
        .iter()
        .filter(|o| o["status"] == "applied")
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(applied, vec!["prod/vm07", "prod/vm31"], "{r}");
    assert_eq!(vms.iter().filter(|o| o["status"] == "skipped").count(), 48);
    for (i, n) in names.iter().enumerate() {
        let now = sim.vm(n)["tasks"].as_u64().unwrap();
        let want = if failing.contains(&n) {
            tasks_before[i] + 2
        } else {
            tasks_before[i]
        };
        assert_eq!(now, want, "{n}: tasks");
    }
    for (i, n) in failing.iter().enumerate() {
        let idx = if i == 0 { 7 } else { 31 };
        assert_eq!(sim.vm(n)["hostName"], format!("vm{idx:02}"));
    }
    // One login per run, however many VMs (plus the harness's own).
    assert_eq!(sim.sent("Login"), 1 + 2);
    assert_eq!(sim.sent("Logout"), 2);
    eprintln!("fleet: 50 VMs submitted with --parallel 4 in {first_secs:.1}s");
}
