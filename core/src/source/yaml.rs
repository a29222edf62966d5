//! YAML/JSON text -> [`Node`] trees, one per document, under explicit budgets.
//!
//! Built on granit-parser (the event parser behind serde-saphyr) with an explicit stack, so
//! neither deep nesting nor alias bombs can exhaust the stack or memory: every limit ends in a
//! `GN002` diagnostic that says which limit and where.

use super::event::{Ev, Style, TagKind};
use super::node::{Node, NodeKind, ScalarKind};
use crate::diagnostic::{Code, Diagnostic, Span};
use granit_parser::{Event, Marker, Parser, ScalarStyle};
use std::borrow::Cow;
use std::collections::HashMap;

/// Hard limits for untrusted input. Defaults suit VM manifests with room to spare: the
/// largest legitimate value is inline user-data, which GOSC caps at 512 KiB anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    /// Nodes per document after alias expansion.
    pub max_nodes: usize,
    pub max_aliases: usize,
    pub max_scalar_bytes: usize,
    pub max_documents: usize,
    /// Nodes in all documents of one input together: bounds the memory and time one file
    /// (or one text pasted into the browser) can cost, whatever its documents add up to.
    pub max_total_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 64 << 20,
            max_depth: 64,
            max_nodes: 100_000,
            max_aliases: 256,
            max_scalar_bytes: 1 << 20,
            max_documents: 100_000,
            max_total_nodes: 2_000_000,
        }
    }
}

/// A parsed document with its index in the stream (0-based).
#[derive(Debug, Clone)]
pub struct Document {
    pub index: usize,
    pub root: Node,
}

/// The result of reading one file: either every document, or the diagnostic that stopped it.
/// A file with a syntax error yields no documents at all, so nothing is rendered from it.
pub fn parse_documents(text: &str, limits: &Limits) -> Result<Vec<Document>, Diagnostic> {
    let mut docs = Vec::new();
    parse_each(text, limits, &mut |d| docs.push(d))?;
    Ok(docs)
}

/// Like [`parse_documents`], but hands each document over as soon as it is complete, so a
/// caller that drops it keeps at most one document tree in memory. Documents already handed
/// over stay valid even when a later one fails; callers that want all-or-nothing per file
/// (no artifact from a file with a syntax error) discard them on `Err`.
pub fn parse_each(
    text: &str,
    limits: &Limits,
    on_doc: &mut dyn FnMut(Document),
) -> Result<(), Diagnostic> {
    if text.len() > limits.max_bytes {
        return Err(Diagnostic::new(
            Code::LimitExceeded,
            "",
            format!(
                "input is {} bytes; the limit is {} bytes",
                text.len(),
                limits.max_bytes
            ),
        ));
    }
    #[cfg(feature = "fast-yaml")]
    if text.len() <= super::fast::MAX_TEXT {
        // The common shape of a manifest is read by a scanner of its own, ~10x faster. It
        // accepts only text it reads exactly as granit does (same events, same spans) and
        // gives up on anything else, errors included; the text is then read again below, so
        // what a caller sees never depends on which scanner read it. Documents are handed
        // over only once the whole text is read, so giving up leaves no trace.
        let mut docs = Vec::new();
        let read = {
            let mut keep = |d| docs.push(d);
            let mut b = Builder::new(limits, &mut keep);
            super::fast::scan(text, limits.max_depth, &mut |ev, span| {
                b.event(ev, span).map_err(|_| super::fast::GiveUp)
            })
        };
        if read.is_ok() {
            for d in docs {
                on_doc(d);
            }
            return Ok(());
        }
    }
    let mut b = Builder::new(limits, on_doc);
    granit_events(text, |ev, span| b.event(ev, span)).map_err(|e| match e {
        Stop::Syntax(span, info) => Diagnostic::new(Code::YamlSyntax, "", info).with_span(span),
        Stop::Sink(d) => d,
    })
}

