//! Diagnostic output formats: human (snippets, colour on a TTY), json, sarif, github.
//!
//! Reports are streamed: a batch hands each file's findings over as soon as the file is done
//! and the [`Reporter`] writes them, so memory does not grow with the batch. Human output is
//! linear in the number of findings: a snippet costs a binary search in the file's line index
//! and at most a few hundred bytes of the line, however long the line is; and at most
//! [`HUMAN_CAP`] findings are shown per document, followed by how many more there are.

use crate::rules;
use crate::sink::TextOut;
use guestnet_core::{Code, Diagnostic, Severity};
use serde_json::{Value, json};
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// Findings shown per document in human output; the rest are counted.
pub const HUMAN_CAP: usize = 100;

/// Bytes of a long source line shown on each side of the caret.
const CONTEXT_BYTES: usize = 80;

/// One file's findings, formatted.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    pub text: String,
    /// Items in a JSON array (json: findings; sarif: results); 0 for line formats.
    pub items: usize,
}

/// Byte offsets of line starts, built once per file.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The byte range of the line holding byte `at` (without its newline), and its number.
    fn line_of(&self, text: &str, at: usize) -> (usize, usize, usize) {
        let idx = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let start = self.starts.get(idx).copied().unwrap_or(0);
        let end = self
            .starts
            .get(idx + 1)
            .map(|n| n - 1)
            .unwrap_or(text.len());
        (start, end.max(start), idx + 1)
    }

    /// Byte offset of a 1-based line and character column, for findings that carry only a
    /// line and column (batch findings placed before the text was read again).
    pub fn offset(&self, text: &str, line: u32, column: u32) -> Option<usize> {
        let start = *self.starts.get((line as usize).checked_sub(1)?)?;
        let rest = text.get(start..)?;
        let col = (column as usize).saturating_sub(1);
        Some(
            start
                + rest
                    .char_indices()
                    .take_while(|(_, c)| *c != '\n')
                    .nth(col)
                    .map(|(i, _)| i)
                    .unwrap_or_else(|| rest.find('\n').unwrap_or(rest.len())),
        )
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Source text as a terminal may show it: tabs as four spaces, control characters (an
/// escape sequence in a hostile file must not reach the terminal) as U+FFFD.
fn display_width_and_text(s: &str, out: &mut String) -> usize {
    let mut w = 0;
    for c in s.chars() {
        if c == '\t' {
            out.push_str("    ");
            w += 4;
        } else if c.is_control() {
            out.push('\u{fffd}');
            w += 1;
        } else {
            out.push(c);
            w += 1;
        }
    }
    w
}

fn width(s: &str) -> usize {
    s.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum()
}

/// Messages carry user values: escape control characters so none reaches the terminal.
fn clean(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn level(&self, sev: Severity) -> &'static str {
        match sev {
            Severity::Error => "1;91",
            Severity::Warning => "1;93",
            Severity::Info => "1;96",
        }
    }
}

fn level_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// One finding in the rustc-like layout of the README.
fn human_one(out: &mut String, d: &Diagnostic, text: Option<(&str, &LineIndex)>, style: &Style) {
    let file = d.file.as_deref().unwrap_or("-");
    let title = if d.path.is_empty() {
        clean(&d.message)
    } else {
        format!("{}: {}", clean(&d.path), clean(&d.message))
    };
    let lvl = style.level(d.severity);
    let _ = writeln!(
        out,
        "{}{}",
        style.paint(lvl, &format!("{}[{}]", level_word(d.severity), d.code)),
        style.paint("1", &format!(": {title}"))
    );
    let range = match (text, d.byte_range) {
        (Some(_), Some(r)) => Some(r),
        (Some((t, idx)), None) => match (d.line, d.column) {
            (Some(l), Some(c)) => idx.offset(t, l, c).map(|o| (o, o)),
            _ => None,
        },
        _ => None,
    };
    let snippet = match (text, range) {
        (Some((t, idx)), Some((s, e))) => {
            let s = floor_boundary(t, s);
            let (ls, le, n) = idx.line_of(t, s);
            Some((t, s, e, ls, le, n))
        }
        _ => None,
    };
    let Some((t, s, e, ls, le, n)) = snippet else {
        let loc = match (d.line, d.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.to_string(),
        };
        let _ = writeln!(out, " {} {}", style.paint("1;94", "-->"), clean(&loc));
        if let Some(h) = &d.help {
            let _ = writeln!(
                out,
                "  {} {}",
                style.paint("1;94", "="),
                style.paint("1", &format!("help: {}", clean(h)))
            );
        }
        return;
    };
    // The caret covers the value on its first line; an empty span covers one character.
    let mut ce = ceil_boundary(t, e.min(le));
    if ce <= s {
        ce = t[s..].chars().next().map(|c| s + c.len_utf8()).unwrap_or(s);
        ce = ce.min(le.max(s));
    }
    let num = n.to_string();
    let pad = " ".repeat(num.len());
    let col = d
        .column
        .unwrap_or_else(|| u32::try_from(t[ls..s].chars().count() + 1).unwrap_or(u32::MAX));
    let _ = writeln!(
        out,
        "{pad}{} {}",
        style.paint("1;94", "-->"),
        clean(&format!("{file}:{n}:{col}"))
    );
    let gutter = style.paint("1;94", "|");
    let _ = writeln!(out, "{pad} {gutter}");
    // Long lines: a window around the caret, marked with "...".
    let from = if s - ls > CONTEXT_BYTES {
        ceil_boundary(t, s - CONTEXT_BYTES)
    } else {
        ls
    };
    let to = if le - ce > CONTEXT_BYTES {
        floor_boundary(t, ce + CONTEXT_BYTES)
    } else {
        le
    };
    let mut line = String::new();
    let mut before = 0;
    if from > ls {
        line.push_str("...");
        before += 3;
    }
    before += display_width_and_text(&t[from..s], &mut line);
    display_width_and_text(&t[s..to], &mut line);
    if to < le {
        line.push_str("...");
    }
    let carets = width(&t[s..ce]).max(1);
    let _ = writeln!(
        out,
        "{} {gutter} {}",
        style.paint("1;94", &num),
        line.trim_end()
    );
    let _ = writeln!(
        out,
        "{pad} {gutter} {}{}",
        " ".repeat(before),
        style.paint(lvl, &"^".repeat(carets))
    );
    if let Some(h) = &d.help {
        let _ = writeln!(out, "{pad} {gutter}");
        let _ = writeln!(
            out,
            "{pad} {} {}",
            style.paint("1;94", "="),
            style.paint("1", &format!("help: {}", clean(h)))
        );
    }
}

/// Human format for one file's findings (`text` is the file's text, for snippets).
pub fn human(diags: &[Diagnostic], text: Option<&str>, color: bool) -> String {
    let style = Style { on: color };
    let index = text.map(LineIndex::new);
    let t = text.zip(index.as_ref());
    let mut out = String::new();
    let mut i = 0;
    while i < diags.len() {
        // One run of findings from the same file and document.
        let key = (&diags[i].file, diags[i].document);
        let mut j = i;
        while j < diags.len() && (&diags[j].file, diags[j].document) == key {
            j += 1;
        }
        for d in &diags[i..(i + HUMAN_CAP).min(j)] {
            human_one(&mut out, d, t, &style);
            out.push('\n');
        }
        if j - i > HUMAN_CAP {
            let file = key.0.as_deref().unwrap_or("-");
            let doc = key
                .1
                .map(|d| format!(" (document {})", d + 1))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}: {} more findings in {}{doc} are not shown; --format json lists all\n",
                style.paint("1;96", "note"),
                j - i - HUMAN_CAP,
                clean(file),
            );
        }
        i = j;
    }
    out
}

