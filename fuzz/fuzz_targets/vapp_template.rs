//! Any text as a vApp property value: vm-operator's templates are evaluated offline with a
//! bounded evaluator that must not panic.
#![no_main]
use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, Target};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let vm = serde_json::json!({
        "apiVersion": "vmoperator.vmware.com/v1alpha6", "kind": "VirtualMachine",
        "metadata": {"name": "f", "namespace": "ns"},
        "spec": {"bootstrap": {"linuxPrep": {}, "vAppConfig": {"properties": [{"key": "k", "value": {"value": text}}]}},
                 "network": {"nameservers": ["8.8.8.8"], "interfaces": [{"name": "eth0", "macAddr": "00:50:56:00:00:01", "addresses": ["10.0.0.5/24"], "gateway4": "10.0.0.1"}]}}
    });
    let c = compile_str(&vm.to_string(), &[], &CompileOptions::default());
    for u in &c.units {
        if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
            let _ = render::render(Target::Vapp, vm, r, &Default::default());
        }
    }
});
