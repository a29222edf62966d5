//! The used addresses of one catalog subnet, for the allocator.
//!
//! Only addresses inside the subnet's allocation ranges matter: nothing else is handed out,
//! counted as free or checked for a remembered allocation. So the set covers the window from
//! the lowest range start to the highest range end and ignores the rest. A window of at most
//! [`MAX_BITS`] addresses (every IPv4 range up to a /8) is a bitmap, a /16's ranges 8 KB
//! however many VMs allocate or sit on static addresses there; a wider window (IPv6) keeps a
//! `BTreeSet`. As a `BTreeSet` of every used address the sets were 5 MB of a 100,000-VM
//! batch's peak, growing with it.

use std::collections::BTreeSet;

/// The widest window kept as a bitmap (2 MB).
#[cfg(feature = "spill")]
const MAX_BITS: u128 = 1 << 24;

#[derive(Debug, Clone)]
pub(super) enum AddrSet {
    /// Only in the CLI (feature `spill`): the browser checks one text, whose handful of
    /// addresses a set holds, and its startup module has no room for a second kind.
    #[cfg(feature = "spill")]
    Bits { lo: u128, hi: u128, words: Vec<u64> },
    Set {
        lo: u128,
        hi: u128,
        set: BTreeSet<u128>,
    },
}

impl AddrSet {
    /// A set for the addresses `lo..=hi` (as [`crate::ip::Cidr::bits`]).
    pub(super) fn new(lo: u128, hi: u128) -> AddrSet {
        let span = hi.saturating_sub(lo).saturating_add(1);
        #[cfg(feature = "spill")]
        if hi >= lo && span <= MAX_BITS {
            let words = usize::try_from(span.div_ceil(64)).unwrap_or(0);
            return AddrSet::Bits {
                lo,
                hi,
                words: vec![0; words],
            };
        }
        let _ = span;
        AddrSet::Set {
            lo,
            hi,
            set: BTreeSet::new(),
        }
    }

    fn window(&self) -> (u128, u128) {
        match self {
            #[cfg(feature = "spill")]
            AddrSet::Bits { lo, hi, .. } => (*lo, *hi),
            AddrSet::Set { lo, hi, .. } => (*lo, *hi),
        }
    }

    /// Position of `a` in a bitmap: word and bit.
    #[cfg(feature = "spill")]
    fn slot(lo: u128, a: u128) -> (usize, u32) {
        let i = a - lo;
        (
            usize::try_from(i / 64).unwrap_or(usize::MAX),
            (i % 64) as u32,
        )
    }

    /// Adds `a`; an address outside the window is not kept (nothing asks for it).
    pub(super) fn insert(&mut self, a: u128) {
        let (lo, hi) = self.window();
        if a < lo || a > hi {
            return;
        }
        match self {
            #[cfg(feature = "spill")]
            AddrSet::Bits { words, .. } => {
                let (w, b) = Self::slot(lo, a);
                if let Some(w) = words.get_mut(w) {
                    *w |= 1 << b;
                }
            }
            AddrSet::Set { set, .. } => {
                set.insert(a);
            }
        }
    }

    pub(super) fn contains(&self, a: u128) -> bool {
        let (lo, hi) = self.window();
        if a < lo || a > hi {
            return false;
        }
        match self {
            #[cfg(feature = "spill")]
            AddrSet::Bits { words, .. } => {
                let (w, b) = Self::slot(lo, a);
                words.get(w).is_some_and(|w| w & (1 << b) != 0)
            }
            AddrSet::Set { set, .. } => set.contains(&a),
        }
    }