fn indent(s: &str, by: &str) -> String {
    let mut o = String::with_capacity(s.len() + 16);
    for (n, l) in s.lines().enumerate() {
        if n > 0 {
            o.push('\n');
        }
        o.push_str(by);
        o.push_str(l);
    }
    o
}

fn json_items(diags: &[Diagnostic]) -> Chunk {
    let items: Vec<String> = diags
        .iter()
        .map(|d| indent(&serde_json::to_string_pretty(d).unwrap_or_default(), "  "))
        .collect();
    Chunk {
        text: items.join(",\n"),
        items: items.len(),
    }
}

fn sarif_region(line: Option<u32>, col: Option<u32>, el: Option<u32>, ec: Option<u32>) -> Value {
    let mut region = serde_json::Map::new();
    for (k, v) in [
        ("startLine", line),
        ("startColumn", col),
        ("endLine", el),
        ("endColumn", ec),
    ] {
        if let Some(v) = v {
            region.insert(k.into(), json!(v));
        }
    }
    Value::Object(region)
}

fn sarif_result(d: &Diagnostic) -> Value {
    let text = match &d.help {
        Some(h) => format!("{}\nhelp: {h}", d.webhook_text()),
        None => d.webhook_text(),
    };
    let mut r = json!({
        "ruleId": d.code.as_str(),
        "level": sarif_level(d.severity),
        "message": {"text": text},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": d.file.as_deref().unwrap_or("-")},
            "region": sarif_region(d.line, d.column, d.end_line, d.end_column),
        }}],
        "properties": {"path": d.path},
    });
    if !d.related.is_empty() {
        let rel: Vec<Value> = d
            .related
            .iter()
            .enumerate()
            .map(|(i, x)| {
                json!({
                    "id": i,
                    "message": {"text": format!("{}: {}", x.path, x.message)},
                    "physicalLocation": {
                        "artifactLocation": {"uri": x.file.as_deref().unwrap_or("-")},
                        "region": sarif_region(x.line, x.column, x.end_line, x.end_column),
                    }
                })
            })
            .collect();
        r["relatedLocations"] = Value::Array(rel);
    }
    r
}

