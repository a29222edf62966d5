//! Encodings guest transports use: gzip+base64 for guestinfo (cloud-init's VMware datasource
//! accepts `gzip+base64`, `gz+b64`, `base64`, `b64`, anything else is plain text) and VMX
//! value escaping (open-vm-tools `DictLL_MarshalLine`).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::read::GzDecoder;
use std::io::Read;

thread_local! {
    /// One deflate state per thread: a fresh one allocates and zeroes ~300 KB of tables,
    /// which was most of the cost of the vmx target in a batch.
    static DEFLATE: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(Compression::default(), false));
}

/// gzip (mtime 0, OS 255, like Go's `gzip.NewWriter`) then standard base64, as vm-operator's
/// `EncodeGzipBase64`. The bytes differ from Go's compressor; the decoded payload is equal.
pub fn gzip_base64(data: &[u8]) -> String {
    STANDARD.encode(gzip(data))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use flate2::{FlushCompress, Status};
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    DEFLATE.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        // Each round either consumes input or fills the spare capacity we then grow, so the
        // loop ends; the bound only guards against a compressor bug.
        for _ in 0..(data.len() / 1024 + 64) {
            let consumed = usize::try_from(c.total_in())
                .unwrap_or(data.len())
                .min(data.len());
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(256));
            }
            match c.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(u32::try_from(data.len() & 0xffff_ffff).unwrap_or(0)).to_le_bytes());
    out
}

/// The payload of a guestinfo value under its `.encoding`, as cloud-init's `decode()` reads it.
pub fn decode_guestinfo(value: &str, encoding: Option<&str>) -> Result<Vec<u8>, String> {
    let b64 = |v: &str| {
        STANDARD
            .decode(v.trim())
            .map_err(|e| format!("invalid base64: {e}"))
    };
    match encoding.map(str::trim) {
        Some("gzip+base64" | "gz+b64") => {
            let raw = b64(value)?;
            let mut out = Vec::new();
            // Bounded: guestinfo values are small; refuse a decompression bomb.
            GzDecoder::new(raw.as_slice())
                .take(16 << 20)
                .read_to_end(&mut out)
                .map_err(|e| format!("invalid gzip: {e}"))?;
            Ok(out)
        }
        Some("base64" | "b64") => b64(value),
        _ => Ok(value.as_bytes().to_vec()),
    }
}

/// A VMX value inside double quotes: control characters (except TAB), `"`, `|` and DEL as
/// `|` + two upper-case hex digits; everything else verbatim (UTF-8).
pub fn vmx_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let n = c as u32;
        if (n < 0x20 && c != '\t') || c == '"' || c == '|' || n == 0x7f {
            out.push_str(&format!("|{n:02X}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Inverse of [`vmx_escape`]; `None` on a malformed escape.
pub fn vmx_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'|' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// XML text/attribute escaping that survives attribute-value normalisation: `& < > " '` as
/// entities and TAB/LF/CR as character references (a raw LF in an attribute would be read
/// back as a space).
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_handles_large_incompressible_input_and_reuse() {
        let mut x: u32 = 1;
        let data: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x & 0xff) as u8
            })
            .collect();
        for d in [&data[..], b"", b"second use of the same compressor"] {
            let enc = gzip_base64(d);
            assert_eq!(decode_guestinfo(&enc, Some("gzip+base64")).unwrap(), d);
        }
    }

    #[test]
    fn gzip_base64_round_trips_and_decodes_go_output() {
        let s = gzip_base64(b"cloud-init-metadata");
        assert_eq!(
            decode_guestinfo(&s, Some("gzip+base64")).unwrap(),
            b"cloud-init-metadata"
        );
        // vm-operator's golden (Go's compressor) decodes to the same payload.
        let go = "H4sIAAAAAAAA/0rOyS9N0c3MyyzRzU0tSUxJLEkEAAAA//8BAAD//wEq0o4TAAAA";
        assert_eq!(
            decode_guestinfo(go, Some("gz+b64")).unwrap(),
            b"cloud-init-metadata"
        );
        assert_eq!(decode_guestinfo("YQ==", Some("b64")).unwrap(), b"a");
        assert_eq!(decode_guestinfo("x", None).unwrap(), b"x");
    }

    #[test]
    fn vmx_escaping() {
        let hostile = "a\"b|c\nd\u{7f}\te";
        let e = vmx_escape(hostile);
        assert_eq!(e, "a|22b|7Cc|0Ad|7F\te");
        assert!(!e.contains('"') && !e.contains('\n'));
        assert_eq!(vmx_unescape(&e).unwrap(), hostile);
        assert!(vmx_unescape("|4").is_none());
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_escape("<a b=\"c\">\n&'"),
            "&lt;a b=&quot;c&quot;&gt;&#10;&amp;&apos;"
        );
    }
}
