//! Checks that span a batch of VMs (files in one pre-commit run, a CI render): two VMs
//! with the same static address, MAC or FQDN will fight once they boot, however valid each
//! manifest is on its own.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::resolve::{Resolved, Source};
use std::collections::BTreeMap;

/// Where a VM came from, for messages, and the batch scope it is checked in.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: String,
    pub document: usize,
    /// VMs are compared only with VMs of the same scope: the same VM in a dev and a prod
    /// overlay (scopes `clusters/dev`, `clusters/prod`) is not a duplicate. Empty: the
    /// default scope.
    pub scope: String,
}

/// Returns `(vm index, diagnostic)` for every value that a later VM of the same scope
/// repeats.
pub fn cross_check(vms: &[(&Origin, &Resolved)]) -> Vec<(usize, Diagnostic)> {
    let mut scopes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (o, _)) in vms.iter().enumerate() {
        scopes.entry(o.scope.as_str()).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in scopes.values() {
        let group: Vec<(&Origin, &Resolved)> = members
            .iter()
            .filter_map(|&i| vms.get(i).copied())
            .collect();
        for (j, d) in check_scope(&group) {
            if let Some(&i) = members.get(j) {
                out.push((i, d));
            }
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

fn check_scope(vms: &[(&Origin, &Resolved)]) -> Vec<(usize, Diagnostic)> {
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
                    Code::DuplicateInBatch,
                    path,
                    &r.fqdn,
                    &format!("host name is also used by {}", here(*prev)),
                )
                .with_severity(Severity::Warning),
            ));
        } else {
            fqdns.insert(r.fqdn.clone(), i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{CompileOptions, compile_str};

    fn resolved(name: &str) -> Resolved {
        let y = format!(
            "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: {name}, namespace: ns}}\nspec:\n  bootstrap: {{cloudInit: {{}}}}\n  network:\n    interfaces:\n    - {{name: eth0, addresses: [10.0.0.5/24], gateway4: 10.0.0.1}}\n"
        );
        let mut c = compile_str(&y, &[], &CompileOptions::default());
        c.units.remove(0).resolved.unwrap()
    }

    fn origin(file: &str, scope: &str) -> Origin {
        Origin {
            file: file.into(),
            document: 0,
            scope: scope.into(),
        }
    }

    #[test]
    fn scopes_partition_the_batch() {
        let (a, b) = (resolved("web"), resolved("web"));
        let (dev, prod) = (
            origin("dev.yaml", "clusters/dev"),
            origin("prod.yaml", "clusters/prod"),
        );
        assert!(cross_check(&[(&dev, &a), (&prod, &b)]).is_empty());
        let dev2 = origin("dev2.yaml", "clusters/dev");
        let found = cross_check(&[(&dev, &a), (&prod, &b), (&dev2, &b)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 2);
        assert!(found[0].1.message.contains("dev.yaml"));
    }
}
