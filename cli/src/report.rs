//! Diagnostic output formats: human (snippets, colour on a TTY), json, sarif, github.

use crate::rules;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use guestnet_core::{Code, Diagnostic, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// Source texts by file name, for snippets.
pub type Sources<'a> = BTreeMap<&'a str, &'a str>;

pub fn render(format: Format, diags: &[Diagnostic], sources: &Sources<'_>, color: bool) -> String {
    match format {
        Format::Human => human(diags, sources, color),
        Format::Json => serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into()) + "\n",
        Format::Sarif => serde_json::to_string_pretty(&sarif(diags)).unwrap_or_default() + "\n",
        Format::Github => github(diags),
    }
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Widens an empty span to the character at its start so the caret is visible.
fn caret_range(text: &str, (start, end): (usize, usize)) -> std::ops::Range<usize> {
    let start = start.min(text.len());
    let end = end.clamp(start, text.len());
    if end > start {
        // Keep the caret on the first line of a multi-line value.
        let line_end = text[start..end]
            .find('\n')
            .map(|i| start + i)
            .unwrap_or(end);
        return start..line_end.max(start + 1).min(text.len());
    }
    let next = text[start..]
        .chars()
        .next()
        .map(char::len_utf8)
        .unwrap_or(0);
    start..start + next
}

/// Up to two lines of context before the line holding `at` and one after: the text, the
/// 1-based number of its first line (from `line`, the line of `at`, so that nothing
/// scans the file from its start), and its byte offset in `text`.
fn window(text: &str, at: usize, line: usize) -> (&str, usize, usize) {
    let at = at.min(text.len());
    let mut start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    for _ in 0..2 {
        if start == 0 {
            break;
        }
        start = text[..start - 1].rfind('\n').map(|i| i + 1).unwrap_or(0);
    }
    let mut end = text[at..]
        .find('\n')
        .map(|i| at + i + 1)
        .unwrap_or(text.len());
    if end < text.len() {
        end = text[end..]
            .find('\n')
            .map(|i| end + i)
            .unwrap_or(text.len());
    }
    let first_line = line
        .saturating_sub(text[start..at].matches('\n').count())
        .max(1);
    (&text[start..end], first_line, start)
}

pub fn human(diags: &[Diagnostic], sources: &Sources<'_>, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let file = d.file.as_deref().unwrap_or("-");
        let title = if d.path.is_empty() {
            d.message.clone()
        } else {
            format!("{}: {}", d.path, d.message)
        };
        let mut group = Group::with_title(
            level(d.severity)
                .primary_title(title.clone())
                .id(d.code.as_str()),
        );
        match (sources.get(file), d.byte_range) {
            (Some(text), Some(range)) => {
                let r = caret_range(text, range);
                // Hand the renderer only the lines around the caret: it scans its whole
                // source per snippet, which made a 10k-VM batch file quadratic.
                let line = d.line.map(|l| l as usize).unwrap_or(1);
                let (window, first_line, offset) = window(text, r.start, line);
                let local = r.start - offset..(r.end - offset).min(window.len());
                group = group.element(
                    Snippet::source(window)
                        .path(file)
                        .line_start(first_line)
                        .fold(true)
                        .annotation(AnnotationKind::Primary.span(local)),
                );
            }
            _ => {
                let loc = match (d.line, d.column) {
                    (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
                    _ => file.to_string(),
                };
                group = group.element(Level::NOTE.message(format!("in {loc}")));
            }
        }
        if let Some(h) = &d.help {
            group = group.element(Level::HELP.message(h.clone()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

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

/// A file name as a SARIF artifact URI: relative paths stay relative to the checkout
/// (what code scanning expects), `./` is dropped, and characters a URI cannot hold are
/// percent-encoded.
pub fn artifact_uri(file: &str) -> String {
    let f = file.strip_prefix("./").unwrap_or(file);
    let mut out = String::with_capacity(f.len());
    for b in f.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn sarif(diags: &[Diagnostic]) -> Value {
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut region = serde_json::Map::new();
            for (k, v) in [
                ("startLine", d.line),
                ("startColumn", d.column),
                ("endLine", d.end_line),
                ("endColumn", d.end_column),
            ] {
                if let Some(v) = v {
                    region.insert(k.into(), json!(v));
                }
            }
            let text = match &d.help {
                Some(h) => format!("{}\nhelp: {h}", d.webhook_text()),
                None => d.webhook_text(),
            };
            let mut location = json!({
                "artifactLocation": {"uri": artifact_uri(d.file.as_deref().unwrap_or("-"))},
            });
            if !region.is_empty() {
                location["region"] = Value::Object(region);
            }
            json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0),
                "level": sarif_level(d.severity),
                "message": {"text": text},
                "locations": [{"physicalLocation": location}],
                "properties": {"path": d.path},
            })
        })
        .collect();
    sarif_log(results, json!({"executionSuccessful": true}))
}

/// The SARIF log of a run that could not judge its inputs (a missing file, an unreadable
/// configuration): no results, and a tool execution notification saying why.
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

/// Counts for `--summary`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub files: usize,
    pub vms: usize,
    pub skipped: usize,
    pub errors: usize,
    pub warnings: usize,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `guestnet: 12 files, 5 VMs, 31 skipped, 2 errors, 1 warning`.
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
}
