//! Any text through `guestnet convert --to` for every served version: no panic, and what it
//! writes is a document of that version the loader reads without an input error (no
//! unknown field, no wrong type) with that apiVersion. Seeds: `fuzz/seeds/versions`.
#![no_main]
use guestnet_core::convert::rewrite;
use guestnet_core::model::ApiVersion;
use guestnet_core::pipeline::{Input, load};
use guestnet_core::{Code, Severity};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Default::default();
    for to in ApiVersion::ALL {
        let r = rewrite(text, to, &limits);
        if r.has_errors() {
            assert!(r.documents.is_empty(), "partial output");
            continue;
        }
        let out = r.to_yaml();
        let Ok(docs) = load(&out, &limits) else {
            panic!("rewritten text does not parse:\n{out}");
        };
        for d in &docs {
            let bad: Vec<_> = d
                .diagnostics
                .iter()
                .filter(|x| {
                    x.severity == Severity::Error
                        && matches!(x.code, Code::UnknownField | Code::WrongType | Code::MissingField)
                })
                .collect();
            assert!(bad.is_empty(), "{to} output is not valid {to}: {bad:?}\n{out}");
            if let Some(Input::VirtualMachine(_, v)) = &d.input {
                assert_eq!(*v, to);
            }
        }
    }
});
