//! Any text through load -> validate -> resolve -> every target: must not panic, and a
//! document with errors must never reach a renderer.
#![no_main]
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = CompileOptions::default();
    let c = compile_str(text, &[], &opts);
    for u in &c.units {
        if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
            assert!(!u.has_errors());
            for t in Target::ALL {
                let _ = render::render(*t, vm, r, &opts.render);
            }
        }
    }
});