/// The fast scanner's contract, for tests and the `yaml_fast` fuzz target: `Ok(false)` when
/// it gives up on `text`, `Ok(true)` when it reads it and granit reads it to the same events
/// and spans, and `Err` with both streams when they differ (a bug in the fast scanner).
#[cfg(feature = "fast-yaml")]
#[doc(hidden)]
pub fn fast_scan_agrees(text: &str) -> Result<bool, String> {
    // Document markers' own spans are not used (only a limit error would show them, and the
    // fast path gives up on every error).
    fn record<'t>(v: &mut Vec<(Ev<'t>, Span)>, ev: Ev<'t>, span: Span) {
        let span = match ev {
            Ev::DocStart | Ev::DocEnd => Span::default(),
            _ => span,
        };
        v.push((ev, span));
    }
    let mut fast = Vec::new();
    if super::fast::scan(text, Limits::default().max_depth, &mut |ev, span| {
        record(&mut fast, ev, span);
        Ok(())
    })
    .is_err()
    {
        return Ok(false);
    }
    let mut slow = Vec::new();
    let read = granit_events(text, |ev, span| {
        record(&mut slow, ev, span);
        Ok::<(), ()>(())
    });
    if let Err(Stop::Syntax(at, info)) = read {
        return Err(format!(
            "granit rejects what the fast scanner read: {info} at line {}, column {}",
            at.line, at.column
        ));
    }
    if fast != slow {
        let at = fast.iter().zip(&slow).position(|(a, b)| a != b);
        return Err(format!(
            "the scanners differ at event {at:?}:\nfast:   {fast:?}\ngranit: {slow:?}"
        ));
    }
    Ok(true)
}

/// Why an event stream stopped.
pub(crate) enum Stop<E> {
    /// granit found a syntax error at this place.
    Syntax(Span, String),
    /// The sink refused an event.
    Sink(E),
}

/// granit's events as [`Ev`]s with spans.
pub(crate) fn granit_events<'t, E>(
    text: &'t str,
    mut sink: impl FnMut(Ev<'t>, Span) -> Result<(), E>,
) -> Result<(), Stop<E>> {
    let pos = Positions::new(text);
    for ev in Parser::new_from_str(text) {
        let (event, gspan) = match ev {
            Ok(e) => e,
            Err(e) => {
                let m = *e.marker();
                return Err(Stop::Syntax(pos.span_of(m, m), e.info().to_string()));
            }
        };
        let span = pos.span_of(gspan.start, gspan.end);
        let ev = match event {
            Event::DocumentStart(..) => Ev::DocStart,
            Event::DocumentEnd => Ev::DocEnd,
            Event::Alias(id) => Ev::Alias(id),
            Event::Scalar(value, style, anchor, tag) => {
                let tag = match &tag {
                    None => TagKind::None,
                    Some(t)
                        if t.suffix_in_namespace("tag:yaml.org,2002:").as_deref()
                            == Some("binary") =>
                    {
                        TagKind::Binary
                    }
                    Some(t) if t.is_yaml_core_schema_tag("str") => TagKind::Str,
                    Some(_) => TagKind::Other,
                };
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::Single,
                    ScalarStyle::DoubleQuoted => Style::Double,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                Ev::Scalar {
                    value,
                    style,
                    anchor,
                    tag,
                }
            }
            Event::SequenceStart(style, anchor, _) => Ev::SeqStart {
                anchor,
                flow: style == granit_parser::StructureStyle::Flow,
            },
            Event::MappingStart(style, anchor, _) => Ev::MapStart {
                anchor,
                flow: style == granit_parser::StructureStyle::Flow,
            },
            Event::SequenceEnd => Ev::SeqEnd,
            Event::MappingEnd => Ev::MapEnd,
            // Stream markers, comments and anchor metadata are presentation only.
            _ => continue,
        };
        sink(ev, span).map_err(Stop::Sink)?;
    }
    Ok(())
}

