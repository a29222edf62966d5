//! Any text through the custcfg reverse parser: must not panic; a result without errors converts
//! into a VirtualMachine that serialises.
#![no_main]
use guestnet_core::parse::{self, Format};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let p = parse::parse(Format::Custcfg, text, "fuzz");
    for vm in &p.vms {
        let _ = parse::to_yaml(vm);
    }
});
