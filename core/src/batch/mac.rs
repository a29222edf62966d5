//! Derived MACs without collisions (`--mac-policy derive`).
//!
//! A derived MAC is a 22-bit hash of `namespace/name/interface` in VMware's static range, so
//! ~200 of 40,000 NICs would share one. Assignment therefore runs in rounds over the whole
//! batch: in round `k` every NIC still without a MAC proposes candidate `k` of its own key;
//! a proposal that hits an explicit (`macAddr`) or already assigned MAC loses, and of several
//! proposals for the same free MAC the smallest key wins. Losers go on to the next round.
//!
//! Why rounds and not "first come, first served": the result depends only on the set of keys
//! (never on file order or thread count), and a NIC that won round 0 keeps its MAC whatever is
//! added later, except a NIC whose own candidate equals it (a collision with that NIC) or an
//! explicit `macAddr` equal to it. A single VM's NICs run the same rounds, so a VM rendered
//! alone gets the same MACs as in a batch where nothing collides with it.

use std::collections::HashSet;

/// First octets of VMware's manually assigned (static) MAC range.
pub const VMWARE_STATIC_OUI: [u8; 3] = [0x00, 0x50, 0x56];
/// Derived MACs use the low 22 bits: 00:50:56:00:00:00 - 00:50:56:3f:ff:ff.
const STATIC_RANGE_MASK: u32 = 0x3f_ffff;
/// Rounds of hashed candidates before a NIC falls back to probing upwards.
pub const ROUNDS: u32 = 64;

