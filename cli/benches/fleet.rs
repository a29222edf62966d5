//! Fleet benchmark (issue 10): the release `guestnet` binary over generated corpora, measured
//! with GNU time (wall, user+system CPU, peak RSS).
//!
//! ```text
//! cargo bench -p guestnet-cli --bench fleet                  # 1k and 10k files
//! cargo bench -p guestnet-cli --bench fleet -- 1000 10000 100000
//! cargo bench -p guestnet-cli --bench fleet -- rss           # peak RSS per input MB
//! ```
//!
//! Corpora have realistic variety: 1-10 NICs, every bootstrap provider (cloud-init with user
//! data, LinuxPrep, Sysprep, vApp properties), static, DHCP and catalog-allocated addresses,
//! explicit and derived MACs, 50 namespaces, and a network catalog. They are generated into
//! `target/fleet/` once and reused. The comparison with check-jsonschema is
//! `bench/jsonschema-ratio.sh`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The binary measured: the bench build's own, or `GUESTNET_BIN` (e.g. an installed release
/// binary, measured by a quickly built debug copy of this program:
/// `GUESTNET_BIN=target/release/guestnet cargo test -p guestnet-cli --bench fleet -- 100000`).
fn exe() -> String {
    std::env::var("GUESTNET_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_guestnet").to_string())
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("target/fleet")
}

/// Networks in the catalog; VMs on them get addresses allocated from their ranges.
const NETWORKS: usize = 20;

fn catalog() -> String {
    let mut s = String::new();
    for k in 0..NETWORKS {
        let _ = write!(
            s,
            "apiVersion: guestnet.dev/v1alpha1\nkind: Network\nmetadata: {{name: pool-{k}}}\nspec:\n  subnets:\n  - cidr: 172.{o}.0.0/16\n    gateway: 172.{o}.0.1\n    reserved: [172.{o}.0.2, 172.{o}.0.3]\n    ranges: [\"172.{o}.0.10-172.{o}.255.250\"]\n  nameservers: [172.{o}.0.53]\n  searchDomains: [pool{k}.example.com]\n  mtu: 9000\n---\n",
            o = 16 + k
        );
    }
    s
}

fn ip(n: usize, i: usize) -> String {
    // NIC n of VM i: 10.(16n).0.0/12, host i + 2.
    let v: u32 = 0x0A00_0000 | ((n as u32 * 16) << 16) | (i as u32 + 2);
    let [a, b, c, d] = v.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// One VM of the fleet; `i` decides its shape.
fn vm(i: usize, v1alpha5: bool) -> String {
    let nics = 1 + (i * 7) % 10;
    let ns = format!("team-{}", i % 50);
    let api = if v1alpha5 { "v1alpha5" } else { "v1alpha6" };
    let bootstrap = match i % 5 {
        0 | 1 => format!(
            "    cloudInit:\n      instanceID: iid-{i}\n      cloudConfig:\n        timezone: UTC\n        runcmd: [\"echo vm-{i}\"]\n      sshAuthorizedKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{i:08} ops@example\"]\n"
        ),
        2 => "    linuxPrep:\n      timeZone: Europe/Paris\n".to_string(),
        3 => "    sysprep:\n      sysprep:\n        userData:\n          fullName: Fleet User\n          orgName: Fleet\n        identification:\n          joinWorkgroup: FLEET\n".to_string(),
        _ => format!(
            "    linuxPrep: {{}}\n    vAppConfig:\n      properties:\n      - key: hostname\n        value: {{value: vm-{i}}}\n      - key: ip0\n        value: {{value: \"{{{{ V1alpha5_FirstIP }}}}\"}}\n"
        ),
    };
    let host = if i % 5 == 3 {
        format!("w{i:07}")
    } else {
        format!("vm-{i}")
    };
    // Sysprep joins a workgroup, which excludes a domain name.
    let domain = if i % 5 == 3 {
        ""
    } else {
        "    domainName: fleet.example.com\n"
    };
    let mut s = format!(
        "apiVersion: vmoperator.vmware.com/{api}\nkind: VirtualMachine\nmetadata:\n  name: vm-{i}\n  namespace: {ns}\nspec:\n  className: best-effort-small\n  imageName: img-{}\n  bootstrap:\n{bootstrap}  network:\n    hostName: {host}\n{domain}    interfaces:\n",
        i % 13
    );
    for n in 0..nics {
        let mac = if (i + n).is_multiple_of(4) {
            let v = i * 10 + n;
            format!(
                "\n      macAddr: \"00:50:56:{:02x}:{:02x}:{:02x}\"",
                0x20 | ((v >> 16) & 0x1f),
                (v >> 8) & 0xff,
                v & 0xff
            )
        } else {
            String::new()
        };
        let body = match (n, (i + n) % 3) {
            // The first NIC is static with the default route.
            // Per-interface DNS only where the bootstrap provider takes it.
            (0, _) => format!(
                "      addresses: [\"{}/12\"]\n      gateway4: 10.0.0.1{}",
                ip(0, i),
                if i % 5 < 2 {
                    "\n      nameservers: [10.0.0.53]"
                } else {
                    ""
                }
            ),
            (_, 0) => "      dhcp4: true".to_string(),
            (_, 1) => format!("      network: {{name: pool-{}}}", (i + n) % NETWORKS),
            _ => format!(
                "      addresses: [\"{}/12\"]\n      gateway4: None",
                ip(n, i)
            ),
        };
        let _ = write!(s, "    - name: eth{n}{mac}\n{body}\n");
    }
    s
}

fn ensure_corpus(n: usize) -> PathBuf {
    let dir = target_dir().join(format!("corpus-{n}"));
    let marker = dir.join(".complete");
    if marker.exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("catalog.yaml"), catalog()).unwrap();
    for i in 0..n {
        let sub = dir.join(format!("ns{:02}", i % 50));
        if i < 50 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(sub.join(format!("vm-{i:06}.yaml")), vm(i, i % 10 == 9)).unwrap();
    }
    std::fs::write(&marker, "").unwrap();
    dir
}

