//! A scanner for the shape nearly every manifest has: block mappings and sequences, one-line
//! plain and quoted scalars, one-line flow collections, comments and `---` separators, in
//! printable ASCII. granit spends ~290 instructions a byte on such text, most of it moving
//! token and event structs through queues; this reads it in one pass over the bytes.
//!
//! It is exact or silent: on text it accepts it produces the very events and spans granit
//! produces (the `granit_agrees` tests and the `yaml_fast` fuzz target compare the two
//! streams), and on anything else — an anchor, a tag, a block scalar, an escape, a multi-line
//! scalar or flow collection, a tab, a carriage return, non-ASCII text, and every error — it
//! gives up, and the caller reads the text with granit. So it never decides what an error
//! says, and it need not know every rule of YAML, only recognise when a text is outside the
//! part it knows.

use super::event::{Ev, Style, TagKind};
use crate::diagnostic::Span;
use std::borrow::Cow;

/// Larger texts go to granit: the fast path holds a text's documents until it has read all of
/// them, so that giving up halfway leaves nothing behind.
pub(crate) const MAX_TEXT: usize = 1 << 20;

/// Keys longer than this are errors in YAML (an implicit key is at most 1024 characters).
const MAX_KEY: usize = 1000;

/// The text is outside what this scanner reads; read it with granit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GiveUp;

type Sink<'s, 't> = &'s mut dyn FnMut(Ev<'t>, Span) -> Result<(), GiveUp>;

/// Hands every event of `text` to `sink`, or gives up. Nesting deeper than `max_depth` gives
/// up too (granit's reading then reports the limit), which also bounds this scanner's
/// recursion.
pub(crate) fn scan<'t>(text: &'t str, max_depth: usize, sink: Sink<'_, 't>) -> Result<(), GiveUp> {
    let t = text.as_bytes();
    if !t.iter().all(|&b| (0x20..0x7f).contains(&b) || b == b'\n') {
        return Err(GiveUp);
    }
    let mut s = Scan {
        t,
        text,
        pos: 0,
        line: 1,
        line_start: 0,
        depth: 0,
        max_depth,
        sink,
    };
    s.stream()
}

/// Where the scan stands after a node: the next line with content, a `---` line, or the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Content(usize),
    Marker,
    End,
}

/// How a plain scalar ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// At a `:` followed by a space or the end of the line: it was a key.
    Colon,
    /// At the end of the line, a comment, or (in a flow collection) a flow indicator.
    Other,
}

/// A scalar token, read but not yet handed over.
struct Token<'t> {
    start: usize,
    end: usize,
    value: &'t str,
    style: Style,
}

struct Scan<'t, 's> {
    t: &'t [u8],
    text: &'t str,
    pos: usize,
    /// 1-based line of `pos`, and the offset that line starts at.
    line: u32,
    line_start: usize,
    depth: usize,
    max_depth: usize,
    sink: Sink<'s, 't>,
}

fn blank_or_end(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | 0)
}