    /// The lowest address in `from..=to` that is not in the set.
    pub(super) fn first_free(&self, from: u128, to: u128) -> Option<u128> {
        if from > to {
            return None;
        }
        let (lo, hi) = self.window();
        if from < lo || from > hi {
            return Some(from);
        }
        match self {
            #[cfg(feature = "spill")]
            AddrSet::Bits { words, .. } => {
                let mut a = from;
                while a <= to.min(hi) {
                    let (w, b) = Self::slot(lo, a);
                    let free = !words.get(w).copied().unwrap_or(0) >> b;
                    if free != 0 {
                        let c = a + u128::from(free.trailing_zeros());
                        return (c <= to).then_some(c);
                    }
                    a += 64 - u128::from(b);
                }
                (a <= to).then_some(a)
            }
            AddrSet::Set { set, .. } => {
                let mut c = from;
                for u in set.range(from..=to) {
                    if *u != c {
                        break;
                    }
                    c += 1;
                }
                (c <= to).then_some(c)
            }
        }
    }

    /// How many addresses of `from..=to` are in the set.
    pub(super) fn count(&self, from: u128, to: u128) -> u128 {
        let (lo, hi) = self.window();
        let (from, to) = (from.max(lo), to.min(hi));
        if from > to {
            return 0;
        }
        match self {
            #[cfg(feature = "spill")]
            AddrSet::Bits { words, .. } => {
                let mut n = 0u128;
                let mut a = from;
                while a <= to {
                    let (w, b) = Self::slot(lo, a);
                    let take = (64 - u128::from(b)).min(to - a + 1);
                    let word = words.get(w).copied().unwrap_or(0) >> b;
                    let mask = if take >= 64 {
                        u64::MAX
                    } else {
                        (1u64 << take) - 1
                    };
                    n += u128::from((word & mask).count_ones());
                    a += take;
                }
                n
            }
            AddrSet::Set { set, .. } => set.range(from..=to).count() as u128,
        }
    }
}

#[cfg(all(test, feature = "spill"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The model: a plain set of the addresses inside the window.
    fn model_first_free(m: &BTreeSet<u128>, from: u128, to: u128) -> Option<u128> {
        (from..=to).find(|a| !m.contains(a))
    }

    proptest! {
        /// Bitmap and `BTreeSet` sets both answer as a plain set of the window's addresses,
        /// at word edges too (windows not aligned to 64, queries crossing words, inserts
        /// outside the window ignored).
        #[test]
        fn both_kinds_answer_as_a_plain_set(
            lo in 0u128..300,
            span in 1u128..400,
            inserts in proptest::collection::vec(0u128..800, 0..300),
            queries in proptest::collection::vec((0u128..800, 0u128..200), 1..40),
        ) {
            let hi = lo + span - 1;
            let mut bits = AddrSet::new(lo, hi);
            let is_bits = matches!(bits, AddrSet::Bits { .. });
            prop_assert!(is_bits);
            let mut set = AddrSet::Set { lo, hi, set: BTreeSet::new() };
            let mut m = BTreeSet::new();
            for a in inserts {
                bits.insert(a);
                set.insert(a);
                if (lo..=hi).contains(&a) {
                    m.insert(a);
                }
            }
            for (from, len) in queries {
                let to = from + len;
                for s in [&bits, &set] {
                    prop_assert_eq!(s.contains(from), m.contains(&from));
                    prop_assert_eq!(s.count(from, to), m.range(from..=to).count() as u128);
                    if (lo..=hi).contains(&from) {
                        prop_assert_eq!(s.first_free(from, to), model_first_free(&m, from, to));
                    }
                }
            }
        }
    }

    #[test]
    fn wide_windows_keep_a_set_and_a_full_window_has_no_free_address() {
        assert!(matches!(AddrSet::new(0, u128::MAX), AddrSet::Set { .. }));
        assert!(matches!(
            AddrSet::new(0, MAX_BITS - 1),
            AddrSet::Bits { .. }
        ));
        let mut s = AddrSet::new(10, 200);
        for a in 10..=200 {
            s.insert(a);
        }
        assert_eq!(s.first_free(10, 200), None);
        assert_eq!(s.count(0, 1000), 191);
        assert_eq!(s.first_free(150, 250), Some(201));
    }
}