const SARIF_INDENT: &str = "        ";

fn sarif_items(diags: &[Diagnostic]) -> Chunk {
    let items: Vec<String> = diags
        .iter()
        .map(|d| {
            indent(
                &serde_json::to_string_pretty(&sarif_result(d)).unwrap_or_default(),
                SARIF_INDENT,
            )
        })
        .collect();
    Chunk {
        text: items.join(",\n"),
        items: items.len(),
    }
}

/// The SARIF document around its results: (head ending in `"results": [`, tail).
/// The tool description of every SARIF log: each rule with its name, descriptions,
/// markdown help and documentation link, as code-scanning UIs show them.
fn sarif_driver() -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            let long = rules::explanation(*c);
            json!({
                "id": c.as_str(),
                "name": rules::name(*c),
                "shortDescription": {"text": c.title()},
                "fullDescription": {"text": long},
                "help": {
                    "text": format!("{long}\n\n{}", rules::help_uri(*c)),
                    "markdown": format!("**{}** — {}\n\n{long}\n\n[Documentation]({})", c.as_str(), c.title(), rules::help_uri(*c)),
                },
                "helpUri": rules::help_uri(*c),
                "defaultConfiguration": {"level": sarif_level(c.default_severity())},
            })
        })
        .collect();
    json!({
        "name": "guestnet",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": crate::VERSION,
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
        "rules": rules,
    })
}

fn sarif_log(results: Vec<Value>, invocation: Value) -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": sarif_driver()},
            "invocations": [invocation],
            "results": results,
        }],
    })
}

/// The SARIF log of a run that could not judge its inputs (a missing file, an unreadable
/// configuration): no results, and a tool execution notification saying why. Code scanning
/// uploads whatever the step printed; this says the run failed instead of "no findings".
pub fn sarif_failure(message: &str) -> String {
    let log = sarif_log(
        Vec::new(),
        json!({
            "executionSuccessful": false,
            "exitCode": 2,
            "toolExecutionNotifications": [{
                "level": "error",
                "message": {"text": message},
            }],
        }),
    );
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

/// What `--summary` counts.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub files: usize,
    pub vms: usize,
    pub skipped: usize,
    pub errors: usize,
    pub warnings: usize,
}