impl<'t> Scan<'t, '_> {
    /// The byte at `i`, 0 past the end (the text has no NUL: `scan` checked).
    fn at(&self, i: usize) -> u8 {
        self.t.get(i).copied().unwrap_or(0)
    }

    /// A span of `a..b`, both on the current line.
    fn span(&self, a: usize, b: usize) -> Span {
        let col = |i: usize| u32::try_from(i - self.line_start + 1).unwrap_or(u32::MAX);
        Span {
            line: self.line,
            column: col(a),
            end_line: self.line,
            end_column: col(b),
            start: a,
            end: b,
        }
    }

    fn emit(&mut self, ev: Ev<'t>, span: Span) -> Result<(), GiveUp> {
        (self.sink)(ev, span)
    }

    fn scalar(&mut self, value: &'t str, style: Style, span: Span) -> Result<(), GiveUp> {
        self.emit(
            Ev::Scalar {
                value: Cow::Borrowed(value),
                style,
                anchor: 0,
                tag: TagKind::None,
            },
            span,
        )
    }

    fn enter(&mut self) -> Result<(), GiveUp> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            return Err(GiveUp);
        }
        Ok(())
    }

    /// Closes a block collection where the next token starts (granit's zero-width end).
    fn leave(&mut self, end: Ev<'t>) -> Result<(), GiveUp> {
        let at = self.span(self.pos, self.pos);
        self.emit(end, at)?;
        self.depth -= 1;
        Ok(())
    }

    /// The first position at or after `i` that is not a space.
    fn spaces_from(&self, mut i: usize) -> usize {
        while self.at(i) == b' ' {
            i += 1;
        }
        i
    }

    fn skip_spaces(&mut self) {
        self.pos = self.spaces_from(self.pos);
    }

    fn skip_to_eol(&mut self) {
        self.pos = memchr_nl(self.t, self.pos);
    }

    /// From a line start, past blank and comment lines, to the first character of the next
    /// line with content.
    fn content_after_line_start(&mut self) -> Result<Line, GiveUp> {
        loop {
            let p = self.spaces_from(self.pos);
            match self.at(p) {
                0 => {
                    self.pos = p;
                    return Ok(Line::End);
                }
                b'\n' => self.pos = p,
                b'#' => {
                    self.pos = p;
                    self.skip_to_eol();
                    if self.pos >= self.t.len() {
                        return Ok(Line::End);
                    }
                }
                _ => {
                    self.pos = p;
                    let indent = p - self.line_start;
                    let marker = |m: &[u8]| {
                        indent == 0 && self.t[p..].starts_with(m) && blank_or_end(self.at(p + 3))
                    };
                    if marker(b"---") {
                        return Ok(Line::Marker);
                    }
                    if marker(b"...") {
                        return Err(GiveUp);
                    }
                    return Ok(Line::Content(indent));
                }
            }
            // At a line break.
            self.pos += 1;
            self.line += 1;
            self.line_start = self.pos;
        }
    }

    /// From the end of a line (a line break or the end of the text) to the next content.
    fn next_line(&mut self) -> Result<Line, GiveUp> {
        if self.pos >= self.t.len() {
            return Ok(Line::End);
        }
        self.pos += 1;
        self.line += 1;
        self.line_start = self.pos;
        self.content_after_line_start()
    }

    /// After a value: spaces, a comment if a space precedes it, then the end of the line.
    fn end_of_line(&mut self) -> Result<(), GiveUp> {
        let before = self.pos;
        self.skip_spaces();
        if self.at(self.pos) == b'#' && (self.pos > before || self.at(self.pos - 1) == b' ') {
            self.skip_to_eol();
        }
        match self.at(self.pos) {
            b'\n' | 0 => Ok(()),
            _ => Err(GiveUp),
        }
    }

    fn is_entry(&self) -> bool {
        self.at(self.pos) == b'-' && blank_or_end(self.at(self.pos + 1))
    }

    fn stream(&mut self) -> Result<(), GiveUp> {
        let mut line = self.content_after_line_start()?;
        loop {
            match line {
                Line::End => return Ok(()),
                Line::Marker => {
                    let end = self.pos + 3;
                    let empty = self.span(end, end);
                    self.pos = end;
                    if !matches!(self.at(self.pos), b'\n' | 0) {
                        return Err(GiveUp);
                    }
                    self.emit(Ev::DocStart, empty)?;
                    line = self.next_line()?;
                    line = match line {
                        Line::Content(indent) => self.block_node(indent)?,
                        Line::Marker | Line::End => {
                            self.scalar("~", Style::Plain, empty)?;
                            line
                        }
                    };
                }
                Line::Content(indent) => {
                    let at = self.span(self.pos, self.pos);
                    self.emit(Ev::DocStart, at)?;
                    line = self.block_node(indent)?;
                }
            }
            let at = self.span(self.pos, self.pos);
            self.emit(Ev::DocEnd, at)?;
            if let Line::Content(_) = line {
                return Err(GiveUp);
            }
        }
    }

    /// The node whose first line starts here, at `indent`.
    fn block_node(&mut self, indent: usize) -> Result<Line, GiveUp> {
        if self.is_entry() {
            return self.block_seq(indent, false);
        }
        if let Some(key) = self.key()? {
            return self.block_map(indent, key);
        }
        self.value(false)?;
        self.end_of_line()?;
        self.next_line()
    }

    /// A key at the current position (not handed over yet), or `None` when the line does not
    /// start with one; the position is unchanged either way.
    fn key(&self) -> Result<Option<Token<'t>>, GiveUp> {
        let p = self.pos;
        let tok = match self.at(p) {
            b'"' | b'\'' => {
                let tok = self.quoted(p)?;
                if self.at(tok.end) != b':' {
                    return Ok(None);
                }
                tok
            }
            _ if !plain_start(self.at(p), self.at(p + 1)) => return Ok(None),
            _ => {
                let (end, stop) = self.plain(p, false);
                if stop != Stop::Colon {
                    return Ok(None);
                }
                if self.at(end) != b':' {
                    // Space before the colon.
                    return Err(GiveUp);
                }
                Token {
                    start: p,
                    end,
                    value: self.slice(p, end)?,
                    style: Style::Plain,
                }
            }
        };
        if tok.end - tok.start > MAX_KEY || !blank_or_end(self.at(tok.end + 1)) {
            return Err(GiveUp);
        }
        Ok(Some(tok))
    }

    fn slice(&self, a: usize, b: usize) -> Result<&'t str, GiveUp> {
        self.text.get(a..b).ok_or(GiveUp)
    }

    fn block_map(&mut self, indent: usize, first: Token<'t>) -> Result<Line, GiveUp> {
        self.enter()?;
        let at = self.span(self.pos, self.pos);
        self.emit(
            Ev::MapStart {
                anchor: 0,
                flow: false,
            },
            at,
        )?;
        let mut key = first;
        let line = loop {
            let span = self.span(key.start, key.end);
            self.scalar(key.value, key.style, span)?;
            let colon = key.end;
            self.pos = colon + 1;
            self.skip_spaces();
            let line = if matches!(self.at(self.pos), b'#' | b'\n' | 0) {
                let empty = self.span(colon, colon);
                self.skip_to_eol();
                let line = self.next_line()?;
                match line {
                    Line::Content(k) if k > indent => self.block_node(k)?,
                    Line::Content(k) if k == indent && self.is_entry() => {
                        self.block_seq(indent, true)?
                    }
                    _ => {
                        self.scalar("~", Style::Plain, empty)?;
                        line
                    }
                }
            } else {
                self.value(false)?;
                self.end_of_line()?;
                self.next_line()?
            };
            match line {
                Line::Content(k) if k == indent => match self.key()? {
                    Some(k) => key = k,
                    None => return Err(GiveUp),
                },
                Line::Content(k) if k > indent => return Err(GiveUp),
                _ => break line,
            }
        };
        self.leave(Ev::MapEnd)?;
        Ok(line)
    }

    /// A block sequence whose first `-` is here. granit places an indentless sequence (a
    /// mapping value whose `-` are at the key's own indent) where its first entry's content
    /// starts (after spaces and a comment), and any other at its first `-`.
    fn block_seq(&mut self, indent: usize, indentless: bool) -> Result<Line, GiveUp> {
        self.enter()?;
        let mut start = self.pos;
        if indentless {
            start = self.spaces_from(start + 1);
            if self.at(start) == b'#' {
                start = memchr_nl(self.t, start);
            }
        }
        let at = self.span(start, start);
        self.emit(
            Ev::SeqStart {
                anchor: 0,
                flow: false,
            },
            at,
        )?;
        let line = loop {
            self.pos += 1;
            self.skip_spaces();
            let line = if matches!(self.at(self.pos), b'#' | b'\n' | 0) {
                self.skip_to_eol();
                let empty = self.span(self.pos, self.pos);
                let line = self.next_line()?;
                match line {
                    Line::Content(k) if k > indent => self.block_node(k)?,
                    _ => {
                        self.scalar("~", Style::Plain, empty)?;
                        line
                    }
                }
            } else if self.is_entry() {
                return Err(GiveUp);
            } else if let Some(key) = self.key()? {
                let column = self.pos - self.line_start;
                self.block_map(column, key)?
            } else {
                self.value(false)?;
                self.end_of_line()?;
                self.next_line()?
            };
            match line {
                Line::Content(k) if k == indent && self.is_entry() => {}
                Line::Content(k) if k > indent => return Err(GiveUp),
                _ => break line,
            }
        };
        self.leave(Ev::SeqEnd)?;
        Ok(line)
    }

    /// A value that starts and ends on this line, in block context or (`flow`) in a flow
    /// collection.
    fn value(&mut self, flow: bool) -> Result<(), GiveUp> {
        let p = self.pos;
        match self.at(p) {
            b'"' | b'\'' => {
                let tok = self.quoted(p)?;
                self.pos = tok.end;
                let span = self.span(tok.start, tok.end);
                self.scalar(tok.value, tok.style, span)
            }
            b'[' | b'{' => self.flow(),
            c if plain_start(c, self.at(p + 1)) => {
                let (end, stop) = self.plain(p, flow);
                let next = self.spaces_from(end);
                // A `:` after a value is a mapping where none may start; in a flow
                // collection, so is a nested collection or comment right after a scalar.
                let bad = if flow {
                    matches!(self.at(next), b':' | b'[' | b'{' | b'#')
                } else {
                    stop == Stop::Colon
                };
                if bad {
                    return Err(GiveUp);
                }
                let value = self.slice(p, end)?;
                let span = self.span(p, end);
                self.pos = end;
                self.scalar(value, Style::Plain, span)
            }
            _ => Err(GiveUp),
        }
    }

    /// A quoted scalar starting at `p` that ends on this line and has no escape.
    fn quoted(&self, p: usize) -> Result<Token<'t>, GiveUp> {
        let q = self.at(p);
        let rest = self.t.get(p + 1..).ok_or(GiveUp)?;
        let close = p
            + 1
            + rest
                .iter()
                .position(|&b| b == q || b == b'\n')
                .ok_or(GiveUp)?;
        let inner = self.slice(p + 1, close)?;
        if self.at(close) != q || (q == b'"' && inner.contains('\\')) {
            return Err(GiveUp);
        }
        // `''` in a single-quoted scalar is an escaped quote.
        if q == b'\'' && self.at(close + 1) == b'\'' {
            return Err(GiveUp);
        }
        let after = self.at(close + 1);
        if !matches!(after, b' ' | b'\n' | 0 | b':' | b',' | b']' | b'}') {
            return Err(GiveUp);
        }
        Ok(Token {
            start: p,
            end: close + 1,
            value: inner,
            style: if q == b'"' {
                Style::Double
            } else {
                Style::Single
            },
        })
    }

    /// The end of a plain scalar starting at `p` (trailing spaces excluded) and how it ended.
    /// In a flow collection it also ends at a flow indicator, and a `:` gives up (its rules
    /// there are subtle and manifests quote such values).
    fn plain(&self, p: usize, flow: bool) -> (usize, Stop) {
        let mut i = p;
        let stop = loop {
            match self.at(i) {
                b'\n' | 0 => break Stop::Other,
                b':' if blank_or_end(self.at(i + 1)) => break Stop::Colon,
                b'#' if self.at(i - 1) == b' ' => break Stop::Other,
                b',' | b'[' | b']' | b'{' | b'}' | b':' if flow => break Stop::Other,
                _ => i += 1,
            }
        };
        let mut end = i;
        while end > p && self.at(end - 1) == b' ' {
            end -= 1;
        }
        (end, stop)
    }

    /// A flow collection that starts and ends on this line.
    fn flow(&mut self) -> Result<(), GiveUp> {
        self.enter()?;
        let open = self.at(self.pos);
        let (close, start, end) = if open == b'[' {
            (
                b']',
                Ev::SeqStart {
                    anchor: 0,
                    flow: true,
                },
                Ev::SeqEnd,
            )
        } else {
            (
                b'}',
                Ev::MapStart {
                    anchor: 0,
                    flow: true,
                },
                Ev::MapEnd,
            )
        };
        let span = self.span(self.pos, self.pos + 1);
        self.emit(start, span)?;
        self.pos += 1;
        self.skip_spaces();
        if self.at(self.pos) != close {
            loop {
                if open == b'{' {
                    self.flow_key()?;
                }
                self.value(true)?;
                self.skip_spaces();
                match self.at(self.pos) {
                    b',' => {
                        self.pos += 1;
                        self.skip_spaces();
                        if matches!(self.at(self.pos), b',' | b']' | b'}') {
                            return Err(GiveUp);
                        }
                    }
                    c if c == close => break,
                    _ => return Err(GiveUp),
                }
            }
        }
        let span = self.span(self.pos, self.pos + 1);
        self.emit(end, span)?;
        self.pos += 1;
        self.depth -= 1;
        Ok(())
    }

    /// A key in a flow mapping and its `:`.
    fn flow_key(&mut self) -> Result<(), GiveUp> {
        let p = self.pos;
        let tok = match self.at(p) {
            b'"' | b'\'' => self.quoted(p)?,
            c if plain_start(c, self.at(p + 1)) => {
                // The key must end right at a `: ` (no space before it), and a `#` in it
                // gives up however it is placed.
                let (end, _) = self.plain(p, true);
                if self.at(end) != b':' || self.at(end + 1) != b' ' {
                    return Err(GiveUp);
                }
                let value = self.slice(p, end)?;
                if value.contains('#') {
                    return Err(GiveUp);
                }
                Token {
                    start: p,
                    end,
                    value,
                    style: Style::Plain,
                }
            }
            _ => return Err(GiveUp),
        };
        if self.at(tok.end) != b':' {
            return Err(GiveUp);
        }
        let span = self.span(tok.start, tok.end);
        self.scalar(tok.value, tok.style, span)?;
        self.pos = tok.end + 1;
        self.skip_spaces();
        Ok(())
    }
}