#[derive(Debug, Clone, Copy)]
struct Measured {
    wall: f64,
    cpu: f64,
    rss_mb: f64,
    status: i32,
}

fn measure(args: &[&str]) -> Measured {
    let tf = target_dir().join("time.out");
    let st = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&tf)
        .arg(exe())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("GNU time (/usr/bin/time, Debian package `time`)");
    let t = std::fs::read_to_string(&tf).unwrap();
    let last = t.lines().last().unwrap_or("");
    let f: Vec<f64> = last
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    Measured {
        wall: f[0],
        cpu: f[1] + f[2],
        rss_mb: f[3] / 1024.0,
        status: st.code().unwrap_or(-1),
    }
}

fn best_of(k: usize, args: &[&str]) -> Measured {
    (0..k)
        .map(|_| measure(args))
        .min_by(|a, b| a.wall.total_cmp(&b.wall))
        .unwrap()
}

fn dir_bytes(p: &Path) -> u64 {
    let mut total = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        total += if m.is_dir() {
            dir_bytes(&e.path())
        } else {
            m.len()
        };
    }
    total
}

fn fleet(sizes: &[usize]) {
    println!("| files | MB | command | wall s | CPU s | peak RSS MB | us CPU/file | exit |");
    println!("|---|---|---|---|---|---|---|---|");
    for &n in sizes {
        let dir = ensure_corpus(n);
        let mb = dir_bytes(&dir) as f64 / 1e6;
        let out = target_dir().join(format!("out-{n}"));
        let _ = std::fs::remove_dir_all(&out);
        let d = dir.to_str().unwrap();
        let o = out.to_str().unwrap();
        let runs: Vec<(&str, Vec<&str>)> = vec![
            ("validate", vec!["validate", d, "--format", "json"]),
            (
                "render all, derive",
                vec![
                    "render",
                    d,
                    "--target",
                    "all",
                    "--mac-policy",
                    "derive",
                    "--out-dir",
                    o,
                    "--format",
                    "json",
                ],
            ),
        ];
        for (what, args) in runs {
            let reps = if n >= 100_000 { 1 } else { 3 };
            let m = best_of(reps, &args);
            println!(
                "| {n} | {mb:.1} | {what} | {:.2} | {:.2} | {:.0} | {:.0} | {} |",
                m.wall,
                m.cpu,
                m.rss_mb,
                m.cpu * 1e6 / n as f64,
                m.status
            );
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}

fn rss_per_mb() {
    let dir = target_dir().join("rss");
    std::fs::create_dir_all(&dir).unwrap();
    let base = {
        let f = dir.join("one.yaml");
        std::fs::write(&f, vm(1, false)).unwrap();
        best_of(3, &["validate", f.to_str().unwrap()])
    };
    println!("baseline (one small file): {:.1} MB", base.rss_mb);
    println!("| input | MB | wall s | peak RSS MB | RSS over baseline per input MB | exit |");
    println!("|---|---|---|---|---|---|");
    for (what, mb) in [
        ("VM manifests, one file", 4usize),
        ("VM manifests, one file", 16),
        ("node-heavy lists, one file", 4),
        ("node-heavy lists, one file", 16),
        ("node-heavy over the budget", 60),
    ] {
        let f = dir.join(format!("{}-{mb}.yaml", what.split(' ').next().unwrap()));
        let mut s = String::new();
        let mut i = 0;
        while s.len() < mb << 20 {
            if what.starts_with("VM") {
                s.push_str(&vm(i, false));
                s.push_str("---\n");
            } else {
                // 99,999 nodes per document: within the per-document limit.
                s.push('[');
                s.push_str(&"0,".repeat(99_998));
                s.push_str("0]\n---\n");
            }
            i += 1;
        }
        std::fs::write(&f, &s).unwrap();
        let m = best_of(1, &["validate", f.to_str().unwrap(), "--format", "json"]);
        let size = s.len() as f64 / 1_048_576.0;
        println!(
            "| {what} | {size:.0} | {:.2} | {:.0} | {:.2} | {} |",
            m.wall,
            m.rss_mb,
            (m.rss_mb - base.rss_mb) / size,
            m.status
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    std::fs::create_dir_all(target_dir()).unwrap();
    match args.first().map(String::as_str) {
        Some("rss") => rss_per_mb(),
        _ => {
            let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
            fleet(if sizes.is_empty() {
                &[1_000, 10_000]
            } else {
                &sizes
            });
        }
    }
}
