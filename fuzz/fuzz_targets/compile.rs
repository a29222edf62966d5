//! Any text through load -> validate -> resolve -> every target: must not panic, and a
//! document with errors must never reach a renderer. Every served apiVersion takes its own
//! loader and conversion path (old-version seeds: `cargo fuzz run compile
//! fuzz/corpus/compile fuzz/seeds/versions`); each loaded VM is also written as every
//! version and read back strictly.
#![no_main]
use guestnet_core::convert;
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = CompileOptions::default();
    let c = compile_str(text, &[], &opts);
    for u in &c.units {
        if let Some(vm) = &u.vm {
            // down() reads its own output back strictly: an error is a conversion bug.
            for v in ApiVersion::ALL {
                if let Err(e) = convert::down(vm, v) {
                    panic!("cannot write the VM as {v}: {e}");
                }
            }
        }
        if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
            assert!(!u.has_errors());
            for t in Target::ALL {
                let _ = render::render(*t, vm, r, &opts.render);
            }
        }
    }
});
