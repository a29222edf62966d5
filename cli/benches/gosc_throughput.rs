//! Throughput of the gosc target on a 10,000-spec batch (design §9: 10k specs, all targets,
//! well under a second of CPU per core). Criterion-free so it prints plain numbers:
//!
//!     cargo bench -p guestnet-cli --bench gosc_throughput            # optimized (bench profile)
//!     cargo bench -p guestnet-cli --bench gosc_throughput --profile dev   # quick, unoptimized
//!
//! Specs are generated (LinuxPrep dual stack with 2-4 NICs, Sysprep joining a domain,
//! CloudinitPrep, SysprepText), compiled once, then rendered to gosc XML single-threaded and
//! with rayon, and read back with the reverse parser.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use guestnet_core::parse::{Format, parse};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use rayon::prelude::*;
use std::time::Instant;

const N: usize = 10_000;

fn spec(i: usize) -> String {
    let nics = 2 + i % 3;
    let mut y = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: vm{i}\n  namespace: bench\n"
    );
    let kind = i % 4;
    if kind == 2 {
        y.push_str("  annotations: {vmoperator.vmware.com/cloudinit-type: cloudinitprep}\n");
    }
    y.push_str("spec:\n  bootstrap:\n");
    match kind {
        0 => y.push_str("    linuxPrep: {hardwareClockIsUTC: true, timeZone: Etc/UTC}\n"),
        1 => y.push_str(
            "    sysprep:\n      sysprep:\n        userData: {fullName: Ops, orgName: Example}\n        identification: {domainAdmin: joiner, domainAdminPassword: {name: dj}}\n",
        ),
        2 => y.push_str(
            "    cloudInit:\n      cloudConfig: {timezone: Etc/UTC, runcmd: [\"echo ok\"]}\n",
        ),
        _ => y.push_str("    sysprep:\n      rawSysprep: {name: unattend}\n"),
    }
    y.push_str(&format!(
        "  network:\n    hostName: h{i}\n    domainName: example.com\n    nameservers: [\"10.0.0.53\"]\n    interfaces:\n"
    ));
    for n in 0..nics {
        let (a, b) = ((i / 250) % 250, i % 250);
        y.push_str(&format!(
            "    - name: eth{n}\n      macAddr: \"00:50:56:{:02x}:{:02x}:{:02x}\"\n",
            n, a, b
        ));
        if n == 1 {
            y.push_str("      dhcp4: true\n");
        } else {
            let host = b + 2;
            y.push_str(&format!(
                "      addresses: [\"10.{n}.{a}.{host}/16\", \"fd00:{n}:{a}::{host:x}/64\"]\n"
            ));
            if n == 0 {
                y.push_str(&format!(
                    "      gateway4: \"10.0.0.1\"\n      gateway6: \"fd00:0:{a}::1\"\n"
                ));
            }
        }
    }
    y
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it with no args: stay quick.
    let n = if std::env::args().any(|a| a == "--bench") {
        N
    } else {
        200
    };
    let opts = CompileOptions::default();
    let t = Instant::now();
    let units: Vec<_> = (0..n)
        .map(|i| {
            let c = compile_str(&spec(i), &[], &opts);
            let u = c.units.into_iter().next().unwrap();
            assert!(u.resolved.is_some(), "{:?}", u.diagnostics);
            u
        })
        .collect();
    let compile = t.elapsed();

    let render_one = |u: &guestnet_core::pipeline::Unit| {
        let out = render::render(
            Target::Gosc,
            u.vm.as_ref().unwrap(),
            u.resolved.as_ref().unwrap(),
            &opts.render,
        );
        out.artifacts.into_iter().next().unwrap().content
    };
    let t = Instant::now();
    let xml: Vec<String> = units.iter().map(render_one).collect();
    let render_st = t.elapsed();
    let bytes: usize = xml.iter().map(String::len).sum();

    let t = Instant::now();
    let xml_par: Vec<String> = units.par_iter().map(render_one).collect();
    let render_par = t.elapsed();
    assert_eq!(xml, xml_par);

    let t = Instant::now();
    for x in &xml {
        let p = parse(Format::Gosc, x, "bench");
        assert_eq!(p.vms.len(), 1, "{:?}", p.diagnostics);
    }
    let parse_st = t.elapsed();

    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "gosc target, {n} specs ({} MiB of XML), {} threads:",
        bytes >> 20,
        rayon::current_num_threads()
    );
    println!(
        "  compile (load+validate+resolve) {:>8.1} ms  {:>9.0} specs/s",
        compile.as_secs_f64() * 1e3,
        rate(compile)
    );
    println!(
        "  render gosc, 1 thread           {:>8.1} ms  {:>9.0} specs/s",
        render_st.as_secs_f64() * 1e3,
        rate(render_st)
    );
    println!(
        "  render gosc, rayon              {:>8.1} ms  {:>9.0} specs/s",
        render_par.as_secs_f64() * 1e3,
        rate(render_par)
    );
    println!(
        "  parse gosc (reverse), 1 thread  {:>8.1} ms  {:>9.0} specs/s",
        parse_st.as_secs_f64() * 1e3,
        rate(parse_st)
    );
}