pub fn summary_line(s: &Summary) -> String {
    format!(
        "guestnet: {}, {}, {} skipped, {}, {}",
        plural(s.files, "file", "files"),
        plural(s.vms, "VM", "VMs"),
        s.skipped,
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The SARIF document around its results: (head ending in `"results": [`, tail).
fn sarif_frame() -> (String, String) {
    // Results are streamed between head and tail.
    let doc = sarif_log(
        vec![json!("@@RESULTS@@")],
        json!({"executionSuccessful": true}),
    );
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    match text.split_once("\"@@RESULTS@@\"") {
        Some((head, tail)) => {
            let head = head.trim_end().trim_end_matches('[').trim_end().to_string() + " [";
            let tail = tail.trim_start().trim_start_matches(']').to_string();
            (head, tail)
        }
        None => (text, String::new()),
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// GitHub workflow command escaping (data and property values differ).
fn gh_escape(s: &str, property: bool) -> String {
    let mut o = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        o = o.replace(':', "%3A").replace(',', "%2C");
    }
    o
}

fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!(
            "file={}",
            gh_escape(d.file.as_deref().unwrap_or("-"), true)
        )];
        for (k, v) in [
            ("line", d.line),
            ("col", d.column),
            ("endLine", d.end_line),
            ("endColumn", d.end_column),
        ] {
            if let Some(v) = v {
                props.push(format!("{k}={v}"));
            }
        }
        props.push(format!("title={}", gh_escape(d.code.as_str(), true)));
        let mut msg = d.webhook_text();
        if let Some(h) = &d.help {
            msg.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{cmd} {}::{}\n",
            props.join(","),
            gh_escape(&msg, false)
        ));
    }
    out
}

/// Formats one file's findings (sorted) for `format`; `text` is the file's text.
pub fn format_chunk(
    format: Format,
    diags: &[Diagnostic],
    text: Option<&str>,
    color: bool,
) -> Chunk {
    match format {
        Format::Human => Chunk {
            text: human(diags, text, color),
            items: 0,
        },
        Format::Json => json_items(diags),
        Format::Sarif => sarif_items(diags),
        Format::Github => Chunk {
            text: github(diags),
            items: 0,
        },
    }
}

/// Writes chunks as they come, keeping JSON and SARIF well-formed: the array is opened by
/// the first item and always closed, so the output is a JSON document even when nothing was
/// found or a file could not be read.
#[derive(Debug)]
pub struct Reporter {
    format: Format,
    items: usize,
    sarif_tail: String,
}

impl Reporter {
    pub fn new(format: Format) -> Reporter {
        Reporter {
            format,
            items: 0,
            sarif_tail: String::new(),
        }
    }

    pub fn begin(&mut self, sink: &mut dyn TextOut) {
        if self.format == Format::Sarif {
            let (head, tail) = sarif_frame();
            sink.write_str(&head);
            self.sarif_tail = tail;
        }
    }

    pub fn emit(&mut self, sink: &mut dyn TextOut, chunk: &Chunk) {
        match self.format {
            Format::Human | Format::Github => sink.write_str(&chunk.text),
            Format::Json | Format::Sarif => {
                if chunk.items == 0 {
                    return;
                }
                let sep = match (self.format, self.items) {
                    (Format::Json, 0) => "[\n",
                    (Format::Sarif, 0) => "\n",
                    _ => ",\n",
                };
                sink.write_str(sep);
                sink.write_str(&chunk.text);
                self.items += chunk.items;
            }
        }
    }

    pub fn end(&mut self, sink: &mut dyn TextOut) {
        match self.format {
            Format::Json => sink.write_str(if self.items == 0 { "[]\n" } else { "\n]\n" }),
            Format::Sarif => {
                if self.items > 0 {
                    sink.write_str("\n      ");
                }
                sink.write_str("]");
                sink.write_str(&self.sarif_tail);
                sink.write_str("\n");
            }
            _ => {}
        }
    }
}

