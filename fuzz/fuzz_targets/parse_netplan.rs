//! Any text through the netplan reverse parser, then the forward pipeline.
#![no_main]
use guestnet_core::parse::{self, Format};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let p = parse::parse(Format::Netplan, text, "fuzz");
    for vm in &p.vms {
        let _ = compile_str(&parse::to_yaml(vm), &[], &CompileOptions::default());
    }
});
