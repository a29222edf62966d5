//! Records of any length, appended in order and read back by number, in blocks on the run
//! store: the planner's per-VM records (file, document, identity, FQDN). They are written
//! once per VM and read only for the VMs that findings name, so a fleet's records need not
//! stay in memory (7.5 MB of records and strings at 100,000 VMs).
//!
//! A block of [`BLOCK`] bytes costs 16 bytes of directory, about 100 VMs' worth; reading a
//! record back reads its block, 4 KB, from the operating system's cache of the file. The
//! first [`KEEP`] bytes of blocks stay in memory, so a batch of a few thousand VMs never
//! touches the store (the CLI's is a temporary file, made on the first write). Without a
//! store, or once the store failed, blocks stay in memory: the answers are the same.

use super::spill::RunStore;
use std::sync::OnceLock;

/// Bytes per block (a record longer than that gets a block of its own).
const BLOCK: usize = 4096;
/// Bytes of blocks kept in memory before blocks go to the store (~6,000 VMs' records).
const KEEP: usize = 256 << 10;

#[derive(Debug)]
enum Place {
    Stored { at: u64, len: u32 },
    Kept(Box<[u8]>),
}

#[derive(Debug)]
struct Block {
    /// The number of its first record.
    first: u32,
    place: Place,
}

#[derive(Debug, Default)]
pub(super) struct RecordLog {
    /// Records not yet in a block, each as a 4-byte length and its bytes.
    open: Vec<u8>,
    open_first: u32,
    count: u32,
    blocks: Vec<Block>,
    /// Bytes of the blocks kept in memory.
    kept: usize,
    /// [`KEEP`] unless a test sets another (0 means [`KEEP`]; `usize::MAX` never keeps).
    keep: usize,
    write_failed: bool,
    /// The first failure to read a block back: the front end must fail the batch.
    pub(super) error: OnceLock<String>,
}

impl RecordLog {
    #[cfg(test)]
    pub(super) fn len(&self) -> u32 {
        self.count
    }

    /// Appends a record; its number is the previous [`RecordLog::len`].
    pub(super) fn push(&mut self, record: &[u8], store: Option<&mut dyn RunStore>) {
        if !self.open.is_empty() && self.open.len() + 4 + record.len() > BLOCK {
            self.close(store);
        }
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        self.open.extend_from_slice(&len.to_le_bytes());
        self.open.extend_from_slice(record);
        self.count = self.count.saturating_add(1);
    }

    fn keep_limit(&self) -> usize {
        match self.keep {
            0 => KEEP,
            usize::MAX => 0,
            n => n,
        }
    }

    fn close(&mut self, store: Option<&mut dyn RunStore>) {
        let bytes = std::mem::take(&mut self.open);
        let place = match store {
            Some(s) if !self.write_failed && self.kept >= self.keep_limit() => {
                match s.append(&bytes) {
                    Ok(at) => Place::Stored {
                        at,
                        len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                    },
                    Err(_) => {
                        // The rest stays in memory: a full disk costs memory, not the batch.
                        self.write_failed = true;
                        self.kept += bytes.len();
                        Place::Kept(bytes.into())
                    }
                }
            }
            _ => {
                self.kept += bytes.len();
                Place::Kept(bytes.into())
            }
        };
        self.blocks.push(Block {
            first: self.open_first,
            place,
        });
        self.open_first = self.count;
    }

    /// Calls `f` with record `n`; `None` when there is no such record or its block cannot be
    /// read back (then [`RecordLog::error`] says why).
    pub(super) fn get<R>(
        &self,
        n: u32,
        store: Option<&dyn RunStore>,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Option<R> {
        if n >= self.count {
            return None;
        }
        let mut read = Vec::new();
        let (first, bytes): (u32, &[u8]) = if n >= self.open_first {
            (self.open_first, &self.open)
        } else {
            let i = self
                .blocks
                .partition_point(|b| b.first <= n)
                .checked_sub(1)?;
            let b = self.blocks.get(i)?;
            (b.first, self.bytes(&b.place, store, &mut read)?)
        };
        let mut rest = bytes;
        for _ in first..n {
            let (_, next) = split_record(rest)?;
            rest = next;
        }
        let (record, _) = split_record(rest)?;
        Some(f(record))
    }
}

impl RecordLog {
    /// A block's bytes: its own, or read from the store into `read`; `None` (and
    /// [`RecordLog::error`] set) when they cannot be read back.
    fn bytes<'a>(
        &'a self,
        place: &'a Place,
        store: Option<&dyn RunStore>,
        read: &'a mut Vec<u8>,
    ) -> Option<&'a [u8]> {
        match place {
            Place::Kept(k) => Some(k),
            Place::Stored { at, len } => {
                let Some(s) = store else {
                    let _ = self
                        .error
                        .set("the planner's records were stored, but the store is gone".into());
                    return None;
                };
                if let Err(e) = s.read(*at, *len as usize, read) {
                    let _ = self.error.set(e);
                    return None;
                }
                Some(read)
            }
        }
    }

    /// Calls `f` with every record in order, a block at a time; `None` when a block cannot
    /// be read back (then [`RecordLog::error`] says why).
    pub(super) fn each(
        &self,
        store: Option<&dyn RunStore>,
        f: &mut dyn FnMut(&[u8]),
    ) -> Option<()> {
        let mut read = Vec::new();
        for b in &self.blocks {
            each_record(self.bytes(&b.place, store, &mut read)?, f);
        }
        each_record(&self.open, f);
        Some(())
    }
}

