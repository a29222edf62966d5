//! The previewer's budget, measured natively: re-render every target for a 10-NIC spec.
//! `web/test/browser.test.mjs` measures the same call (`renderAll` on the same file) in
//! Chromium, so the two figures compare: the native core path, the same path through the
//! browser API (with its JSON result), and the difference the browser adds.

use criterion::{Criterion, criterion_group, criterion_main};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use std::hint::black_box;

const SPEC: &str = include_str!("../test/data/ten-nics.yaml");

fn core_path(text: &str) -> usize {
    let opts = CompileOptions::default();
    let c = compile_str(text, &[], &opts);
    let mut bytes = 0;
    for u in &c.units {
        if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
            for t in Target::ALL {
                let out = render::render(*t, vm, r, &opts.render);
                bytes += out.artifacts.iter().map(|a| a.content.len()).sum::<usize>();
            }
        }
    }
    bytes
}

fn bench(c: &mut Criterion) {
    // Guard: the spec must render every target, or the figure measures an error path.
    let check = guestnet_wasm::api::render(SPEC, "all", "");
    let ok = check.value().is_some_and(|v| {
        v.counts.errors == 0 && v.vms.len() == 1 && v.vms.iter().all(|vm| vm.targets.len() == 7)
    });
    if !ok {
        eprintln!("ten-nics.yaml does not render cleanly; not benchmarking");
        std::process::exit(1);
    }
    let mut g = c.benchmark_group("previewer-10-nics");
    g.bench_function("core: compile + render 7 targets", |b| {
        b.iter(|| core_path(black_box(SPEC)))
    });
    g.bench_function("wasm api: renderAll (incl. JSON result)", |b| {
        b.iter(|| guestnet_wasm::render(black_box(SPEC), "all", "{}").len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
