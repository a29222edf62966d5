//! The fast YAML scanner against granit: on any text the fast scanner reads, granit must read
//! the same events with the same spans (seeded with every golden input, so mutations start
//! inside the subset the fast scanner reads).
#![no_main]
use guestnet_core::source::yaml::fast_scan_agrees;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(e) = fast_scan_agrees(text) {
        panic!("{e}");
    }
});
