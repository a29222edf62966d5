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
    parts
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, p| fnv1a64_more(h, p))
}

/// FNV-1a state `h` continued over `bytes`.
fn fnv1a64_more(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
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
    candidate_from(key_state(key), k)
}

/// The FNV-1a state after a key: every candidate of the key follows from it, so a fleet's
/// assignment keeps 8 bytes a NIC instead of its key.
pub fn key_state(key: &str) -> u64 {
    fnv1a64(&[key.as_bytes()])
}

/// [`candidate`] from the key's [`key_state`].
pub fn candidate_from(state: u64, k: u32) -> [u8; 6] {
    let h = if k == 0 {
        state
    } else {
        fnv1a64_more(state, format!("#{k}").as_bytes())
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

/// The MACs a batch has taken. Derived MACs all lie in VMware's static range, 2^22 MACs, so
/// once a set holds more than [`SMALL_SET`] MACs that range is a bitmap (512 KB) whatever the
/// batch's size: as a `HashSet` of every NIC's MAC, cloned for the assignment, the set was
/// 27 MB of a 100,000-VM render's peak. Until then every MAC is in a plain set, because one
/// VM's assignment (each VM of the main pass, each render in the browser) must not pay for
/// the bitmap. MACs outside the range (explicit ones a spec sets) always go to the set.
#[derive(Debug, Default)]
pub struct MacSet {
    range: Vec<u64>,
    other: HashSet<[u8; 6]>,
}

/// MACs a [`MacSet`] holds in its plain set before it makes the bitmap (~16 KB of set).
const SMALL_SET: usize = 1024;

impl MacSet {
    fn in_range(mac: &[u8; 6]) -> Option<usize> {
        (mac[..3] == VMWARE_STATIC_OUI && u32::from(mac[3]) <= STATIC_RANGE_MASK >> 16)
            .then(|| low22(*mac) as usize)
    }

    fn has_low22(&self, v: usize) -> bool {
        if self.range.is_empty() {
            return self
                .other
                .contains(&mac_from_low22(u32::try_from(v).unwrap_or(0)));
        }
        self.range
            .get(v / 64)
            .is_some_and(|w| w & (1 << (v % 64)) != 0)
    }

    pub fn contains(&self, mac: &[u8; 6]) -> bool {
        match Self::in_range(mac) {
            Some(v) => self.has_low22(v),
            None => self.other.contains(mac),
        }
    }

    pub fn insert(&mut self, mac: [u8; 6]) {
        match Self::in_range(&mac) {
            Some(v) if !self.range.is_empty() => {
                if let Some(w) = self.range.get_mut(v / 64) {
                    *w |= 1 << (v % 64);
                }
            }
            _ => {
                self.other.insert(mac);
                if self.range.is_empty() && self.other.len() > SMALL_SET {
                    // Large now: the range's MACs move to the bitmap, the rest stay.
                    self.range = vec![0; (STATIC_RANGE_MASK as usize + 1) / 64];
                    for m in std::mem::take(&mut self.other) {
                        self.insert(m);
                    }
                }
            }
        }
    }
}

/// A derived MAC and how it was found, in 4 bytes (one per NIC of a fleet): the low 22 bits
/// are the MAC within the static range, the bits above them the round ([`ROUNDS`] for a
/// probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Derived(u32);

impl Derived {
    /// For a key that was not assigned ([`assign`]'s `skip`).
    pub const NONE: Derived = Derived(u32::MAX);

    pub fn mac(self) -> [u8; 6] {
        mac_from_low22(self.0)
    }

    pub fn how(self) -> How {
        match self.0 >> 22 {
            k if k < ROUNDS => How::Round(k),
            _ => How::Probe,
        }
    }

    pub fn is_none(self) -> bool {
        self == Derived::NONE
    }
}

/// Positions `0..n` except the skipped ones, in key order (ties by position, so duplicate
/// keys stay deterministic): the ranks of [`assign_ranked`].
pub fn key_order<'a>(
    n: usize,
    key: &dyn Fn(usize) -> &'a str,
    skip: &dyn Fn(usize) -> bool,
) -> Vec<u32> {
    let mut by_key: Vec<u32> = (0..n)
        .filter(|&i| !skip(i))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    by_key.sort_by(|&a, &b| key(a as usize).cmp(key(b as usize)).then(a.cmp(&b)));
    by_key
}

/// Assigns each of `n` keys (`key(i)`, except where `skip(i)`) a MAC that is neither in
/// `used` nor assigned to another key, and adds it to `used`. Keys need not be sorted or
/// unique; the result is by position ([`Derived::NONE`] where skipped).
pub fn assign<'a>(
    n: usize,
    key: &dyn Fn(usize) -> &'a str,
    skip: &dyn Fn(usize) -> bool,
    used: &mut MacSet,
) -> Vec<Derived> {
    let by_key = key_order(n, key, skip);
    let at = |r: usize| by_key.get(r).map_or(usize::MAX, |&i| i as usize);
    let ranked = assign_ranked(by_key.len(), &|r| key_state(key(at(r))), &|_| false, used);
    let mut out = vec![Derived::NONE; n];
    for (r, d) in ranked.into_iter().enumerate() {
        if let Some(o) = out.get_mut(at(r)) {
            *o = d;
        }
    }
    out
}

