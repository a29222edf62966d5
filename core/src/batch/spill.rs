//! The planner's key index on disk, for batches too large to keep it in memory (feature
//! `spill`, which the CLI turns on; the browser checks one text and never needs it).
//!
//! The index is the largest thing a batch keeps: about nine keys of 44 bytes per VM, 46 MB
//! for 100,000 files. It is only read once, at the end, to find keys held more than once.
//! So the planner keeps a bounded buffer and, when it fills, writes the entries out split
//! into [`PARTS`] partitions by their key's hash. Equal keys have equal hashes, so every
//! duplicate group lies within one partition, and the end reads one partition at a time.
//!
//! Core does no I/O: the front end hands the planner a [`RunStore`] (the CLI's is an unnamed
//! temporary file), which also takes the planner's other per-VM tables (`recordlog`: VM
//! identities and FQDNs; `extsort`: allocation and derived-MAC requests in sorted runs).
//! Entries are written in the order they were added and read back in that order, so the
//! groups and their order are exactly those of the in-memory index.

use super::{Entry, Field, Kind, Loc, Packed};
use std::fmt;

/// Append-only storage for runs of bytes, read back by position.
pub trait RunStore: Send + fmt::Debug {
    /// Appends `bytes`; returns the position of their first byte.
    fn append(&mut self, bytes: &[u8]) -> Result<u64, String>;
    /// Reads `len` bytes from `at` into `out` (replacing its contents). Shared: the
    /// planner reads its records back while it answers questions about them.
    fn read(&self, at: u64, len: usize, out: &mut Vec<u8>) -> Result<(), String>;
}

/// Partitions of the index on disk; the end holds one partition (a 64th) in memory.
pub const PARTS: usize = 64;

/// Entries the planner keeps in memory before it writes them out (1.4 MB, and as much again
/// while they are written).
pub const BUFFER: usize = 1 << 15;

const ENTRY_BYTES: usize = 42;

/// The partition of an entry: the top bits of the same hash the grouping sorts by, so the
/// partitions in order, each sorted, are the whole index sorted.
pub(super) fn part_of(e: &Entry) -> usize {
    (e.key.hash32() >> (32 - PARTS.trailing_zeros())) as usize
}

/// The written runs (the store is the planner's, which keeps other tables in it too).
#[derive(Default)]
pub(super) struct Spill {
    /// Per partition, the runs written: position and number of entries.
    runs: Vec<Vec<(u64, u32)>>,
    /// The first failure to read the index back: the planner reports it and the batch fails.
    pub error: Option<String>,
    /// Why writing stopped, if it did: the rest of the index stays in memory.
    pub write_error: Option<String>,
    bufs: Vec<Vec<u8>>,
}

impl fmt::Debug for Spill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spill")
            .field("runs", &self.runs.iter().map(Vec::len).sum::<usize>())
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl Spill {
    /// Whether anything was written (otherwise the index is wholly in memory).
    pub(super) fn is_used(&self) -> bool {
        self.runs.iter().any(|r| !r.is_empty())
    }

    /// Writes `entries` out and empties it. When the store fails, the entries stay in memory
    /// (the batch goes on with a larger footprint) and no more writes are tried.
    pub(super) fn write(&mut self, store: &mut dyn RunStore, entries: &mut Vec<Entry>) {
        if self.write_error.is_some() {
            return;
        }
        if self.bufs.len() != PARTS {
            self.bufs = vec![Vec::new(); PARTS];
            self.runs = vec![Vec::new(); PARTS];
        }
        for b in &mut self.bufs {
            b.clear();
        }
        for e in entries.iter() {
            if let Some(b) = self.bufs.get_mut(part_of(e)) {
                encode(e, b);
            }
        }
        let mut written: Vec<(usize, u64, u32)> = Vec::new();
        for (p, b) in self.bufs.iter().enumerate() {
            if b.is_empty() {
                continue;
            }
            match store.append(b) {
                Ok(at) => {
                    let n = u32::try_from(b.len() / ENTRY_BYTES).unwrap_or(u32::MAX);
                    written.push((p, at, n));
                }
                Err(e) => {
                    // Nothing of this buffer counts as written: it all stays in memory.
                    self.write_error = Some(e);
                    return;
                }
            }
        }
        for (p, at, n) in written {
            if let Some(r) = self.runs.get_mut(p) {
                r.push((at, n));
            }
        }
        entries.clear();
    }

    /// The entries of partition `p` that were written, in the order they were added.
    pub(super) fn read(&mut self, store: &dyn RunStore, p: usize, out: &mut Vec<Entry>) {
        out.clear();
        let mut bytes = Vec::new();
        let runs = self.runs.get(p).cloned().unwrap_or_default();
        for (at, n) in runs {
            if let Err(e) = store.read(at, n as usize * ENTRY_BYTES, &mut bytes) {
                self.error.get_or_insert(e);
                return;
            }
            out.extend(bytes.chunks_exact(ENTRY_BYTES).filter_map(decode));
        }
    }
}