/// 64-bit FNV-1a.
pub(crate) fn fnv1a64(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in *p {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

fn mac_from_low22(v: u32) -> [u8; 6] {
    let [_, a, b, c] = (v & STATIC_RANGE_MASK).to_be_bytes();
    [
        VMWARE_STATIC_OUI[0],
        VMWARE_STATIC_OUI[1],
        VMWARE_STATIC_OUI[2],
        a,
        b,
        c,
    ]
}

fn low22(mac: [u8; 6]) -> u32 {
    u32::from_be_bytes([0, mac[3], mac[4], mac[5]]) & STATIC_RANGE_MASK
}

/// Candidate `k` for `key`: FNV-1a-64 of `key` (k = 0) or of `key#k`, xor-folded to 32 bits
/// and masked to 22, in 00:50:56:00:00:00-3f:ff:ff.
pub fn candidate(key: &str, k: u32) -> [u8; 6] {
    let h = if k == 0 {
        fnv1a64(&[key.as_bytes()])
    } else {
        let suffix = format!("#{k}");
        fnv1a64(&[key.as_bytes(), suffix.as_bytes()])
    };
    let folded = u32::try_from((h ^ (h >> 32)) & 0xffff_ffff).unwrap_or(0);
    mac_from_low22(folded)
}

/// How a key got its MAC, for provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Candidate `k` of the key (0 = its own hash).
    Round(u32),
    /// Every hashed candidate was taken: the next free MAC above the last one.
    Probe,
}

/// Assigns every key a MAC that is in neither `taken` nor assigned to another key. `keys`
/// need not be sorted or unique; the result is in the order of `keys`.
pub fn assign(keys: &[&str], taken: &HashSet<[u8; 6]>) -> Vec<([u8; 6], How)> {
    let mut used: HashSet<[u8; 6]> = taken.clone();
    let mut out: Vec<Option<([u8; 6], How)>> = vec![None; keys.len()];
    // Pending NICs in key order (ties by position, so duplicate keys stay deterministic).
    let mut pending: Vec<usize> = (0..keys.len()).collect();
    pending.sort_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
    for k in 0..ROUNDS {
        if pending.is_empty() {
            break;
        }
        let mut proposals: Vec<([u8; 6], usize)> = pending
            .iter()
            .map(|&i| (candidate(keys[i], k), i))
            .collect();
        // Stable: within one MAC, proposals keep key order, so the first one is the winner.
        proposals.sort_by_key(|p| p.0);
        let mut losers = Vec::new();
        let mut prev: Option<[u8; 6]> = None;
        for (mac, i) in proposals {
            if prev == Some(mac) || used.contains(&mac) {
                losers.push(i);
            } else {
                used.insert(mac);
                out[i] = Some((mac, How::Round(k)));
            }
            prev = Some(mac);
        }
        losers.sort_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
        pending = losers;
    }
    for i in pending {
        let start = low22(candidate(keys[i], ROUNDS - 1));
        let mut v = start;
        let mut mac = mac_from_low22(v);
        for _ in 0..=STATIC_RANGE_MASK {
            v = (v + 1) & STATIC_RANGE_MASK;
            mac = mac_from_low22(v);
            if !used.contains(&mac) {
                break;
            }
        }
        used.insert(mac);
        out[i] = Some((mac, How::Probe));
    }
    out.into_iter()
        .map(|o| o.unwrap_or((mac_from_low22(0), How::Probe)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("team-{}/vm-{i}/eth{}", i % 7, i % 3))
            .collect()
    }

    #[test]
    fn first_candidate_is_the_historic_hash() {
        // What `--mac-policy derive` produced before collisions were resolved (golden case
        // g22-guest-dhcp-only): a NIC that collides with nothing keeps its MAC.
        assert_eq!(
            crate::ip::format_mac(&candidate("ns/dhcp-vm/eth0", 0)),
            "00:50:56:2a:2b:16"
        );
        assert_eq!(
            crate::ip::format_mac(&candidate("ns/dhcp-vm/eth1", 0)),
            "00:50:56:2a:28:41"
        );
    }

    #[test]
    fn forty_thousand_nics_never_collide_and_avoid_explicit_macs() {
        let ks = keys(40_000);
        let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
        // Explicit MACs exactly where some keys would land first.
        let taken: HashSet<[u8; 6]> = refs[..50].iter().map(|k| candidate(k, 0)).collect();
        let got = assign(&refs, &taken);
        let set: HashSet<[u8; 6]> = got.iter().map(|g| g.0).collect();
        assert_eq!(set.len(), refs.len(), "derived MACs are unique");
        assert!(set.is_disjoint(&taken), "and clear of explicit MACs");
        // Plain hashing does collide at this size: the rounds did real work.
        let first: HashSet<[u8; 6]> = refs.iter().map(|k| candidate(k, 0)).collect();
        assert!(first.len() < refs.len());
        assert!(got.iter().any(|g| g.1 != How::Round(0)));
    }

    #[test]
    fn independent_of_order() {
        let ks = keys(5_000);
        let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
        let a = assign(&refs, &HashSet::new());
        let mut rev = refs.clone();
        rev.reverse();
        let b = assign(&rev, &HashSet::new());
        for (i, k) in refs.iter().enumerate() {
            let j = rev.iter().position(|x| x == k).unwrap();
            assert_eq!(a[i], b[j], "{k}");
        }
    }

    #[test]
    fn adding_a_vm_moves_only_the_macs_it_collides_with() {
        let ks = keys(10_000);
        let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
        let before = assign(&refs, &HashSet::new());
        // Find a new key whose first candidate collides with an existing winner.
        let winners: std::collections::HashMap<[u8; 6], usize> = before
            .iter()
            .enumerate()
            .filter(|(_, g)| g.1 == How::Round(0))
            .map(|(i, g)| (g.0, i))
            .collect();
        let (new_key, victim) = (0..1_000_000)
            .map(|i| format!("aaa/new-{i}/eth0"))
            .find_map(|k| winners.get(&candidate(&k, 0)).map(|v| (k, *v)))
            .unwrap();
        let mut more = refs.clone();
        more.push(&new_key);
        let after = assign(&more, &HashSet::new());
        let changed: Vec<usize> = (0..refs.len()).filter(|&i| before[i] != after[i]).collect();
        assert!(
            changed.iter().all(|&i| i == victim),
            "only the colliding NIC may move: {changed:?} (victim {victim})"
        );
        // A key that collides with nobody changes nothing.
        let lone = (0..1_000_000)
            .map(|i| format!("zzz/lone-{i}/eth0"))
            .find(|k| {
                let c = candidate(k, 0);
                !before.iter().any(|g| g.0 == c)
            })
            .unwrap();
        let mut more = refs.clone();
        more.push(&lone);
        let after = assign(&more, &HashSet::new());
        assert_eq!(&after[..refs.len()], &before[..]);
    }
}
