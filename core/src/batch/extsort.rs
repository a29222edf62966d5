//! Records sorted by a byte key, in sorted runs on the run store beyond a buffer, read back
//! merged: the planner's allocation requests, which are served in the order of their key
//! (`namespace/name/interface`). A fleet's requests (55 bytes each with their key, 9 MB at
//! 100,000 VMs) then cost the planner [`BUFFER`] bytes while they are collected, and one
//! [`CHUNK`] per run while they are read back.
//!
//! Records are ordered by key, then by the order they were pushed (their number, which the
//! reader is told): exactly the order of a stable sort in memory, however the records fell
//! into runs.

use super::spill::RunStore;

/// Bytes of records collected before they are sorted and written out as a run.
const BUFFER: usize = 1 << 20;
/// Bytes read from a run at a time while merging.
const CHUNK: usize = 16 << 10;

#[derive(Debug, Default)]
pub(super) struct ExternalSort {
    /// Records not yet in a run: `[key length u32][payload length u32][number u32][key]
    /// [payload]`.
    buf: Vec<u8>,
    /// Where each record of `buf` starts.
    starts: Vec<u32>,
    /// Written runs: position and length in bytes.
    runs: Vec<(u64, u64)>,
    count: usize,
    write_failed: bool,
    /// [`BUFFER`] unless a test sets a smaller one (0 means [`BUFFER`]).
    limit: usize,
}

/// What reads the records: each one's number, key and payload.
pub(super) type Visit<'a> = dyn FnMut(u32, &[u8], &[u8]) + 'a;

/// One record at the start of `bytes`.
#[derive(Debug, Clone, Copy)]
struct Rec<'a> {
    key: &'a [u8],
    number: u32,
    payload: &'a [u8],
    len: usize,
}

impl<'a> Rec<'a> {
    fn order(&self) -> (&'a [u8], u32) {
        (self.key, self.number)
    }
}

fn split(bytes: &[u8]) -> Option<Rec<'_>> {
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let k = u32_at(0)? as usize;
    let p = u32_at(4)? as usize;
    Some(Rec {
        key: bytes.get(12..12 + k)?,
        number: u32_at(8)?,
        payload: bytes.get(12 + k..12 + k + p)?,
        len: 12 + k + p,
    })
}

impl ExternalSort {
    pub(super) fn len(&self) -> usize {
        self.count
    }

    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(super) fn push(&mut self, key: &[u8], payload: &[u8], store: Option<&mut dyn RunStore>) {
        self.starts
            .push(u32::try_from(self.buf.len()).unwrap_or(u32::MAX));
        for part in [key, payload] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            self.buf.extend_from_slice(&len.to_le_bytes());
        }
        let number = u32::try_from(self.count).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&number.to_le_bytes());
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(payload);
        self.count += 1;
        let limit = if self.limit == 0 { BUFFER } else { self.limit };
        if self.buf.len() >= limit
            && !self.write_failed
            && let Some(s) = store
        {
            self.write_run(s);
        }
    }

    /// The buffer's records in key order.
    fn sorted_buffer(&self) -> Vec<u8> {
        let record = |at: &u32| self.buf.get(*at as usize..).and_then(split);
        let mut order = self.starts.clone();
        order.sort_unstable_by(|a, b| {
            let ka = record(a).map(|r| r.order());
            let kb = record(b).map(|r| r.order());
            ka.cmp(&kb)
        });
        let mut out = Vec::with_capacity(self.buf.len());
        for at in &order {
            if let Some(r) = record(at)
                && let Some(r) = self.buf.get(*at as usize..*at as usize + r.len)
            {
                out.extend_from_slice(r);
            }
        }
        out
    }

    fn write_run(&mut self, store: &mut dyn RunStore) {
        let run = self.sorted_buffer();
        match store.append(&run) {
            Ok(at) => {
                self.runs
                    .push((at, u64::try_from(run.len()).unwrap_or(u64::MAX)));
                self.buf.clear();
                self.starts.clear();
            }
            // The records stay in the buffer, which grows from now on.
            Err(_) => self.write_failed = true,
        }
    }

    /// Visits every record in order, with its number, key and payload. Fails (having
    /// visited a prefix) when a run cannot be read back.
    pub(super) fn each(
        &self,
        store: Option<&dyn RunStore>,
        f: &mut Visit<'_>,
    ) -> Result<(), String> {
        let tail = self.sorted_buffer();
        let mut sources: Vec<Source<'_>> = Vec::with_capacity(self.runs.len() + 1);
        for (at, len) in &self.runs {
            let Some(s) = store else {
                return Err("the allocation requests were stored, but the store is gone".into());
            };
            sources.push(Source {
                store: Some(s),
                next: *at,
                end: at + len,
                buf: Vec::new(),
                pos: 0,
            });
        }
        sources.push(Source {
            store: None,
            next: 0,
            end: 0,
            buf: tail,
            pos: 0,
        });
        for s in &mut sources {
            s.fill()?;
        }
        // The least head among a handful of runs (a run is a megabyte of records): a scan
        // is cheaper than a heap of borrowed keys.
        loop {
            let mut best: Option<(usize, (&[u8], u32))> = None;
            for (i, s) in sources.iter().enumerate() {
                if let Some(r) = s.head()
                    && best.is_none_or(|(_, b)| r.order() < b)
                {
                    best = Some((i, r.order()));
                }
            }
            let Some((i, _)) = best else { return Ok(()) };
            let Some(s) = sources.get_mut(i) else {
                return Ok(());
            };
            if let Some(r) = s.head() {
                f(r.number, r.key, r.payload);
                s.pos += r.len;
            }
            s.fill()?;
        }
    }
}

