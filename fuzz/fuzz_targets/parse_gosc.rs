//! Any text through the GOSC XML reverse parser (bare spec or SOAP envelope), then back
//! through the forward pipeline: must not panic.
#![no_main]
use guestnet_core::parse::{self, Format};
use guestnet_core::pipeline::{CompileOptions, compile_str};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let p = parse::parse(Format::Gosc, text, "fuzz");
    for vm in &p.vms {
        let _ = compile_str(&parse::to_yaml(vm), &[], &CompileOptions::default());
    }
});
