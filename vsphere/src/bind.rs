//! Ties the spec's interfaces to the VM's network adapters before anything is sent.
//!
//! Interfaces with `macAddr` claim the adapter with that MAC; the others take the remaining
//! adapters in PCI order, in spec order. The interfaces are then put in PCI order, because
//! vSphere 7.0 wants `nicSettingMap` MACs ascending by PCI slot (KB 87648). A count mismatch
//! is what vCenter would report as NicSettingMismatch after the fact; here it stops the VM
//! first, naming both counts.

use crate::vm::Nic;
use guestnet_core::resolve::{Resolved, Source, Sourced};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error(
        "the spec has {spec} network interface(s) but the VM has {vm} network adapter(s); nothing was sent (vCenter would refuse the customization with NicSettingMismatch)"
    )]
    Count { spec: usize, vm: usize },
    #[error(
        "interface {interface} has macAddr {mac}, but the VM has no adapter with that MAC (its adapters: {vm_macs}); nothing was sent"
    )]
    MacNotOnVm {
        interface: String,
        mac: String,
        vm_macs: String,
    },
    #[error("interfaces {first} and {second} both have macAddr {mac}; nothing was sent")]
    DuplicateMac {
        first: String,
        second: String,
        mac: String,
    },
}

/// What binding did, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bound {
    /// `eth0 -> 00:50:56:… (Network adapter 1, PCI slot 192)` per interface, PCI order.
    pub lines: Vec<String>,
    /// True when the VM's adapters have no MACs yet, so settings go by PCI order only.
    pub pci_order_only: bool,
}