/// A run being read back, a chunk at a time (or the sorted buffer, all at once).
struct Source<'a> {
    store: Option<&'a dyn RunStore>,
    next: u64,
    end: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Source<'_> {
    fn head(&self) -> Option<Rec<'_>> {
        self.buf.get(self.pos..).and_then(split)
    }

    /// Makes sure a whole record is at `pos` unless the run is done.
    fn fill(&mut self) -> Result<(), String> {
        let Some(store) = self.store else {
            return Ok(());
        };
        while self.head().is_none() && self.next < self.end {
            let want = usize::try_from((self.end - self.next).min(CHUNK as u64)).unwrap_or(CHUNK);
            let mut chunk = Vec::new();
            store.read(self.next, want, &mut chunk)?;
            self.next += want as u64;
            self.buf.drain(..self.pos.min(self.buf.len()));
            self.pos = 0;
            self.buf.extend_from_slice(&chunk);
        }
        if self.head().is_none() && self.pos < self.buf.len() {
            return Err("an allocation run on the store ends inside a record".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::spill::MemStore;
    use super::*;
    use proptest::prelude::*;

    type Got = Vec<(u32, Vec<u8>, Vec<u8>)>;

    /// A stable sort by key in memory: what the merge must give.
    fn sorted_by_memory(records: &[(Vec<u8>, Vec<u8>)]) -> Got {
        let mut v: Got = records
            .iter()
            .enumerate()
            .map(|(i, (k, p))| (u32::try_from(i).unwrap(), k.clone(), p.clone()))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v
    }

    fn collect(s: &ExternalSort, store: &MemStore) -> Got {
        let mut out = Vec::new();
        s.each(Some(store), &mut |n, k, p| {
            out.push((n, k.to_vec(), p.to_vec()))
        })
        .unwrap();
        out
    }

    proptest! {
        /// Whatever bytes the store hands back for a run, reading it visits what it can and
        /// then stops with an error or ends: it never panics.
        #[test]
        fn damaged_runs_never_panic(garbage in proptest::collection::vec(any::<u8>(), 0..4000)) {
            let mut store = MemStore::default();
            let mut s = ExternalSort { limit: 64, ..ExternalSort::default() };
            for i in 0..40u32 {
                s.push(&i.to_be_bytes(), b"payload", Some(&mut store));
            }
            prop_assert!(!s.runs.is_empty());
            let damaged = MemStore { bytes: garbage, ..MemStore::default() };
            let mut seen = 0usize;
            let _ = s.each(Some(&damaged), &mut |_, _, _| seen += 1);
            prop_assert!(seen <= 40 + damaged.bytes.len());
            let _ = split(&damaged.bytes);
        }

        /// Whatever the runs, the merge gives exactly a stable sort in memory: equal keys
        /// (few distinct ones here) and keys that are prefixes of others in push order.
        #[test]
        fn the_merge_is_a_stable_sort(
            records in proptest::collection::vec(
                (proptest::collection::vec(0u8..3, 0..4), proptest::collection::vec(any::<u8>(), 0..40)),
                0..1500),
            fail_after in proptest::option::of(0usize..40),
            limit in 1usize..5000,
        ) {
            let mut store = MemStore { fail_after, ..MemStore::default() };
            let mut s = ExternalSort { limit, ..ExternalSort::default() };
            for (k, p) in &records {
                s.push(k, p, Some(&mut store));
            }
            prop_assert_eq!(s.len(), records.len());
            let want = sorted_by_memory(&records);
            prop_assert_eq!(&collect(&s, &store), &want);
            // A second reading gives the same (the planner reads the requests three times).
            prop_assert_eq!(&collect(&s, &store), &want);
        }
    }

    #[test]
    fn runs_are_written_and_merged_across_chunk_edges() {
        let mut store = MemStore::default();
        let mut s = ExternalSort::default();
        // 100,000 records of ~50 bytes: four runs and a tail; records straddle chunks.
        let records: Vec<(Vec<u8>, Vec<u8>)> = (0..100_000u32)
            .map(|i| {
                let k = format!(
                    "ns-{}/vm-{}/eth{}",
                    i % 97,
                    i.wrapping_mul(2_654_435_761) % 5000,
                    i % 3
                );
                (k.into_bytes(), vec![u8::try_from(i % 251).unwrap(); 17])
            })
            .collect();
        for (k, p) in &records {
            s.push(k, p, Some(&mut store));
        }
        assert!(s.runs.len() >= 3, "{}", s.runs.len());
        assert!(s.buf.len() < BUFFER);
        assert_eq!(collect(&s, &store), sorted_by_memory(&records));
        // A store that cannot give the runs back fails the reading, not silently.
        let mut out = 0;
        let err = s.each(None, &mut |_, _, _| out += 1).unwrap_err();
        assert!(err.contains("store"), "{err}");
        let short = MemStore {
            bytes: store.bytes[..store.bytes.len() / 2].to_vec(),
            ..MemStore::default()
        };
        assert!(s.each(Some(&short), &mut |_, _, _| ()).is_err());
    }
}
