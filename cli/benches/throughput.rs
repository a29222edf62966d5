//! Throughput of the whole pipeline on a generated batch of 10,000 specs (single thread, so
//! the number is per core), and the cold-process cost of `guestnet validate` on one file —
//! what a pre-commit hook pays per invocation.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use std::hint::black_box;
use std::process::Command;

pub fn spec(i: usize) -> String {
    let nics = 2 + i % 3;
    let mut s = format!(
        "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: vm-{i}\n  namespace: team-{}\nspec:\n  className: best-effort-small\n  imageName: ubuntu-24.04\n  bootstrap:\n    cloudInit:\n      instanceID: iid-{i}\n      sshAuthorizedKeys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB{i:08} ops@example\"]\n  network:\n    hostName: vm-{i}\n    domainName: example.com\n    nameservers: [10.0.0.53, 10.0.0.54]\n    searchDomains: [example.com]\n    interfaces:\n",
        i % 50
    );
    for n in 0..nics {
        let (a, b) = ((i >> 8) & 0xff, i & 0xff);
        if n == 1 {
            s.push_str(&format!("    - name: eth{n}\n      dhcp4: true\n"));
        } else {
            let gw = if n == 0 {
                format!("gateway4: 10.{n}.0.1\n      gateway6: \"2001:db8:{n}::1\"")
            } else {
                "gateway4: None".to_string()
            };
            s.push_str(&format!(
                "    - name: eth{n}\n      guestDeviceName: ens{}\n      network: {{apiVersion: crd.nsx.vmware.com/v1alpha1, kind: SubnetSet, name: net{n}}}\n      macAddr: \"00:50:56:{n:02x}:{a:02x}:{b:02x}\"\n      addresses: [\"10.{n}.{}.{}/16\", \"2001:db8:{n}::{:x}/64\"]\n      {gw}\n      mtu: 1500\n      routes:\n      - {{to: 172.16.{n}.0/24, via: 10.{n}.0.254, metric: 100}}\n",
                192 + n,
                a + 1,
                b.max(1),
                i + 2,
            ));
        }
    }
    s
}

fn batch(c: &mut Criterion) {
    let specs: Vec<String> = (0..10_000).map(spec).collect();
    let opts = CompileOptions::default();
    // Sanity: the generated batch is clean, so every spec is rendered.
    let clean = specs
        .iter()
        .filter(|s| {
            compile_str(s, &[], &opts)
                .units
                .iter()
                .all(|u| u.resolved.is_some())
        })
        .count();
    assert_eq!(clean, specs.len(), "generated specs must validate");

    let mut g = c.benchmark_group("batch-10k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(specs.len() as u64));
    g.bench_function("validate", |b| {
        b.iter(|| {
            for s in &specs {
                black_box(compile_str(s, &[], &opts));
            }
        })
    });
    g.bench_function("validate+render-all", |b| {
        b.iter(|| {
            for s in &specs {
                let c = compile_str(s, &[], &opts);
                for u in &c.units {
                    if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
                        for t in Target::ALL {
                            black_box(render::render(*t, vm, r, &opts.render));
                        }
                    }
                }
            }
        })
    });
    g.finish();

    // Each target alone over the already-resolved batch.
    let units: Vec<_> = specs
        .iter()
        .flat_map(|s| compile_str(s, &[], &opts).units)
        .filter(|u| u.resolved.is_some())
        .collect();
    let mut g = c.benchmark_group("render-10k");
    g.sample_size(10);
    g.throughput(Throughput::Elements(units.len() as u64));
    for t in Target::ALL {
        g.bench_function(t.as_str(), |b| {
            b.iter(|| {
                for u in &units {
                    if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
                        black_box(render::render(*t, vm, r, &opts.render));
                    }
                }
            })
        });
    }
    g.finish();
}

fn cold_process(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("guestnet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok();
    let file = dir.join("vm.yaml");
    std::fs::write(&file, spec(7)).ok();
    let exe = env!("CARGO_BIN_EXE_guestnet");
    let mut g = c.benchmark_group("cold-process");
    g.sample_size(50);
    g.bench_function("guestnet validate one file", |b| {
        b.iter(|| {
            let st = Command::new(exe).arg("validate").arg(&file).output();
            black_box(st.map(|o| o.status.success()).unwrap_or(false))
        })
    });
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, batch, cold_process);
criterion_main!(benches);
