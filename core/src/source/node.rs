//! A spanned, fully expanded YAML/JSON tree. It exists so that every value keeps its
//! position and so that one bad field does not hide every other diagnostic in the document
//! (serde deserializers stop at the first error; this tree lets us keep going).

use crate::diagnostic::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum ScalarKind {
    /// Plain scalar: its type is resolved from its text (YAML 1.2 core schema).
    Plain,
    /// Quoted or block scalar: always a string.
    Quoted,
}

/// Boxed slices and strings, not `Vec`/`String`: no spare capacity and 16 bytes each, so a
/// node is 48 bytes (it was 64 plus growth slack), which is most of a document's memory.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Box<str>, ScalarKind),
    Seq(Box<[Node]>),
    /// Keys keep their own node so unknown-field diagnostics can point at the key.
    Map(Box<[(Node, Node)]>),
}

/// A [`Span`] in 24 bytes (inputs are limited far below 4 GiB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeSpan {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub start: u32,
    pub end: u32,
}

impl From<Span> for NodeSpan {
    fn from(s: Span) -> Self {
        NodeSpan {
            line: s.line,
            column: s.column,
            end_line: s.end_line,
            end_column: s.end_column,
            start: u32::try_from(s.start).unwrap_or(u32::MAX),
            end: u32::try_from(s.end).unwrap_or(u32::MAX),
        }
    }
}

impl From<NodeSpan> for Span {
    fn from(s: NodeSpan) -> Self {
        Span {
            line: s.line,
            column: s.column,
            end_line: s.end_line,
            end_column: s.end_column,
            start: s.start as usize,
            end: s.end as usize,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: NodeSpan,
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `spec.network.interfaces[1].gateway4` into segments.
pub fn parse_path(path: &str) -> Vec<Seg<'_>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, rest) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        if !name.is_empty() {
            segs.push(Seg::Key(name));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(n) = idx.trim_end_matches(']').parse() {
                segs.push(Seg::Index(n));
            }
        }
    }
    segs
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn get_key(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k),
            _ => None,
        }
    }

    fn index(&self, i: usize) -> Option<&Node> {
        match &self.kind {
            NodeKind::Seq(items) => items.get(i),
            _ => None,
        }
    }

    /// The span of the value at `path`, or of the deepest existing ancestor when the path
    /// names something that is absent (a defaulted field is reported where its parent is).
    /// `key` asks for the key's span instead of the value's.
    pub fn locate(&self, path: &str, key: bool) -> Span {
        self.locate_compact(path, key).into()
    }

    fn locate_compact(&self, path: &str, key: bool) -> NodeSpan {
        let segs = parse_path(path);
        let mut node = self;
        let last = segs.len();
        for (i, seg) in segs.iter().enumerate() {
            let next = match seg {
                Seg::Key(k) if key && i + 1 == last => node.get_key(k),
                Seg::Key(k) => node.get(k),
                Seg::Index(n) => node.index(*n),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node.span
    }

    /// Number of nodes in this subtree (for alias budgets).
    pub fn size(&self) -> usize {
        let mut total = 0usize;
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            total += 1;
            match &n.kind {
                NodeKind::Scalar(..) => {}
                NodeKind::Seq(items) => stack.extend(items.iter()),
                NodeKind::Map(entries) => {
                    for (k, v) in entries {
                        stack.push(k);
                        stack.push(v);
                    }
                }
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Node>(), 48);
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("spec.network.interfaces[1].routes[0].to"),
            vec![
                Seg::Key("spec"),
                Seg::Key("network"),
                Seg::Key("interfaces"),
                Seg::Index(1),
                Seg::Key("routes"),
                Seg::Index(0),
                Seg::Key("to")
            ]
        );
        assert_eq!(parse_path(""), vec![]);
    }
}