/// An open collection. Its children wait on the builder's shared stacks (from `from` on),
/// so that each collection is allocated once, at its exact size, when it closes.
enum Frame {
    Seq {
        from: usize,
        start: Span,
        anchor: usize,
    },
    Map {
        from: usize,
        key: Option<Node>,
        start: Span,
        anchor: usize,
    },
}

struct Builder<'a> {
    limits: &'a Limits,
    on_doc: &'a mut dyn FnMut(Document),
    /// Nodes of every document so far (for `max_total_nodes`).
    total: usize,
    stack: Vec<Frame>,
    /// Items of the open sequences, and entries of the open mappings, innermost last.
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    aliases: usize,
    doc_index: usize,
}

/// Turns granit's markers (line, char column, byte offset when it has one) into [`Span`]s.
pub(crate) struct Positions<'a> {
    text: &'a str,
    /// Byte offset of the start of each line, to turn char markers into byte ranges; built
    /// only if the parser ever gives a marker without a byte offset (8 bytes per line).
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Positions<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Positions {
            text,
            line_starts: std::cell::OnceCell::new(),
        }
    }

    fn byte_of(&self, m: Marker) -> usize {
        if let Some(b) = m.byte_offset() {
            return b.min(self.text.len());
        }
        let line_start = self
            .line_starts
            .get_or_init(|| {
                let mut v = vec![0];
                v.extend(self.text.match_indices('\n').map(|(i, _)| i + 1));
                v
            })
            .get(m.line().saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let rest = self.text.get(line_start..).unwrap_or("");
        line_start
            + rest
                .char_indices()
                .nth(m.col())
                .map(|(i, _)| i)
                .unwrap_or(rest.len())
    }

    pub(crate) fn span_of(&self, start: Marker, end: Marker) -> Span {
        Span {
            line: u32::try_from(start.line().max(1)).unwrap_or(u32::MAX),
            column: u32::try_from(start.col() + 1).unwrap_or(u32::MAX),
            end_line: u32::try_from(end.line().max(1)).unwrap_or(u32::MAX),
            end_column: u32::try_from(end.col() + 1).unwrap_or(u32::MAX),
            start: self.byte_of(start),
            end: self.byte_of(end),
        }
    }
}

impl<'a> Builder<'a> {
    fn new(limits: &'a Limits, on_doc: &'a mut dyn FnMut(Document)) -> Self {
        Builder {
            limits,
            on_doc,
            total: 0,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            aliases: 0,
            doc_index: 0,
        }
    }

