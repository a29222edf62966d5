//! The planner's run store: its key index, VM texts and sorted request runs beyond their
//! buffers, in an unnamed temporary file (core's `batch::spill`, `recordlog` and `extsort`
//! explain what goes there).
//!
//! The file is created on the first write, so a batch of fewer than ~6,000 VMs never
//! touches the temporary directory, and it has no name (`O_TMPFILE`), so nothing is left
//! behind whatever happens to the process. When it cannot be created or written (a full or
//! read-only temporary directory), the planner keeps the rest of its tables in memory.

use guestnet_core::batch::spill::RunStore;
use std::fs::File;
use std::os::unix::fs::FileExt;

#[derive(Debug, Default)]
pub struct TempRuns {
    file: Option<File>,
    len: u64,
}

impl RunStore for TempRuns {
    fn append(&mut self, bytes: &[u8]) -> Result<u64, String> {
        let file = match &mut self.file {
            Some(f) => f,
            None => self.file.insert(tempfile::tempfile().map_err(|e| {
                format!("cannot create a temporary file for the batch's tables: {e}")
            })?),
        };
        file.write_all_at(bytes, self.len)
            .map_err(|e| format!("cannot write the batch's tables: {e}"))?;
        let at = self.len;
        self.len += u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        Ok(at)
    }

    fn read(&self, at: u64, len: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(file) = &self.file else {
            return Err("the batch's tables were never written".into());
        };
        out.clear();
        out.resize(len, 0);
        file.read_exact_at(out, at)
            .map_err(|e| format!("cannot read the batch's tables back: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_read_back_where_they_were_written() {
        let mut s = TempRuns::default();
        let a = s.append(b"first run").unwrap();
        let b = s.append(b"second").unwrap();
        assert_eq!((a, b), (0, 9));
        let mut out = Vec::new();
        s.read(b, 6, &mut out).unwrap();
        assert_eq!(out, b"second");
        s.read(a, 5, &mut out).unwrap();
        assert_eq!(out, b"first");
        assert!(s.read(b, 7, &mut out).is_err(), "past the end");
        assert!(TempRuns::default().read(0, 1, &mut out).is_err());
    }
}