fn encode(e: &Entry, out: &mut Vec<u8>) {
    let (tag, a, b) = match e.loc.field {
        Field::Name => (0, 0, 0),
        Field::HostName(set) => (1, u8::from(set), 0),
        Field::Address { iface, index } => (2, iface, index),
        Field::Mac { iface } => (3, iface, 0),
        Field::Interface { iface } => (4, iface, 0),
    };
    out.extend_from_slice(&e.key.scope.to_le_bytes());
    out.push(e.key.kind as u8);
    out.extend_from_slice(&e.key.value);
    out.extend_from_slice(&e.loc.vm.to_le_bytes());
    out.extend_from_slice(&[tag, a, b]);
    for v in [e.loc.line, e.loc.column, e.loc.end_line, e.loc.end_column] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn decode(b: &[u8]) -> Option<Entry> {
    let u16_at = |i: usize| Some(u16::from_le_bytes(b.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(b.get(i..i + 4)?.try_into().ok()?));
    let kind = match b.get(2)? {
        0 => Kind::Name,
        1 => Kind::Fqdn,
        2 => Kind::Ip4,
        3 => Kind::Ip6,
        4 => Kind::Mac,
        _ => return None,
    };
    let value: [u8; 16] = b.get(3..19)?.try_into().ok()?;
    let (a, x) = (*b.get(24)?, *b.get(25)?);
    let field = match b.get(23)? {
        0 => Field::Name,
        1 => Field::HostName(a != 0),
        2 => Field::Address { iface: a, index: x },
        3 => Field::Mac { iface: a },
        4 => Field::Interface { iface: a },
        _ => return None,
    };
    Some(Entry {
        key: Packed {
            scope: u16_at(0)?,
            kind,
            value,
        },
        loc: Loc {
            vm: u32_at(19)?,
            field,
            line: u32_at(26)?,
            column: u32_at(30)?,
            end_line: u32_at(34)?,
            end_column: u32_at(38)?,
        },
    })
}

/// A store in memory, for tests: the same code path as a file without the file.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct MemStore {
    pub bytes: Vec<u8>,
    /// Fail every append after this many.
    pub fail_after: Option<usize>,
    pub appends: usize,
}

#[cfg(test)]
impl RunStore for MemStore {
    fn append(&mut self, bytes: &[u8]) -> Result<u64, String> {
        if self.fail_after.is_some_and(|n| self.appends >= n) {
            return Err("no space left on device".into());
        }
        self.appends += 1;
        let at = self.bytes.len() as u64;
        self.bytes.extend_from_slice(bytes);
        Ok(at)
    }

    fn read(&self, at: u64, len: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let at = usize::try_from(at).map_err(|e| e.to_string())?;
        let got = self.bytes.get(at..at + len).ok_or("short read")?;
        out.clear();
        out.extend_from_slice(got);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_bytes() {
        let fields = [
            Field::Name,
            Field::HostName(true),
            Field::HostName(false),
            Field::Address { iface: 3, index: 9 },
            Field::Mac { iface: 255 },
            Field::Interface { iface: 7 },
        ];
        let kinds = [Kind::Name, Kind::Fqdn, Kind::Ip4, Kind::Ip6, Kind::Mac];
        for (i, (f, k)) in fields.iter().zip(kinds.iter().cycle()).enumerate() {
            let n = u32::try_from(i).unwrap();
            let e = Entry {
                key: Packed {
                    scope: 0xbeef,
                    kind: *k,
                    value: [u8::try_from(i).unwrap(); 16],
                },
                loc: Loc {
                    vm: 0x0102_0304 + n,
                    field: *f,
                    line: 10 + n,
                    column: u32::MAX,
                    end_line: 11,
                    end_column: 12,
                },
            };
            let mut b = Vec::new();
            encode(&e, &mut b);
            assert_eq!(b.len(), ENTRY_BYTES);
            let d = decode(&b).unwrap();
            assert_eq!((d.key, d.loc), (e.key, e.loc));
        }
        assert!(decode(&[9; ENTRY_BYTES]).is_none());
        assert!(decode(&[0; 10]).is_none());
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn field(tag: u8, a: u8, b: u8) -> Field {
            match tag % 5 {
                0 => Field::Name,
                1 => Field::HostName(a % 2 == 1),
                2 => Field::Address { iface: a, index: b },
                3 => Field::Mac { iface: a },
                _ => Field::Interface { iface: a },
            }
        }

        fn kind(k: u8) -> Kind {
            [Kind::Name, Kind::Fqdn, Kind::Ip4, Kind::Ip6, Kind::Mac][usize::from(k % 5)]
        }

        proptest! {
            #[test]
            fn every_entry_round_trips(
                scope: u16, k: u8, value: [u8; 16], vm: u32,
                fab: (u8, u8, u8), pos: [u32; 4],
            ) {
                let (tag, a, b) = fab;
                let e = Entry {
                    key: Packed { scope, kind: kind(k), value },
                    loc: Loc {
                        vm,
                        field: field(tag, a, b),
                        line: pos[0],
                        column: pos[1],
                        end_line: pos[2],
                        end_column: pos[3],
                    },
                };
                let mut bytes = Vec::new();
                encode(&e, &mut bytes);
                prop_assert_eq!(bytes.len(), ENTRY_BYTES);
                let d = decode(&bytes).unwrap();
                prop_assert_eq!((d.key, d.loc), (e.key, e.loc));
            }

            /// Whatever the store hands back, reading never panics.
            #[test]
            fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
                for chunk in bytes.chunks(ENTRY_BYTES) {
                    let _ = decode(chunk);
                }
            }
        }
    }
}