fn each_record(mut bytes: &[u8], f: &mut dyn FnMut(&[u8])) {
    while let Some((r, rest)) = split_record(bytes) {
        f(r);
        bytes = rest;
    }
}

/// The first record of `bytes` and what follows it.
fn split_record(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let record = bytes.get(4..4 + len)?;
    Some((record, bytes.get(4 + len..)?))
}

#[cfg(test)]
mod tests {
    use super::super::spill::MemStore;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever bytes the store hands back for a block, reading records gives some
        /// bytes or nothing: it never panics.
        #[test]
        fn damaged_blocks_never_panic(garbage in proptest::collection::vec(any::<u8>(), 0..9000), n in 0u32..200) {
            let mut store = MemStore::default();
            let mut log = RecordLog { keep: usize::MAX, ..RecordLog::default() };
            for i in 0..200u32 {
                log.push(&i.to_le_bytes().repeat(20), Some(&mut store));
            }
            let damaged = MemStore { bytes: garbage, ..MemStore::default() };
            let _ = log.get(n, Some(&damaged), <[u8]>::to_vec);
            let _ = log.each(Some(&damaged), &mut |_| ());
        }

        /// Every record comes back by its number, whether its block is stored, kept after
        /// the store failed, or still open; numbers past the end give nothing.
        #[test]
        fn records_come_back_by_number(
            records in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..400),
            fail_after in proptest::option::of(0usize..20),
            stored in any::<bool>(),
            keep in proptest::prop_oneof![Just(usize::MAX), 1usize..20_000],
        ) {
            let mut store = MemStore { fail_after, ..MemStore::default() };
            let mut log = RecordLog { keep, ..RecordLog::default() };
            for r in &records {
                let s: Option<&mut dyn RunStore> = if stored { Some(&mut store) } else { None };
                log.push(r, s);
            }
            prop_assert_eq!(log.len() as usize, records.len());
            for (n, r) in records.iter().enumerate() {
                let n = u32::try_from(n).unwrap();
                let got = log.get(n, Some(&store), <[u8]>::to_vec);
                prop_assert_eq!(got.as_ref(), Some(r));
            }
            prop_assert_eq!(log.get(log.len(), Some(&store), <[u8]>::to_vec), None);
            let mut all = Vec::new();
            prop_assert!(log.each(Some(&store), &mut |r| all.push(r.to_vec())).is_some());
            prop_assert_eq!(&all, &records);
            prop_assert!(log.error.get().is_none());
        }
    }

    #[test]
    fn blocks_go_to_the_store_and_a_failed_read_is_reported() {
        let mut store = MemStore::default();
        let mut log = RecordLog::default();
        let record = [7u8; 100];
        for _ in 0..2000 {
            log.push(&record, Some(&mut store));
        }
        assert!(
            store.bytes.is_empty(),
            "the first {KEEP} bytes stay in memory"
        );
        for _ in 0..10_000 {
            log.push(&record, Some(&mut store));
        }
        // 12,000 records of 104 bytes: all but the kept and the open block are on the store.
        let total = 12_000 * 104;
        assert!(
            store.bytes.len() > total - KEEP - 2 * BLOCK,
            "{}",
            store.bytes.len()
        );
        assert!(log.kept < KEEP + BLOCK);
        assert!(log.open.len() <= BLOCK);
        assert_eq!(log.get(3, None, |r| r.len()), Some(100), "kept in memory");
        assert_eq!(log.get(11_000, Some(&store), |r| r.len()), Some(100));
        assert_eq!(log.get(11_000, None, |r| r.len()), None);
        assert!(log.error.get().is_some());
    }
}
