//! Report rendering with arbitrary findings: positions and byte ranges that do not fit the
//! text (reversed, past the end, inside a UTF-8 sequence), hostile messages and file names,
//! findings of many documents. Every format must render without panicking and stay
//! well-formed.
#![no_main]
use guestnet_cli::report::{self, Format};
use guestnet_core::{Code, Diagnostic, Severity};
use libfuzzer_sys::fuzz_target;

fn num(b: &[u8], i: usize) -> u32 {
    let mut x = [0u8; 4];
    for (k, v) in x.iter_mut().enumerate() {
        *v = b.get(i * 4 + k).copied().unwrap_or(0);
    }
    u32::from_le_bytes(x)
}

fuzz_target!(|data: &[u8]| {
    // Layout: [n controls (16 bytes each)] 0xff [text]
    let Some(split) = data.iter().position(|b| *b == 0xff) else { return };
    let (ctl, rest) = data.split_at(split);
    let text = String::from_utf8_lossy(&rest[1..]).into_owned();
    let mut diags = Vec::new();
    for (i, c) in ctl.chunks(16).enumerate().take(300) {
        let code = Code::ALL[num(c, 0) as usize % Code::ALL.len()];
        let len = text.len().max(1);
        let msg_at = num(c, 1) as usize % len;
        let msg: String = text.chars().skip(msg_at % text.chars().count().max(1)).take(40).collect();
        let mut d = Diagnostic::new(code, msg.clone(), msg).with_severity(
            [Severity::Error, Severity::Warning, Severity::Info][i % 3],
        );
        d.file = Some(if num(c, 3) % 2 == 0 { "a.yaml".into() } else { text.chars().take(8).collect() });
        if num(c, 2) % 3 != 0 {
            let s = num(c, 2) as usize % (len + 8);
            let e = num(c, 3) as usize % (len + 8);
            d.byte_range = Some((s, e));
            d.line = Some(num(c, 1) % 1000);
            d.column = Some(num(c, 2) % 1000);
        } else if num(c, 1) % 2 == 0 {
            d.line = Some(num(c, 1));
            d.column = Some(num(c, 3));
        }
        d.document = Some(num(c, 3) % 3);
        diags.push(d);
    }
    let text_of = |_: &str| Some(text.as_str());
    for f in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        for color in [false, true] {
            let out = report::render(f, &diags, &text_of, color);
            if matches!(f, Format::Json | Format::Sarif) {
                serde_json::from_str::<serde_json::Value>(&out).expect("well-formed");
            }
        }
    }
});