/// The whole report for a list of findings at once (convert, tests, fuzzing). `text_of`
/// gives a file's text for snippets.
pub fn render<'a>(
    format: Format,
    diags: &[Diagnostic],
    text_of: &dyn Fn(&str) -> Option<&'a str>,
    color: bool,
) -> String {
    let mut sink = String::new();
    let mut r = Reporter::new(format);
    r.begin(&mut sink);
    let mut i = 0;
    while i < diags.len() {
        let mut j = i;
        while j < diags.len() && diags[j].file == diags[i].file {
            j += 1;
        }
        let text = text_of(diags[i].file.as_deref().unwrap_or("-"));
        r.emit(&mut sink, &format_chunk(format, &diags[i..j], text, color));
        i = j;
    }
    r.end(&mut sink);
    sink
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_structure() {
        let mut d = Diagnostic::new(Code::HostName, "spec.network.hostName", "bad\nvalue, 100%");
        d.file = Some("a,b:c.yaml".into());
        d.line = Some(3);
        let s = github(&[d]);
        assert_eq!(s.lines().count(), 1);
        assert!(
            s.starts_with("::error file=a%2Cb%3Ac.yaml,line=3,title=GN120::"),
            "{s}"
        );
        assert!(s.contains("bad%0Avalue, 100%25"));
    }

    fn at(text: &str, needle: &str, line: u32, col: u32) -> Diagnostic {
        let s = text.find(needle).unwrap();
        let mut d = Diagnostic::new(Code::GatewayOutsideSubnet, "spec.x", "bad");
        d.file = Some("vm.yaml".into());
        d.line = Some(line);
        d.column = Some(col);
        d.byte_range = Some((s, s + needle.len()));
        d
    }

    #[test]
    fn human_layout_matches_the_readme() {
        let text = "a: 1\nspec:\n  gateway4: 10.0.1.1\n";
        let mut d = at(text, "10.0.1.1", 3, 13);
        d.help = Some("fix it".into());
        let got = human(&[d], Some(text), false);
        assert_eq!(
            got,
            "error[GN201]: spec.x: bad\n --> vm.yaml:3:13\n  |\n3 |   gateway4: 10.0.1.1\n  |             ^^^^^^^^\n  |\n  = help: fix it\n\n"
        );
    }

    #[test]
    fn long_lines_are_windowed_and_findings_capped() {
        let text = format!("{}X{}\n", "a".repeat(100_000), "b".repeat(100_000));
        let d = at(&text, "X", 1, 100_001);
        let got = human(std::slice::from_ref(&d), Some(&text), false);
        assert!(got.contains("...aaaa"), "{got}");
        assert!(got.len() < 1_000, "{}", got.len());
        let caret_line = got.lines().nth(4).unwrap();
        let src_line = got.lines().nth(3).unwrap();
        assert_eq!(caret_line.find('^'), src_line.find('X'), "{got}");
        let many = vec![d; HUMAN_CAP + 7];
        let got = human(&many, Some(&text), false);
        assert_eq!(got.matches("error[GN201]").count(), HUMAN_CAP);
        assert!(got.contains("7 more findings in vm.yaml"), "{got}");
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let text = "a: \"\x1b[31mred\"\n";
        let mut d = at(text, "\x1b", 1, 5);
        d.message = "value \x1b[2J".into();
        let got = human(&[d], Some(text), false);
        assert!(!got.contains('\x1b'), "{got:?}");
    }

    #[test]
    fn json_and_sarif_are_documents_even_when_empty() {
        for f in [Format::Json, Format::Sarif] {
            let empty = render(f, &[], &|_| None, false);
            let v: Value = serde_json::from_str(&empty).unwrap();
            assert!(v.is_array() || v["runs"][0]["results"].as_array().unwrap().is_empty());
            let mut a = Diagnostic::new(Code::HostName, "p", "m");
            a.file = Some("a".into());
            let mut b = a.clone();
            b.file = Some("b".into());
            let two = render(f, &[a, b], &|_| None, false);
            let v: Value = serde_json::from_str(&two).unwrap();
            let n = if f == Format::Json {
                v.as_array().unwrap().len()
            } else {
                v["runs"][0]["results"].as_array().unwrap().len()
            };
            assert_eq!(n, 2, "{two}");
        }
        assert_eq!(render(Format::Json, &[], &|_| None, false), "[]\n");
    }
}
