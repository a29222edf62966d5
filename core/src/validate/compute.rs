//! The one compute rule that is about a NIC (`validateUPTv2MemoryReservation` in
//! `virtualmachine_validator_compute.go`): vmxnet3 UPTv2 passthrough needs the guest's whole
//! memory reserved, or vSphere refuses to power the VM on.

use super::{Ctx, iface_path};
use crate::diagnostic::{Code, Diagnostic};
use serde_json::Value;
use std::cmp::Ordering;

const UPTV2_DETAIL: &str = "requires full guest memory reservation: set spec.memoryAdvanced.reservationLockedToMax=true, or set spec.resources.requests.memory equal to spec.resources.size.memory";

pub(super) fn check(cx: &mut Ctx<'_>) {
    if full_memory_reservation(cx) {
        return;
    }
    let mut found = Vec::new();
    for (i, f) in cx.vm.interfaces().iter().enumerate() {
        if f.vmxnet3.as_ref().and_then(|v| v.uptv2_enabled) == Some(true) {
            found.push(i);
        }
    }
    for i in found {
        cx.push(Diagnostic::new(
            Code::Vmxnet3,
            format!("{}.vmxnet3.uptv2Enabled", iface_path(i)),
            format!("Invalid value: true: {UPTV2_DETAIL}"),
        ));
    }
}

/// `vmopv1util.FullMemReservationSpecMet`: reservationLockedToMax, or requests.memory equal
/// to size.memory as Kubernetes quantities (`4Gi` == `4096Mi`).
fn full_memory_reservation(cx: &Ctx<'_>) -> bool {
    let spec = &cx.vm.spec;
    if spec
        .memory_advanced
        .as_ref()
        .and_then(|m| m.get("reservationLockedToMax"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return true;
    }
    let mem = |which: &str| {
        spec.resources
            .as_ref()
            .and_then(|r| r.get(which))
            .and_then(|q| q.get("memory"))
            .and_then(Quantity::from_json)
    };
    match (mem("requests"), mem("size")) {
        (Some(a), Some(b)) => a.cmp_value(&b) == Some(Ordering::Equal),
        _ => false,
    }
}

/// A Kubernetes resource quantity as an exact value `digits × 10^exp10 × 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity {
    digits: i128,
    exp10: i32,
    exp2: u32,
}

impl Quantity {
    fn from_json(v: &Value) -> Option<Quantity> {
        match v {
            Value::String(s) => Quantity::parse(s),
            Value::Number(n) => Quantity::parse(&n.to_string()),
            _ => None,
        }
    }

    /// `resource.ParseQuantity`: a signed decimal number with a binary-SI (`Ki`..`Ei`),
    /// decimal-SI (`m`, `k`, `M`..`E`) or exponent (`e3`) suffix.
    pub(crate) fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        let num_end = s
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        let (num, suffix) = s.split_at(num_end);
        let (neg, num) = match num.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, num.strip_prefix('+').unwrap_or(num)),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() || frac.contains('.') {
            return None;
        }
        let all = format!("{int}{frac}");
        if all.len() > 30 || !all.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut digits: i128 = all.parse().ok()?;
        if neg {
            digits = -digits;
        }
        let mut exp10 = -i32::try_from(frac.len()).ok()?;
        let mut exp2 = 0u32;
        match suffix {
            "" => {}
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let n = "KMGTPE".find(&suffix[..1])?;
                exp2 = 10 * (u32::try_from(n).ok()? + 1);
            }
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            e if e.starts_with(['e', 'E']) => {
                let x: i32 = e[1..].parse().ok()?;
                exp10 = exp10.checked_add(x)?;
            }
            _ => return None,
        }
        Some(Quantity {
            digits,
            exp10,
            exp2,
        })
    }

    /// Exact comparison (None when the numbers are too large to compare exactly).
    pub(crate) fn cmp_value(&self, o: &Quantity) -> Option<Ordering> {
        let e10 = self.exp10.min(o.exp10);
        let e2 = self.exp2.min(o.exp2);
        let scale = |q: &Quantity| -> Option<i128> {
            let mut v = q.digits;
            for _ in 0..(q.exp10 - e10) {
                v = v.checked_mul(10)?;
            }
            for _ in 0..(q.exp2 - e2) {
                v = v.checked_mul(2)?;
            }
            Some(v)
        };
        Some(scale(self)?.cmp(&scale(o)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn quantities_compare_by_value() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("4Gi").cmp_value(&q("4096Mi")), Some(Ordering::Equal));
        assert_eq!(q("1G").cmp_value(&q("1000M")), Some(Ordering::Equal));
        assert_eq!(q("1.5Gi").cmp_value(&q("1536Mi")), Some(Ordering::Equal));
        assert_eq!(q("1e3").cmp_value(&q("1k")), Some(Ordering::Equal));
        assert_eq!(q("1Gi").cmp_value(&q("1G")), Some(Ordering::Greater));
        assert!(Quantity::parse("4 Gi").is_none());
        assert!(Quantity::parse("Gi").is_none());
        assert!(Quantity::parse("1.2.3").is_none());
    }

    #[test]
    fn uptv2_needs_full_reservation() {
        let nic = "  network:\n    interfaces:\n    - name: eth0\n      type: VMXNet3\n      dhcp4: true\n      vmxnet3: {uptv2Enabled: true}\n";
        let r = run(&format!("{HEAD}spec:\n{nic}"));
        assert_eq!(
            r,
            vec![format!(
                "GN141 spec.network.interfaces[0].vmxnet3.uptv2Enabled: Invalid value: true: {UPTV2_DETAIL}"
            )]
        );
        let r = run(&format!(
            "{HEAD}spec:\n  resources: {{requests: {{memory: 4Gi}}, size: {{memory: 4096Mi}}}}\n{nic}"
        ));
        assert!(r.is_empty(), "{r:?}");
        let r = run(&format!(
            "{HEAD}spec:\n  memoryAdvanced: {{reservationLockedToMax: true}}\n{nic}"
        ));
        assert!(r.is_empty(), "{r:?}");
    }
}