/// Whether a plain scalar may start with `c` (followed by `next`): not an indicator, except
/// a `-` followed by a character that makes it part of a word (`-1`, `-x`).
fn plain_start(c: u8, next: u8) -> bool {
    match c {
        b'-' => next.is_ascii_alphanumeric() || next == b'.',
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => false,
        _ => true,
    }
}

/// The next line break at or after `from`, or the end of the text.
fn memchr_nl(t: &[u8], from: usize) -> usize {
    t.get(from..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
        .map_or(t.len(), |i| from + i)
}

#[cfg(test)]
mod tests {
    use crate::source::yaml::fast_scan_agrees;

    /// Texts the fast scanner must read, each exactly as granit does.
    const READS: &[&str] = &[
        "",
        "# only a comment\n",
        "a: 1\n",
        "a: 1",
        "a:",
        "x",
        "[1]\n",
        "- a\n- b\n",
        "apiVersion: v1\nkind: VM\nmetadata:\n  name: x # c\n  labels: {}\nspec:\n  list:\n  - a\n  - b: 1\n    c: \"q\"\n  flow: [1, \"2\", a b]\n  e:\n  f: 's'\n",
        "a:\n  b: 1\n\n# c\n  # d\n\nc: 2\n\n# end\n\n",
        "a: 1\n---\nb: 2",
        "---\n---\na: 1\n---\n",
        "# x\n---\na:\n- 1\n-\n- x:\n",
        "e:   # c\nf: [a, b]  # x\ng: {a: 1, b: \"x\"}\n",
        "-   \n-  # c\n- a\n-",
        "a:\nb:\n  c:\n",
        "k:\n  - x\n  -\n",
        "a:\n-\n- x\n",
        "a:\n- # c\n  b\n",
        "a:\n-   x\n",
        "a:\n- b: 1\n",
        "a:\n-\n\n  # c\n  b: 1\n",
        "\"q\": 1\n's': 2\nz: a b  \n",
        "a: 1\n  \n",
        "a: b#c\nd: http://x:80/y\ne: a:b\nf: -1\ng: \"\"\nh: ''\n",
        "- a: 1\n  b: 2\n- c: 3\n",
        "- a:\n    b: 1\n- a:\n  - x\n",
        "  a: 1\n  b:\n    - 1\n",
        "a: [[1, 2], {b: c}, []]\n",
        "a: {\"b\":1}\n",
        "<<: {a: 1}\nb: 2\n",
        "spec:\n  network:\n    interfaces:\n    - name: eth0\n      addresses: [\"10.0.0.2/24\"]\n      gateway4: 10.0.0.1\n      nameservers: [10.0.0.53]\n    - name: eth1\n      dhcp4: true\n",
    ];

    /// Texts it must give up on (granit reads some, rejects others).
    const GIVES_UP: &[&str] = &[
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  x\n",
        "a: >-\n  x\n",
        "a: \"x\\ny\"\n",
        "a: 'it''s'\n",
        "a: hello\n  world\n",
        "a: [1,\n  2]\n",
        "a:\tb\n",
        "a: 1\r\n",
        "a: é\n",
        "? a\n: b\n",
        "- - a\n",
        "a: 1\n- b\n",
        "a:\n    b: 1\n  c: 2\n",
        "a: b: c\n",
        "a : 1\n",
        "--- a\n",
        "a: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: \"x\"y\n",
        "a: [1, ]\n",
        "a: [fd00::1]\n",
    ];

    #[test]
    fn granit_agrees_on_what_the_fast_scanner_reads() {
        for text in READS {
            assert_eq!(fast_scan_agrees(text), Ok(true), "{text:?}");
        }
    }

    #[test]
    fn the_fast_scanner_gives_up_outside_its_subset() {
        for text in GIVES_UP {
            assert_eq!(fast_scan_agrees(text), Ok(false), "{text:?}");
        }
    }

    /// Fragments near the edges of the subset: indentation steps, entries, keys, empty
    /// values, comments, flow and quote characters, markers.
    const PIECES: &[&str] = &[
        "a",
        "b1",
        "-x",
        "http://h:1/p",
        "<<",
        "~",
        " ",
        "  ",
        "   ",
        "\n",
        "\n\n",
        "- ",
        "-",
        ":",
        ": ",
        "k: ",
        "k:",
        "#",
        " # c",
        "[",
        "]",
        "{",
        "}",
        ", ",
        ",",
        "\"q\"",
        "'s'",
        "\"",
        "'",
        "---",
        "---\n",
        "...",
        "\t",
        "\r",
        "?",
        "&a ",
        "*a",
        "!",
        "|",
        "é",
        "a b",
        "x#y",
    ];

    fn soup() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(PIECES), 0..48).prop_map(|v| v.concat())
    }

    /// A random tree, written in block style with the variety manifests have: indent steps of
    /// 1-4, indentless and indented sequences, compact mappings in entries, flow collections,
    /// quotes, comments and blank lines.
    #[derive(Debug, Clone)]
    enum Tree {
        Scalar(&'static str),
        Flow(Vec<&'static str>),
        Map(Vec<(&'static str, Tree)>),
        Seq(Vec<Tree>),
    }

    fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
        let scalar = proptest::sample::select(
            &[
                "x",
                "10.0.0.1/24",
                "\"q r\"",
                "'s'",
                "-1",
                "true",
                "a b",
                "{}",
                "[]",
                "~",
                "",
            ][..],
        )
        .prop_map(Tree::Scalar);
        let flow = proptest::collection::vec(
            proptest::sample::select(&["1", "a", "\"b\"", "'c'", "d e"][..]),
            0..4,
        )
        .prop_map(Tree::Flow);
        let leaf = proptest::prop_oneof![scalar, flow];
        leaf.prop_recursive(5, 40, 5, |inner| {
            let key = proptest::sample::select(&["k", "name", "\"q\"", "'s'", "a-b", "x_1"][..]);
            proptest::prop_oneof![
                proptest::collection::vec((key, inner.clone()), 1..5).prop_map(|v| {
                    // Keys in a mapping are distinct (a repeat is an error granit reports).
                    let mut seen = Vec::new();
                    Tree::Map(
                        v.into_iter()
                            .filter(|(k, _)| {
                                let new = !seen.contains(k);
                                seen.push(*k);
                                new
                            })
                            .collect(),
                    )
                }),
                proptest::collection::vec(inner, 1..5).prop_map(Tree::Seq),
            ]
        })
    }

    /// Layout choices, consumed in turn.
    struct Style<'a>(&'a [u8], usize);

    impl Style<'_> {
        fn pick(&mut self, n: u8) -> u8 {
            let v = self
                .0
                .get(self.1 % self.0.len().max(1))
                .copied()
                .unwrap_or(0);
            self.1 += 1;
            v % n
        }
    }

    fn inline(t: &Tree) -> Option<String> {
        match t {
            Tree::Scalar(s) => Some((*s).to_string()),
            Tree::Flow(v) => Some(format!("[{}]", v.join(", "))),
            _ => None,
        }
    }

    /// Writes `t` as the value after a key or an entry (`out` ends with `k:` or `-`), the
    /// enclosing block at `indent`.
    fn write_value(t: &Tree, indent: usize, in_map: bool, st: &mut Style, out: &mut String) {
        if let Some(s) = inline(t) {
            if !s.is_empty() {
                out.push(' ');
                out.push_str(&s);
            }
            if st.pick(4) == 0 {
                out.push_str(" # note");
            }
            out.push('\n');
            return;
        }
        if st.pick(5) == 0 {
            out.push_str(" # c");
        }
        out.push('\n');
        if st.pick(4) == 0 {
            out.push_str("\n   # comment\n");
        }
        let indentless = in_map && matches!(t, Tree::Seq(_)) && st.pick(2) == 0;
        let child = if indentless {
            indent
        } else {
            indent + 1 + usize::from(st.pick(4))
        };
        write_block(t, child, st, out);
    }

    fn write_block(t: &Tree, indent: usize, st: &mut Style, out: &mut String) {
        let pad = " ".repeat(indent);
        match t {
            Tree::Map(entries) => {
                for (k, v) in entries {
                    out.push_str(&pad);
                    out.push_str(k);
                    out.push(':');
                    write_value(v, indent, true, st, out);
                }
            }
            Tree::Seq(items) => {
                for item in items {
                    out.push_str(&pad);
                    out.push('-');
                    match item {
                        // A compact mapping: its first key on the entry's line.
                        Tree::Map(entries) if st.pick(2) == 0 => {
                            let gap = 1 + usize::from(st.pick(3));
                            out.push_str(&" ".repeat(gap));
                            let inner = indent + 1 + gap;
                            let mut first = true;
                            for (k, v) in entries {
                                if !first {
                                    out.push_str(&" ".repeat(inner));
                                }
                                first = false;
                                out.push_str(k);
                                out.push(':');
                                write_value(v, inner, true, st, out);
                            }
                        }
                        _ => write_value(item, indent, false, st, out),
                    }
                }
            }
            other => {
                if let Some(s) = inline(other) {
                    out.push_str(&pad);
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Whatever the fast scanner reads, granit reads to the same events and spans.
        #[test]
        fn granit_agrees_on_any_soup(text in soup()) {
            prop_assert!(fast_scan_agrees(&text).is_ok(), "{:?}", fast_scan_agrees(&text));
        }

        /// Near misses: a block document with a few pieces inserted or bytes removed.
        #[test]
        fn granit_agrees_on_edited_documents(
            t in tree(),
            layout in proptest::collection::vec(any::<u8>(), 1..64),
            edits in proptest::collection::vec((any::<usize>(), proptest::sample::select(PIECES), 0usize..3), 1..4),
        ) {
            let mut text = String::new();
            write_block(&t, 0, &mut Style(&layout, 0), &mut text);
            for (at, piece, cut) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, piece);
            }
            prop_assert!(fast_scan_agrees(&text).is_ok(), "{:?}\n{:?}", text, fast_scan_agrees(&text));
        }

        /// Block-style documents of every layout are read by the fast scanner (so the fast
        /// path is the one manifests take), and granit agrees.
        #[test]
        fn block_documents_take_the_fast_path(
            docs in proptest::collection::vec((tree(), proptest::collection::vec(any::<u8>(), 1..64)), 1..3)
        ) {
            let mut text = String::new();
            for (i, (t, layout)) in docs.iter().enumerate() {
                if i > 0 || layout[0] % 3 == 0 {
                    text.push_str("---\n");
                }
                let mut st = Style(layout, 1);
                match t {
                    Tree::Map(_) | Tree::Seq(_) => write_block(t, 0, &mut st, &mut text),
                    leaf => write_block(leaf, 0, &mut st, &mut text),
                }
            }
            prop_assert_eq!(fast_scan_agrees(&text), Ok(true), "{}", text);
        }
    }
}
