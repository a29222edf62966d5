//! Any text as a `--url`, a libvirt URI, a thumbprint, or govc's environment: the parsers
//! must not panic, and a password given on the command line is never accepted.
#![no_main]
use guestnet_vsphere::connect::{Args, parse_thumbprint, parse_uri, parse_url, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = parse_uri(text) {
        assert!(c.password.is_none());
    }
    if let Ok(c) = parse_url(text, false) {
        assert!(c.password.is_none());
    }
    let _ = parse_url(text, true);
    let _ = parse_thumbprint(text);
    let fields: Vec<&str> = text.split('\n').collect();
    let env = |k: &str| {
        let i = guestnet_vsphere::connect::ENV_VARS.iter().position(|v| *v == k)?;
        fields.get(i + 1).map(|s| s.to_string())
    };
    let args = Args {
        url: fields.first().filter(|f| f.starts_with('h')).map(|s| s.to_string()),
        ..Args::default()
    };
    let _ = resolve(&args, &env);
});