    fn limit(&self, span: Span, what: String) -> Diagnostic {
        Diagnostic::new(Code::LimitExceeded, "", what)
            .with_span(span)
            .with_help(
                "guestnet bounds depth, node count, aliases and value size so that hostile input \
             cannot exhaust memory; split the input or remove anchors/aliases",
            )
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), Diagnostic> {
        self.nodes += n;
        self.total += n;
        if self.total > self.limits.max_total_nodes {
            return Err(self.limit(
                span,
                format!(
                    "the input has more than {} nodes in all its documents",
                    self.limits.max_total_nodes
                ),
            ));
        }
        if self.nodes > self.limits.max_nodes {
            return Err(self.limit(
                span,
                format!(
                    "document has more than {} nodes after alias expansion",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Ev<'_>, span: Span) -> Result<(), Diagnostic> {
        match event {
            Ev::DocStart => {
                self.nodes = 0;
                self.aliases = 0;
                self.anchors.clear();
                if self.doc_index >= self.limits.max_documents {
                    return Err(self.limit(
                        span,
                        format!("more than {} documents", self.limits.max_documents),
                    ));
                }
            }
            Ev::DocEnd => {
                self.doc_index += 1;
            }
            Ev::Alias(id) => {
                self.aliases += 1;
                if self.aliases > self.limits.max_aliases {
                    return Err(self.limit(
                        span,
                        format!("more than {} aliases", self.limits.max_aliases),
                    ));
                }
                let Some(target) = self.anchors.get(&id) else {
                    return Err(
                        Diagnostic::new(Code::YamlSyntax, "", "unknown alias").with_span(span)
                    );
                };
                let size = target.size();
                let nodes = self.nodes + size;
                self.total += size;
                if self.total > self.limits.max_total_nodes {
                    return Err(self.limit(
                        span,
                        format!(
                            "the input has more than {} nodes in all its documents",
                            self.limits.max_total_nodes
                        ),
                    ));
                }
                if nodes > self.limits.max_nodes {
                    return Err(self.limit(
                        span,
                        format!(
                            "document has more than {} nodes after alias expansion",
                            self.limits.max_nodes
                        ),
                    ));
                }
                let mut node = target.clone();
                self.nodes = nodes;
                node.span = span.into();
                self.push(node)?;
            }
            Ev::Scalar {
                value,
                style,
                anchor,
                tag,
            } => {
                if value.len() > self.limits.max_scalar_bytes {
                    return Err(self.limit(
                        span,
                        format!(
                            "a value of {} bytes exceeds the limit of {} bytes",
                            value.len(),
                            self.limits.max_scalar_bytes
                        ),
                    ));
                }
                self.count(1, span)?;
                // `!!binary` is a YAML 1.1 type (not in the 1.2 core schema) that kubectl decodes.
                let (text, forced_str) = match tag {
                    TagKind::Binary => (decode_binary(&value, span)?, true),
                    TagKind::Str => (Cow::into_owned(value), true),
                    TagKind::None | TagKind::Other => (Cow::into_owned(value), false),
                };
                // YAML excludes these from printable text, though an escape can produce
                // them; guestnet also uses U+FFFF internally to mark placeholders.
                if let Some(c) = text.chars().find(|c| matches!(c, '\u{FFFE}' | '\u{FFFF}')) {
                    return Err(Diagnostic::new(
                        Code::YamlSyntax,
                        "",
                        format!(
                            "U+{:04X} is not a character YAML text may contain",
                            u32::from(c)
                        ),
                    )
                    .with_span(span));
                }
                let kind = if style == Style::Plain && !forced_str {
                    ScalarKind::Plain
                } else {
                    ScalarKind::Quoted
                };
                let node = Node {
                    kind: NodeKind::Scalar(text.into_boxed_str(), kind),
                    span: span.into(),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)?;
            }
            Ev::SeqStart { anchor, .. } => {
                self.open(span)?;
                self.stack.push(Frame::Seq {
                    from: self.items.len(),
                    start: span,
                    anchor,
                });
            }
            Ev::MapStart { anchor, .. } => {
                self.open(span)?;
                self.stack.push(Frame::Map {
                    from: self.entries.len(),
                    key: None,
                    start: span,
                    anchor,
                });
            }
            Ev::SeqEnd | Ev::MapEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        from,
                        start,
                        anchor,
                    } => (
                        Node {
                            kind: NodeKind::Seq(self.items.drain(from..).collect()),
                            span: join(start, span).into(),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        from,
                        start,
                        anchor,
                        ..
                    } => (
                        Node {
                            kind: NodeKind::Map(
                                merge_keys(self.entries.drain(from..).collect())?
                                    .into_boxed_slice(),
                            ),
                            span: join(start, span).into(),
                        },
                        anchor,
                    ),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)?;
            }
        }
        Ok(())
    }

    fn open(&mut self, span: Span) -> Result<(), Diagnostic> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.limit(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.count(1, span)
    }

    fn push(&mut self, node: Node) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => {
                // An empty document (`---` alone) is skipped, as kubectl does.
                let empty = matches!(&node.kind, NodeKind::Scalar(s, ScalarKind::Plain)
                    if s.is_empty() || &**s == "~" || &**s == "null");
                if !empty {
                    (self.on_doc)(Document {
                        index: self.doc_index,
                        root: node,
                    });
                }
            }
            Some(Frame::Seq { .. }) => self.items.push(node),
            Some(Frame::Map { from, key, .. }) => match key.take() {
                None => {
                    if !matches!(node.kind, NodeKind::Scalar(..)) {
                        return Err(Diagnostic::new(
                            Code::WrongType,
                            "",
                            "mapping keys must be strings",
                        )
                        .with_span(node.span));
                    }
                    let open = self.entries.get(*from..).unwrap_or_default();
                    if let Some((first, _)) = open.iter().find(|(k, _)| k.as_str() == node.as_str())
                    {
                        return Err(Diagnostic::new(
                            Code::DuplicateKey,
                            "",
                            format!(
                                "duplicate key `{}` (first at line {})",
                                node.as_str().unwrap_or_default(),
                                first.span.line
                            ),
                        )
                        .with_span(node.span)
                        .with_help("YAML mappings may not repeat a key; keep one of them"));
                    }
                    *key = Some(node);
                }
                Some(k) => self.entries.push((k, node)),
            },
        }
        Ok(())
    }
}

