//! Any text as a vCenter's SOAP reply: the reader, the PropertyCollector result walker, the
//! VM and event readers, the status mapping and the fault sentences must not panic.
#![no_main]
use guestnet_vsphere::fault::sentence;
use guestnet_vsphere::soap::{Reply, localized_fault, object_contents, parse_reply};
use guestnet_vsphere::status::{Observed, derive, events};
use guestnet_vsphere::vm::VmInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_reply(text) {
        Ok(Reply::Ok(el)) => {
            let (objs, _) = object_contents(&el);
            for o in &objs {
                let vm = VmInfo::from_content(o);
                let _ = vm.question.as_ref().map(|q| q.describe_choices());
                if let Some(info) = o.get("info") {
                    if let Some(f) = info.child("error").and_then(localized_fault) {
                        let _ = sentence(&f);
                    }
                }
            }
            let evs = events(&el);
            let _ = derive(&Observed {
                events: evs,
                ..Observed::default()
            });
        }
        Ok(Reply::Fault(f)) => {
            let _ = sentence(&f);
        }
        Err(_) => {}
    }
});
