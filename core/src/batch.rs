//! Checks that span a batch of VMs (files in one pre-commit run, a CI render): two VMs
//! with the same static address, MAC or FQDN will fight once they boot, however valid each
//! manifest is on its own.

use crate::diagnostic::{Code, Diagnostic};
use crate::resolve::{Resolved, Source};
use std::collections::BTreeMap;

/// Where a VM came from, for messages.
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: String,
    pub document: usize,
}

/// Returns `(vm index, diagnostic)` for every value that a later VM repeats.
pub fn cross_check(vms: &[(&Origin, &Resolved)]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    let mut ips: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut macs: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut fqdns: BTreeMap<String, usize> = BTreeMap::new();
    let mut names: BTreeMap<(String, String), usize> = BTreeMap::new();
    let here = |i: usize| {
        vms.get(i)
            .map(|(o, r)| format!("{} ({}, document {})", r.name, o.file, o.document + 1))
            .unwrap_or_default()
    };
    for (i, (_, r)) in vms.iter().enumerate() {
        let key = (r.namespace.clone().unwrap_or_default(), r.name.clone());
        if let Some(prev) = names.insert(key, i) {
            out.push((
                i,
                Diagnostic::new(
                    Code::DuplicateInBatch,
                    "metadata.name",
                    format!(
                        "VirtualMachine {} is also defined by {}",
                        r.name,
                        here(prev)
                    ),
                ),
            ));
            continue;
        }
        for f in &r.interfaces {
            for a in &f.addresses {
                let path = match &a.source {
                    Source::Interface(p) => p.clone(),
                    _ => format!("spec.network.interfaces[{}].addresses", f.index),
                };
                let ip = a.value.addr.to_string();
                if let Some((prev, _)) = ips.get(&ip) {
                    out.push((
                        i,
                        Diagnostic::invalid(
                            Code::DuplicateInBatch,
                            path,
                            &a.value.to_string(),
                            &format!("address {ip} is also assigned to {}", here(*prev)),
                        ),
                    ));
                } else {
                    ips.insert(ip, (i, path));
                }
            }
            if let Some(m) = &f.mac {
                let path = format!("spec.network.interfaces[{}].macAddr", f.index);
                if let Some((prev, _)) = macs.get(&m.value) {
                    out.push((
                        i,
                        Diagnostic::invalid(
                            Code::DuplicateInBatch,
                            path,
                            &m.value,
                            &format!("MAC address is also used by {}", here(*prev)),
                        ),
                    ));
                } else {
                    macs.insert(m.value.clone(), (i, path));
                }
            }
        }
        if let Some(prev) = fqdns.get(&r.fqdn) {
            let path = match &r.host_name.source {
                Source::Global(p) | Source::Metadata(p) => p.clone(),
                _ => "spec.network.hostName".into(),
            };
            out.push((
                i,
                Diagnostic::invalid(
                    Code::DuplicateHostNameInBatch,
                    path,
                    &r.fqdn,
                    &format!("host name is also used by {}", here(*prev)),
                ),
            ));
        } else {
            fqdns.insert(r.fqdn.clone(), i);
        }
    }
    out
}
