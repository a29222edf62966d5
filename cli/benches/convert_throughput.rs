//! What reading an older version costs: load + validate + resolve of 10,000 generated specs
//! written as v1alpha6, v1alpha3 (converted up) and v1alpha1 (converted up), and
//! `convert --to v1alpha6` / `--to v1alpha2` of the v1alpha3 batch (single thread).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use guestnet_core::convert::rewrite;
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use std::hint::black_box;

/// A 2-4 NIC spec valid in every version from v1alpha3 on.
fn spec(i: usize, version: &str) -> String {
    let mut s = format!(
        "apiVersion: vmoperator.vmware.com/{version}\nkind: VirtualMachine\nmetadata:\n  name: vm-{i}\n  namespace: team-{}\nspec:\n  className: best-effort-small\n  imageName: ubuntu-24.04\n  bootstrap:\n    cloudInit:\n      instanceID: iid-{i}\n  network:\n    hostName: vm-{i}\n    domainName: example.com\n    nameservers: [10.0.0.53]\n    interfaces:\n",
        i % 50
    );
    for n in 0..2 + i % 3 {
        let (a, b) = ((i >> 8) & 0xff, i & 0xff);
        s.push_str(&format!(
            "    - name: eth{n}\n      network: {{apiVersion: crd.nsx.vmware.com/v1alpha1, kind: SubnetSet, name: net{n}}}\n      macAddr: \"00:50:56:{n:02x}:{a:02x}:{b:02x}\"\n      addresses: [\"10.{n}.{}.{}/16\"]\n      gateway4: {}\n      dhcp6: false\n",
            a + 1,
            b.max(1),
            if n == 0 { "10.0.0.1" } else { "None" },
        ));
    }
    s
}

/// The same NICs as v1alpha1 writes them (no addressing), with a CloudInit Secret.
fn spec_v1alpha1(i: usize) -> String {
    let mut s = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha1\nkind: VirtualMachine\nmetadata:\n  name: vm-{i}\n  namespace: team-{}\nspec:\n  className: best-effort-small\n  imageName: ubuntu-24.04\n  vmMetadata: {{secretName: vm-{i}-data, transport: CloudInit}}\n  networkInterfaces:\n",
        i % 50
    );
    for n in 0..2 + i % 3 {
        s.push_str(&format!(
            "  - {{networkName: net{n}, networkType: nsx-t-subnetset}}\n"
        ));
    }
    s
}

fn batch(c: &mut Criterion) {
    let opts = CompileOptions::default();
    let sets: Vec<(&str, Vec<String>)> = vec![
        (
            "v1alpha6",
            (0..10_000).map(|i| spec(i, "v1alpha6")).collect(),
        ),
        (
            "v1alpha3",
            (0..10_000).map(|i| spec(i, "v1alpha3")).collect(),
        ),
        ("v1alpha1", (0..10_000).map(spec_v1alpha1).collect()),
    ];
    for (v, specs) in &sets {
        let clean = specs
            .iter()
            .filter(|s| {
                compile_str(s, &[], &opts)
                    .units
                    .iter()
                    .all(|u| u.resolved.is_some())
            })
            .count();
        assert_eq!(clean, specs.len(), "generated {v} specs must validate");
    }
    let mut g = c.benchmark_group("versions-10k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(10_000));
    for (v, specs) in &sets {
        g.bench_function(format!("validate {v}"), |b| {
            b.iter(|| {
                for s in specs {
                    black_box(compile_str(s, &[], &opts));
                }
            })
        });
    }
    let v3 = &sets[1].1;
    for to in [ApiVersion::V1alpha6, ApiVersion::V1alpha2] {
        g.bench_function(format!("convert v1alpha3 --to {to}"), |b| {
            b.iter(|| {
                for s in v3 {
                    black_box(rewrite(s, to, &Default::default()).to_yaml());
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
