//! Reading one input: bounded while reading, only regular files, UTF-8 checked with a position.
//!
//! Every failure is a finding about that one file (the batch goes on), never an abort: a file
//! too large, a byte that is not UTF-8 (reported at its line and column), a permission error.

use guestnet_core::diagnostic::Span;
use guestnet_core::{Code, Diagnostic, Severity};
use std::io::Read;
use std::path::Path;

/// The input text, without a UTF-8 byte order mark (columns start after it, and snippets
/// do not echo it).
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// Reads at most `limit + 1` bytes: enough to know that the input is too large. `size` (a
/// regular file's length from `fstat`) lets a file take one `read`: when that read returns
/// exactly `size` bytes into a larger buffer, it stopped at the end (Linux stops a regular
/// file's read short only there), so the read that would see the end is skipped. Any other
/// count (the file grew or shrank since `fstat`, an interrupted read) goes on reading to the
/// end as before. At fleet size the probe read was one system call in six.
fn read_bounded(r: &mut dyn Read, limit: usize, size: Option<u64>) -> std::io::Result<Vec<u8>> {
    let expect = size
        .and_then(|s| usize::try_from(s).ok())
        .map(|s| s.min(limit));
    let mut buf = Vec::with_capacity(expect.map_or(0, |s| s.saturating_add(1)));
    if let Some(s) = expect.filter(|s| *s < limit) {
        buf.resize(s + 1, 0);
        let n = loop {
            match r.read(&mut buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        buf.truncate(n);
        if n == s {
            return Ok(buf);
        }
    }
    let rest = u64::try_from(limit.saturating_add(1).saturating_sub(buf.len())).unwrap_or(u64::MAX);
    r.take(rest).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Line and column (1-based, columns in characters) of byte `at` of `bytes`, whose first
/// `at` bytes are valid UTF-8.
fn position(bytes: &[u8], at: usize) -> Span {
    let prefix = std::str::from_utf8(bytes.get(..at).unwrap_or_default()).unwrap_or("");
    let line_start = prefix.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = prefix.matches('\n').count() + 1;
    let column = prefix.get(line_start..).unwrap_or("").chars().count() + 1;
    let l = u32::try_from(line).unwrap_or(u32::MAX);
    let c = u32::try_from(column).unwrap_or(u32::MAX);
    Span {
        line: l,
        column: c,
        end_line: l,
        end_column: c.saturating_add(1),
        start: at,
        end: at + 1,
    }
}

fn finding(code: Code, name: &str, message: String, span: Option<Span>) -> Diagnostic {
    let mut d = Diagnostic::new(code, "", message);
    if let Some(s) = span {
        d.set_span(s);
    }
    d.file = Some(name.to_string());
    d
}

/// Turns bytes into text, or a finding at the first byte that is not UTF-8.
pub fn decode(name: &str, bytes: Vec<u8>, limit: usize) -> Result<Source, Diagnostic> {
    if bytes.len() > limit {
        let cut = bytes.get(..limit).unwrap_or(&bytes);
        let valid = match std::str::from_utf8(cut) {
            Ok(_) => cut.len(),
            Err(e) => e.valid_up_to(),
        };
        return Err(finding(
            Code::LimitExceeded,
            name,
            format!("the input is larger than the limit of {limit} bytes"),
            Some(position(&bytes, valid)),
        )
        .with_help("guestnet reads at most the limit plus one byte of any input; split the file"));
    }
    // Without a byte order mark the buffer becomes the text as it is: no second copy.
    let bytes = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(body) => body.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source {
            name: name.to_string(),
            text,
        }),
        Err(e) => {
            let body = e.as_bytes();
            let e = e.utf8_error();
            let at = e.valid_up_to();
            let byte = body.get(at).copied().unwrap_or(0);
            Err(finding(
                Code::YamlSyntax,
                name,
                format!("byte 0x{byte:02x} is not UTF-8: YAML and JSON input must be UTF-8 text"),
                Some(position(body, at)),
            )
            .with_help("re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)"))
        }
    }
}

/// The finding for an input that cannot be read at all.
pub fn unreadable(name: &str, e: &std::io::Error) -> Diagnostic {
    finding(Code::Unreadable, name, format!("cannot read: {e}"), None)
}

/// The informational finding for a path that is not read.
pub fn skipped(name: &str, reason: &str) -> Diagnostic {
    finding(
        Code::SkippedInput,
        name,
        format!("not read: {reason}"),
        None,
    )
    .with_severity(Severity::Info)
}

/// Opens a file for reading without blocking on a FIFO and (for walked files) without
/// following a link, then refuses anything but a regular file.
fn open_regular(
    path: &Path,
    nofollow: bool,
) -> std::io::Result<Result<(std::fs::File, u64), String>> {
    use rustix::fs::{FileType, Mode, OFlags};
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if nofollow {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(std::io::Error::from)?;
    let st = rustix::fs::fstat(&fd).map_err(std::io::Error::from)?;
    let ft = FileType::from_raw_mode(st.st_mode);
    if ft != FileType::RegularFile {
        return Ok(Err(format!("is a {ft:?}, not a regular file")));
    }
    let size = u64::try_from(st.st_size).unwrap_or(0);
    Ok(Ok((std::fs::File::from(fd), size)))
}

/// What reading an input gave.
#[derive(Debug)]
pub enum ReadOutcome {
    Text(Source),
    /// An error finding about the input (too large, not UTF-8, unreadable).
    Bad(Diagnostic),
    /// Not a regular file after all (replaced since the walk): an informational finding.
    Skip(Diagnostic),
}

/// Reads stdin or a file, bounded by `limit` bytes.
pub fn read_input(input: &crate::walk::Input, limit: usize) -> ReadOutcome {
    use crate::walk::Input;
    let name = input.name();
    match input {
        Input::Stdin => match read_bounded(&mut std::io::stdin().lock(), limit, None) {
            Ok(b) => match decode(&name, b, limit) {
                Ok(s) => ReadOutcome::Text(s),
                Err(d) => ReadOutcome::Bad(d),
            },
            Err(e) => ReadOutcome::Bad(unreadable(&name, &e)),
        },
        Input::Skipped { reason, .. } => ReadOutcome::Skip(skipped(&name, reason)),
        Input::File { path, walked } => match open_regular(path, *walked) {
            Err(e) => ReadOutcome::Bad(unreadable(&name, &e)),
            Ok(Err(why)) => ReadOutcome::Skip(skipped(&name, &why)),
            Ok(Ok((mut f, size))) => match read_bounded(&mut f, limit, Some(size)) {
                Ok(b) => match decode(&name, b, limit) {
                    Ok(s) => ReadOutcome::Text(s),
                    Err(d) => ReadOutcome::Bad(d),
                },
                Err(e) => ReadOutcome::Bad(unreadable(&name, &e)),
            },
        },
    }
}

/// Reads a file the user named for an option (`--crd`, `--ipam-state`), bounded.
pub fn read_named(path: &str, limit: usize) -> Result<Source, String> {
    let input = if path == "-" {
        crate::walk::Input::Stdin
    } else {
        crate::walk::Input::File {
            path: path.into(),
            walked: false,
        }
    };
    match read_input(&input, limit) {
        ReadOutcome::Text(s) => Ok(s),
        ReadOutcome::Bad(d) | ReadOutcome::Skip(d) => Err(match d.line {
            Some(l) => format!("{path}:{l}:{}: {}", d.column.unwrap_or(1), d.message),
            None => format!("{path}: {}", d.message),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes a read and counts the reads.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
        reads: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.reads += 1;
            let n = self.step.min(out.len()).min(self.data.len());
            let (head, tail) = self.data.split_at(n);
            out[..n].copy_from_slice(head);
            self.data = tail;
            Ok(n)
        }
    }

    fn bounded(data: &[u8], step: usize, limit: usize, size: Option<u64>) -> (Vec<u8>, usize) {
        let mut r = Trickle {
            data,
            step,
            reads: 0,
        };
        let got = read_bounded(&mut r, limit, size).unwrap();
        (got, r.reads)
    }

    #[test]
    fn a_file_of_the_stat_size_takes_one_read() {
        assert_eq!(
            bounded(b"a: 1\n", 64, 100, Some(5)),
            (b"a: 1\n".to_vec(), 1)
        );
        assert_eq!(bounded(b"", 64, 100, Some(0)), (Vec::new(), 1));
    }

    #[test]
    fn other_counts_read_to_the_end() {
        let data = b"0123456789";
        // Short reads (a signal, a network file system), a file that grew or shrank since
        // fstat, no size at all: always the whole text.
        for (step, size) in [(3, Some(10)), (64, Some(4)), (64, Some(20)), (64, None)] {
            assert_eq!(
                bounded(data, step, 100, size).0,
                data.to_vec(),
                "{step} {size:?}"
            );
        }
        // The limit holds however the file changed: limit + 1 bytes say "too large".
        for size in [Some(4), Some(10), Some(20), None] {
            assert_eq!(bounded(data, 3, 6, size).0, b"0123456".to_vec(), "{size:?}");
        }
    }

    #[test]
    fn not_utf8_has_a_position() {
        let d = decode("f.yaml", b"a: 1\nbb: \xc3\x28\n".to_vec(), 100).unwrap_err();
        assert_eq!(
            (d.code, d.line, d.column),
            (Code::YamlSyntax, Some(2), Some(5))
        );
        assert!(d.message.contains("0xc3"), "{}", d.message);
    }

    #[test]
    fn bom_is_stripped_and_size_is_bounded() {
        let s = decode("f", b"\xef\xbb\xbfa: 1\n".to_vec(), 100).unwrap();
        assert_eq!(s.text, "a: 1\n");
        let d = decode("f", b"a: 1\nb: 2\n".to_vec(), 6).unwrap_err();
        assert_eq!(
            (d.code, d.line, d.column),
            (Code::LimitExceeded, Some(2), Some(2))
        );
        let mut r: &[u8] = &[b'x'; 100];
        assert_eq!(read_bounded(&mut r, 10, None).unwrap().len(), 11);
        let mut r: &[u8] = &[b'x'; 100];
        assert_eq!(read_bounded(&mut r, 10, Some(100)).unwrap().len(), 11);
    }
}
