//! Render throughput of the guest targets on 10,000 generated specs. Ignored by default;
//! run with `cargo test -p guestnet-cli --test throughput_guest -- --ignored --nocapture`
//! (add `--release` on a machine where that is allowed for release-build numbers).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, RenderOptions, Target};
use guestnet_core::resolve::MacPolicy;
use std::time::Instant;

fn spec(i: usize) -> String {
    let nics = 1 + i % 4;
    let bootstrap = match i % 3 {
        0 => {
            "{linuxPrep: {timeZone: UTC}, vAppConfig: {properties: [{key: ip0, value: {value: \"{{ V1alpha6_FirstIP }}\"}}, {key: dns, value: {value: \"{{ V1alpha1_FormatNameservers -1 \\\",\\\" }}\"}}, {key: gw, value: {value: \"{{ (index .V1alpha3.Net.Devices 0).Gateway4 }}\"}}]}}"
        }
        1 => "{cloudInit: {instanceID: iid, cloudConfig: {timezone: UTC}}}",
        _ => "{linuxPrep: {}}",
    };
    let mut y = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: vm{i}, namespace: ns{}}}\nspec:\n  bootstrap: {bootstrap}\n  network:\n    domainName: example.com\n    nameservers: [10.0.0.53]\n    searchDomains: [example.com]\n    interfaces:\n",
        i % 17
    );
    for n in 0..nics {
        let (a, b) = ((i / 250) % 250, i % 250 + 2);
        if n == 1 {
            y.push_str(&format!(
                "    - {{name: eth{n}, network: {{name: net{n}}}, dhcp4: true}}\n"
            ));
        } else {
            y.push_str(&format!(
                "    - {{name: eth{n}, network: {{name: net{n}}}, addresses: [10.{}.{a}.{b}/16, \"2001:db8:{n}:{a}::{b}/64\"]{}}}\n",
                n + 10,
                if n == 0 { ", gateway4: 10.10.0.1".to_string() } else { String::new() }
            ));
        }
    }
    y
}

#[test]
#[ignore = "benchmark: prints specs/s"]
fn guest_target_throughput() {
    let n = 10_000;
    let specs: Vec<String> = (0..n).map(spec).collect();
    let mut opts = CompileOptions::default();
    opts.resolve.mac_policy = MacPolicy::Derive;
    let t = Instant::now();
    let units: Vec<_> = specs
        .iter()
        .map(|s| compile_str(s, &[], &opts).units.into_iter().next().unwrap())
        .collect();
    let compile = t.elapsed();
    if let Some((i, u)) = units.iter().enumerate().find(|(_, u)| u.resolved.is_none()) {
        panic!(
            "spec {i} failed validation: {:#?}\n{}",
            u.diagnostics, specs[i]
        );
    }
    eprintln!(
        "compile (load+validate+resolve): {n} specs in {:.3}s = {:.0} specs/s",
        compile.as_secs_f64(),
        n as f64 / compile.as_secs_f64()
    );
    for target in [Target::Custcfg, Target::Vapp, Target::Vmx] {
        let t = Instant::now();
        let mut bytes = 0usize;
        for u in &units {
            let out = render::render(
                target,
                u.vm.as_ref().unwrap(),
                u.resolved.as_ref().unwrap(),
                &RenderOptions::default(),
            );
            assert!(
                !out.artifacts.is_empty(),
                "{target:?}: {:?}",
                out.diagnostics
            );
            bytes += out.artifacts.iter().map(|a| a.content.len()).sum::<usize>();
        }
        let e = t.elapsed();
        eprintln!(
            "render {:<8} {n} specs in {:.3}s = {:>8.0} specs/s ({} KiB out)",
            target.as_str(),
            e.as_secs_f64(),
            n as f64 / e.as_secs_f64(),
            bytes / 1024
        );
    }
}