/// The assignment over keys already in key order, each given by its [`key_state`] (rank
/// `r` is the `r`-th smallest key): what a fleet runs after sorting its keys on disk, so
/// that no key is in memory. The result is by rank ([`Derived::NONE`] where `skip(r)`).
///
/// A round serves its proposals in rank order and takes each winner's MAC at once: the
/// first proposal for a free MAC is the smallest key's, exactly the rule, and a later one
/// for the same MAC finds it taken. No proposals are sorted or kept: 4 bytes a pending key.
pub fn assign_ranked(
    n: usize,
    state: &dyn Fn(usize) -> u64,
    skip: &dyn Fn(usize) -> bool,
    used: &mut MacSet,
) -> Vec<Derived> {
    let mut out = vec![Derived::NONE; n];
    let mut pending: Vec<u32> = (0..n)
        .filter(|&r| !skip(r))
        .filter_map(|r| u32::try_from(r).ok())
        .collect();
    for k in 0..ROUNDS {
        if pending.is_empty() {
            break;
        }
        let mut lost = Vec::new();
        for &r in &pending {
            let m22 = low22(candidate_from(state(r as usize), k));
            if used.has_low22(m22 as usize) {
                lost.push(r);
            } else {
                used.insert(mac_from_low22(m22));
                if let Some(o) = out.get_mut(r as usize) {
                    *o = Derived(m22 | (k << 22));
                }
            }
        }
        pending = lost;
    }
    for r in pending {
        let mut v = low22(candidate_from(state(r as usize), ROUNDS - 1));
        for _ in 0..=STATIC_RANGE_MASK {
            v = (v + 1) & STATIC_RANGE_MASK;
            if !used.has_low22(v as usize) {
                break;
            }
        }
        used.insert(mac_from_low22(v));
        if let Some(o) = out.get_mut(r as usize) {
            *o = Derived(v | (ROUNDS << 22));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The assignment as it was first written (a clone of the taken set, proposals as
    /// `(MAC, position)` pairs in a stable sort): the specification the compact one must
    /// match, MAC for MAC.
    fn model(keys: &[&str], taken: &HashSet<[u8; 6]>) -> Vec<([u8; 6], How)> {
        let mut used: HashSet<[u8; 6]> = taken.clone();
        let mut out: Vec<Option<([u8; 6], How)>> = vec![None; keys.len()];
        let mut pending: Vec<usize> = (0..keys.len()).collect();
        pending.sort_by(|&a, &b| keys[a].cmp(keys[b]).then(a.cmp(&b)));
        for k in 0..ROUNDS {
            let mut proposals: Vec<([u8; 6], usize)> = pending
                .iter()
                .map(|&i| (candidate(keys[i], k), i))
                .collect();
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
            let mut v = low22(candidate(keys[i], ROUNDS - 1));
            loop {
                v = (v + 1) & STATIC_RANGE_MASK;
                if !used.contains(&mac_from_low22(v)) {
                    break;
                }
            }
            used.insert(mac_from_low22(v));
            out[i] = Some((mac_from_low22(v), How::Probe));
        }
        out.into_iter().map(Option::unwrap).collect()
    }

    /// [`assign`] over a plain list, as the tests below ask it.
    fn assign_all(keys: &[&str], taken: &HashSet<[u8; 6]>) -> Vec<([u8; 6], How)> {
        let mut used = MacSet::default();
        for m in taken {
            used.insert(*m);
        }
        let got = assign(keys.len(), &|i| keys[i], &|_| false, &mut used);
        got.iter().map(|d| (d.mac(), d.how())).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Thousands of keys (so hashes collide), duplicates among them, explicit MACs on
        /// some keys' first candidates and outside the range, and skipped keys: the compact
        /// assignment gives exactly the model's MACs, and every MAC it gives ends up taken.
        #[test]
        fn compact_assignment_matches_the_model(
            n in 1usize..6000,
            dup_every in 2usize..50,
            taken_every in 3usize..400,
            skip_every in 2usize..100,
            foreign in proptest::collection::vec(any::<[u8; 6]>(), 0..20),
        ) {
            let ks: Vec<String> = (0..n)
                .map(|i| if i % dup_every == 0 { format!("ns/dup-{}/eth0", i % 7) } else { format!("ns{}/vm-{i}/eth{}", i % 5, i % 4) })
                .collect();
            let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
            let mut taken: HashSet<[u8; 6]> = refs.iter().step_by(taken_every).map(|k| candidate(k, 0)).collect();
            taken.extend(foreign);
            // Whole list.
            prop_assert_eq!(assign_all(&refs, &taken), model(&refs, &taken));
            // Skipped keys are the model run without them.
            let kept: Vec<usize> = (0..n).filter(|i| i % skip_every != 0).collect();
            let sub: Vec<&str> = kept.iter().map(|&i| refs[i]).collect();
            let mut used = MacSet::default();
            for m in &taken {
                used.insert(*m);
            }
            let got = assign(n, &|i| refs[i], &|i| i % skip_every == 0, &mut used);
            let want = model(&sub, &taken);
            for (j, &i) in kept.iter().enumerate() {
                prop_assert_eq!((got[i].mac(), got[i].how()), want[j]);
                prop_assert!(used.contains(&want[j].0));
            }
            for i in (0..n).filter(|i| i % skip_every == 0) {
                prop_assert!(got[i].is_none());
            }
        }
    }

    #[test]
    fn the_set_answers_the_same_before_and_after_it_makes_its_bitmap() {
        let mut s = MacSet::default();
        let mut model: HashSet<[u8; 6]> = HashSet::new();
        // In the range, just above it (same low 22 bits as a range MAC), and elsewhere.
        let mac = |i: u32| -> [u8; 6] {
            let [_, a, b, c] = i.wrapping_mul(2_654_435_761).to_be_bytes();
            match i % 3 {
                0 => [0x00, 0x50, 0x56, a & 0x3f, b, c],
                1 => [0x00, 0x50, 0x56, a | 0x40, b, c],
                _ => [0x02, a, b, c, 0x00, 0x01],
            }
        };
        for i in 0..3 * SMALL_SET as u32 {
            if i as usize == SMALL_SET / 2 {
                assert!(s.range.is_empty(), "small sets keep no bitmap");
            }
            s.insert(mac(i));
            model.insert(mac(i));
            for j in [i, i + 1, i / 2, i + 7] {
                assert_eq!(s.contains(&mac(j)), model.contains(&mac(j)), "{i} {j}");
            }
        }
        assert!(!s.range.is_empty(), "large sets use the bitmap");
        assert!(
            s.other.len() < 2 * SMALL_SET + 2,
            "range MACs left the plain set"
        );
    }

    #[test]
    fn the_set_tells_range_and_other_macs_apart() {
        let mut s = MacSet::default();
        let inside = [0x00, 0x50, 0x56, 0x3f, 0xff, 0xff];
        let above = [0x00, 0x50, 0x56, 0x40, 0x00, 0x00];
        let other = [0x02, 0x50, 0x56, 0x00, 0x00, 0x01];
        for m in [inside, above, other] {
            assert!(!s.contains(&m));
        }
        s.insert(inside);
        s.insert(above);
        assert!(s.contains(&inside) && s.contains(&above) && !s.contains(&other));
        // `above` shares its low 22 bits with 00:50:56:00:00:00 but is not it.
        assert!(!s.contains(&[0x00, 0x50, 0x56, 0x00, 0x00, 0x00]));
    }

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
        let got = assign_all(&refs, &taken);
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
        let a = assign_all(&refs, &HashSet::new());
        let mut rev = refs.clone();
        rev.reverse();
        let b = assign_all(&rev, &HashSet::new());
        for (i, k) in refs.iter().enumerate() {
            let j = rev.iter().position(|x| x == k).unwrap();
            assert_eq!(a[i], b[j], "{k}");
        }
    }

    #[test]
    fn adding_a_vm_moves_only_the_macs_it_collides_with() {
        let ks = keys(10_000);
        let refs: Vec<&str> = ks.iter().map(String::as_str).collect();
        let before = assign_all(&refs, &HashSet::new());
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
        let after = assign_all(&more, &HashSet::new());
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
        let after = assign_all(&more, &HashSet::new());
        assert_eq!(&after[..refs.len()], &before[..]);
    }
}