/// A `!!binary` scalar as kubectl reads it: the base64 text decoded. guestnet's fields are
/// text, so bytes that are not UTF-8 are an error rather than a silently mangled value.
fn decode_binary(value: &str, span: Span) -> Result<String, Diagnostic> {
    use base64::Engine;
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| {
            Diagnostic::new(
                Code::WrongType,
                "",
                format!("!!binary value is not base64: {e}"),
            )
            .with_span(span)
        })?;
    String::from_utf8(bytes).map_err(|_| {
        Diagnostic::new(
            Code::WrongType,
            "",
            "!!binary value does not decode to UTF-8 text",
        )
        .with_span(span)
        .with_help("write the value as a plain or quoted string")
    })
}

fn is_merge_key(k: &Node) -> bool {
    matches!(&k.kind, NodeKind::Scalar(s, ScalarKind::Plain) if &**s == "<<")
}

/// YAML 1.1 merge keys (`<<: *base`), which kubectl's reader (go-yaml v2) applies: keys written
/// in the mapping win over merged ones, and an earlier mapping in a `<<: [*a, *b]` list wins
/// over a later one. Merged entries keep the position of the text they came from. The nodes
/// were counted against the budget when they were built or expanded, so moving them is free.
fn merge_keys(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, Diagnostic> {
    if !entries.iter().any(|(k, _)| is_merge_key(k)) {
        return Ok(entries);
    }
    let (merges, mut own): (Vec<_>, Vec<_>) =
        entries.into_iter().partition(|(k, _)| is_merge_key(k));
    let mut seen: std::collections::HashSet<String> = own
        .iter()
        .filter_map(|(k, _)| k.as_str().map(str::to_string))
        .collect();
    let not_a_map = |span: Span| {
        Diagnostic::new(
            Code::WrongType,
            "",
            "map merge requires map or sequence of maps as the value",
        )
        .with_span(span)
    };
    for (_, value) in merges {
        let sources = match value.kind {
            NodeKind::Map(_) => vec![value],
            NodeKind::Seq(items) => items.into_vec(),
            NodeKind::Scalar(..) => return Err(not_a_map(value.span.into())),
        };
        for src in sources {
            let NodeKind::Map(src_entries) = src.kind else {
                return Err(not_a_map(src.span.into()));
            };
            for (k, v) in src_entries {
                if let Some(name) = k.as_str()
                    && seen.insert(name.to_string())
                {
                    own.push((k, v));
                }
            }
        }
    }
    Ok(own)
}

fn join(start: Span, end: Span) -> Span {
    Span {
        end_line: end.end_line,
        end_column: end.end_column,
        end: end.end,
        ..start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Vec<Document>, Diagnostic> {
        parse_documents(s, &Limits::default())
    }

    #[test]
    fn multi_document_with_positions() {
        let docs = parse("a: 1\n---\nb:\n  c: \"x\"\n---\n").unwrap();
        assert_eq!(docs.len(), 2);
        let c = docs[1].root.get("b").unwrap().get("c").unwrap();
        assert_eq!((c.span.line, c.span.column), (4, 6));
        assert_eq!(c.kind, NodeKind::Scalar("x".into(), ScalarKind::Quoted));
    }

    #[test]
    fn json_is_accepted() {
        let docs = parse("{\"a\": [1, \"b\"]}").unwrap();
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn syntax_error_has_location() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(e.code, Code::YamlSyntax);
        assert!(e.line.is_some());
    }

    #[test]
    fn duplicate_key_is_an_error() {
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.code, Code::DuplicateKey);
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut s = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            s.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
        }
        let e = parse(&s).unwrap_err();
        assert_eq!(e.code, Code::LimitExceeded);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let block = format!("{}x\n", "- ".repeat(10_000));
        assert_eq!(parse(&block).unwrap_err().code, Code::LimitExceeded);
        let flow = "[".repeat(100_000);
        assert!(parse(&flow).is_err());
        let nested: String = (0..200)
            .map(|i| format!("{}k:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(parse(&nested).unwrap_err().code, Code::LimitExceeded);
    }

    #[test]
    fn huge_scalar_is_bounded() {
        let s = format!("a: \"{}\"\n", "x".repeat((1 << 20) + 1));
        assert_eq!(parse(&s).unwrap_err().code, Code::LimitExceeded);
    }

    #[test]
    fn total_nodes_across_documents_are_bounded() {
        let limits = Limits {
            max_total_nodes: 1_000,
            ..Limits::default()
        };
        let many = "a: [1, 2, 3]\n---\n".repeat(200);
        let e = parse_documents(&many, &limits).unwrap_err();
        assert_eq!(e.code, Code::LimitExceeded);
        assert!(e.message.contains("all its documents"), "{}", e.message);
        assert_eq!(
            parse_documents(&many, &Limits::default()).unwrap().len(),
            200
        );
    }

    #[test]
    fn merge_keys_are_applied_as_kubectl_does() {
        let docs = parse(
            "base: &b {mtu: 1500, dhcp4: true}\nother: &o {mtu: 9000, gateway4: 10.0.0.1}\nnic:\n  <<: [*b, *o]\n  dhcp4: false\n",
        )
        .unwrap();
        let nic = docs[0].root.get("nic").unwrap();
        assert_eq!(nic.get("mtu").unwrap().as_str(), Some("1500"));
        assert_eq!(nic.get("dhcp4").unwrap().as_str(), Some("false"));
        assert_eq!(nic.get("gateway4").unwrap().as_str(), Some("10.0.0.1"));
        assert!(nic.get("<<").is_none());
        // The merged value points at the text it came from.
        assert_eq!(nic.get("mtu").unwrap().span.line, 1);
        assert_eq!(
            parse("a:\n  <<: 3\n").unwrap_err().message,
            "map merge requires map or sequence of maps as the value"
        );
    }

    #[test]
    fn documents_are_handed_over_one_by_one() {
        let mut seen = Vec::new();
        let r = parse_each(
            "a: 1\n---\nb: 2\n---\nc: [\n",
            &Limits::default(),
            &mut |d| seen.push(d.index),
        );
        assert_eq!(seen, vec![0, 1]);
        assert_eq!(r.unwrap_err().code, Code::YamlSyntax);
    }

    #[test]
    fn binary_scalars_are_decoded() {
        let docs = parse("a: !!binary aG9z\n  dC0x\n").unwrap();
        assert_eq!(
            docs[0].root.get("a").unwrap().kind,
            NodeKind::Scalar("host-1".into(), ScalarKind::Quoted)
        );
        assert_eq!(
            parse("a: !!binary '@@'\n").unwrap_err().code,
            Code::WrongType
        );
        assert_eq!(
            parse("a: !!binary /w==\n").unwrap_err().code,
            Code::WrongType
        );
    }

    #[test]
    fn noncharacters_are_refused() {
        assert_eq!(
            parse("a: \"\\uFFFF\"\n").unwrap_err().code,
            Code::YamlSyntax
        );
    }

    #[test]
    fn empty_documents_are_skipped() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("---\n---\n").unwrap().is_empty());
    }
}