/// Binds `r`'s interfaces to `nics` (PCI order), in place. `use_macs == false` (the
/// `pci-order` policy) checks the count only and leaves every MAC out.
pub fn bind(r: &mut Resolved, nics: &[Nic], use_macs: bool) -> Result<Bound, BindError> {
    if r.interfaces.len() != nics.len() {
        return Err(BindError::Count {
            spec: r.interfaces.len(),
            vm: nics.len(),
        });
    }
    let vm_macs = || {
        nics.iter()
            .map(|n| {
                if n.mac.is_empty() {
                    format!("{} (no MAC yet)", n.label)
                } else {
                    n.mac.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pci_order_only = !use_macs || nics.iter().any(|n| n.mac.is_empty());
    // Which adapter each interface gets.
    let mut slot_of: Vec<Option<usize>> = vec![None; r.interfaces.len()];
    let mut taken = vec![false; nics.len()];
    for (i, f) in r.interfaces.iter().enumerate() {
        let Some(m) = &f.mac else { continue };
        if !use_macs {
            continue;
        }
        let want = m.value.to_ascii_lowercase();
        match nics.iter().position(|n| n.mac == want) {
            Some(j) if taken[j] => {
                let first = slot_of
                    .iter()
                    .position(|s| *s == Some(j))
                    .and_then(|k| r.interfaces.get(k))
                    .map(|f| f.name.clone())
                    .unwrap_or_default();
                return Err(BindError::DuplicateMac {
                    first,
                    second: f.name.clone(),
                    mac: want,
                });
            }
            Some(j) => {
                taken[j] = true;
                slot_of[i] = Some(j);
            }
            None => {
                return Err(BindError::MacNotOnVm {
                    interface: f.name.clone(),
                    mac: want,
                    vm_macs: vm_macs(),
                });
            }
        }
    }
    let mut free = (0..nics.len()).filter(|j| !taken[*j]);
    for s in slot_of.iter_mut().filter(|s| s.is_none()) {
        *s = free.next();
    }
    let mut order: Vec<(usize, usize)> = slot_of
        .iter()
        .enumerate()
        .map(|(i, s)| (s.unwrap_or(i), i))
        .collect();
    order.sort_unstable();
    let mut old: Vec<Option<guestnet_core::resolve::Interface>> = std::mem::take(&mut r.interfaces)
        .into_iter()
        .map(Some)
        .collect();
    let mut lines = Vec::new();
    for (j, i) in order {
        let Some(mut f) = old.get_mut(i).and_then(Option::take) else {
            continue;
        };
        let nic = nics.get(j);
        f.mac = match nic {
            Some(n) if !pci_order_only => Some(Sourced {
                value: n.mac.clone(),
                source: match f.mac.take() {
                    Some(m) => m.source,
                    None => Source::Derived(format!(
                        "read from the VM: {} (PCI order {})",
                        n.label,
                        j + 1
                    )),
                },
            }),
            _ => None,
        };
        if let Some(n) = nic {
            lines.push(format!(
                "{} -> {}{}",
                f.name,
                if n.mac.is_empty() { "(no MAC)" } else { &n.mac },
                match n.pci_slot {
                    Some(s) => format!(" ({}, PCI slot {s})", n.label),
                    None => format!(" ({})", n.label),
                }
            ));
        }
        r.interfaces.push(f);
    }
    Ok(Bound {
        lines,
        pci_order_only,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use guestnet_core::model::ApiVersion;
    use guestnet_core::pipeline::{CompileOptions, compile_str};
    use guestnet_core::resolve::resolve;

    fn resolved(ifaces: &str) -> Resolved {
        let y = format!(
            "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: web01}}\nspec:\n  network:\n    interfaces:\n{ifaces}"
        );
        let c = compile_str(&y, &[], &CompileOptions::default());
        let u = &c.units[0];
        assert!(!u.has_errors(), "{:?}", u.diagnostics);
        resolve(u.vm.as_ref().unwrap(), ApiVersion::V1alpha6, &[])
    }

    fn nic(mac: &str, slot: i32) -> Nic {
        Nic {
            key: 4000 + slot,
            device_type: "VirtualVmxnet3".into(),
            label: format!("Network adapter {slot}"),
            mac: mac.into(),
            pci_slot: Some(slot),
        }
    }

    #[test]
    fn pci_order_and_spec_macs() {
        let mut r = resolved(
            "    - {name: eth0, dhcp4: true}\n    - {name: eth1, macAddr: \"00:50:56:00:00:01\", dhcp4: true}\n    - {name: eth2, dhcp4: true}\n",
        );
        let nics = [
            nic("00:50:56:00:00:01", 160),
            nic("00:0c:29:00:00:02", 192),
            nic("00:0c:29:00:00:03", 224),
        ];
        let b = bind(&mut r, &nics, true).unwrap();
        let got: Vec<(String, String)> = r
            .interfaces
            .iter()
            .map(|f| (f.name.clone(), f.mac.as_ref().unwrap().value.clone()))
            .collect();
        // eth1 claims its MAC (slot 160, first in PCI order); eth0, eth2 take the rest.
        assert_eq!(
            got,
            vec![
                ("eth1".to_string(), "00:50:56:00:00:01".to_string()),
                ("eth0".to_string(), "00:0c:29:00:00:02".to_string()),
                ("eth2".to_string(), "00:0c:29:00:00:03".to_string()),
            ]
        );
        assert!(!b.pci_order_only);
        assert!(b.lines[1].starts_with("eth0 -> 00:0c:29:00:00:02 (Network adapter 192"));
        assert!(matches!(
            r.interfaces[1].mac.as_ref().unwrap().source,
            Source::Derived(_)
        ));
    }

    #[test]
    fn errors_name_the_problem() {
        let mut r = resolved("    - {name: eth0, dhcp4: true}\n    - {name: eth1, dhcp4: true}\n");
        let e = bind(&mut r, &[nic("00:0c:29:00:00:02", 192)], true).unwrap_err();
        assert_eq!(e, BindError::Count { spec: 2, vm: 1 });
        assert!(
            e.to_string()
                .contains("2 network interface(s) but the VM has 1")
        );
        let mut r = resolved("    - {name: eth0, macAddr: \"00:50:56:00:00:09\", dhcp4: true}\n");
        let e = bind(&mut r, &[nic("00:0c:29:00:00:02", 192)], true).unwrap_err();
        assert!(
            e.to_string()
                .contains("no adapter with that MAC (its adapters: 00:0c:29:00:00:02)"),
            "{e}"
        );
    }

    #[test]
    fn pci_order_policy_and_unassigned_macs_leave_macs_out() {
        let mut r = resolved("    - {name: eth0, macAddr: \"00:50:56:00:00:09\", dhcp4: true}\n");
        let b = bind(&mut r, &[nic("00:0c:29:00:00:02", 192)], false).unwrap();
        assert!(b.pci_order_only && r.interfaces[0].mac.is_none());
        let mut r = resolved("    - {name: eth0, dhcp4: true}\n");
        let b = bind(&mut r, &[nic("", 192)], true).unwrap();
        assert!(b.pci_order_only && r.interfaces[0].mac.is_none());
    }
}
