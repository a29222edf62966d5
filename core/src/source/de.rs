//! A serde `Deserializer` over [`Node`] that reports instead of aborting.
//!
//! Unknown fields (with a "did you mean" hint), type errors and YAML 1.1 pitfalls become
//! diagnostics at the exact node; the offending value is replaced by a neutral one and its
//! path is *poisoned*, so later semantic rules do not pile more errors onto the same field.
//! That is what lets one `validate` run report a typo'd field *and* every other problem.

use super::node::{Node, NodeKind, ScalarKind};
use crate::convert::history;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::ApiVersion;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::cell::RefCell;
use std::fmt;

/// Collects what the deserializer reports.
#[derive(Debug, Default)]
pub struct Sink {
    pub diagnostics: RefCell<Vec<Diagnostic>>,
    /// Paths whose value was replaced; rules must not report on them again.
    pub poisoned: RefCell<Vec<String>>,
    /// The document's API version: an unknown field that another served version has gets
    /// a hint naming it (`this field exists only in v1alpha3 and later`).
    pub version: Option<ApiVersion>,
}

impl Sink {
    /// A sink whose unknown-field hints know the document's API version.
    pub fn for_version(version: ApiVersion) -> Sink {
        Sink {
            version: Some(version),
            ..Sink::default()
        }
    }
}

impl Sink {
    fn report(&self, d: Diagnostic, poison: bool) {
        if poison {
            self.poisoned.borrow_mut().push(d.path.clone());
        }
        self.diagnostics.borrow_mut().push(d);
    }
}

/// Fatal deserialization error (should be rare: leaf problems are recovered).
#[derive(Debug)]
pub struct DeError(pub Box<Diagnostic>);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}
impl std::error::Error for DeError {}
impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(Box::new(Diagnostic::new(
            Code::WrongType,
            "",
            msg.to_string(),
        )))
    }
    fn missing_field(field: &'static str) -> Self {
        DeError(Box::new(Diagnostic::required(
            Code::MissingField,
            "",
            &format!("`{field}` is required"),
        )))
    }
}

/// Deserializes `T` from `node`, reporting into `sink`. `Err` only when recovery was impossible.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &Node, sink: &Sink) -> Result<T, Diagnostic> {
    T::deserialize(NodeDe {
        node,
        path: PathLink::Root,
        sink,
    })
    .map_err(|e| *e.0)
}

/// A field path as a borrowed chain, turned into text only when something is reported:
/// most values are fine, and formatting a path per value was a tenth of the load time.
#[derive(Clone, Copy)]
enum PathLink<'p> {
    Root,
    Key(&'p PathLink<'p>, &'p str),
    Index(&'p PathLink<'p>, usize),
}

impl PathLink<'_> {
    fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                PathLink::Root => break,
                PathLink::Key(parent, k) => {
                    segs.push(Err(*k));
                    cur = parent;
                }
                PathLink::Index(parent, i) => {
                    segs.push(Ok(*i));
                    cur = parent;
                }
            }
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Err(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Ok(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

pub(crate) struct NodeDe<'a, 'p> {
    node: &'a Node,
    path: PathLink<'p>,
    sink: &'a Sink,
}

/// What a plain scalar means under the YAML 1.2 core schema (what JSON-minded readers see).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str,
}

fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(s) {
        return Resolved::Int(i);
    }
    let b = s.as_bytes();
    let looks_float = b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && b.iter().any(|c| c.is_ascii_digit());
    if looks_float && let Ok(f) = s.parse::<f64>() {
        return Resolved::Float(f);
    }
    Resolved::Str
}

/// An integer as kubectl reads it. sigs.k8s.io/yaml's go-yaml v2 tries plain scalars that
/// start with a digit or a sign as Go's `strconv.ParseInt(s, 0, 64)` after deleting every
/// `_` (so `0x`, `0o`, `0b` prefixes, and a leading `0` means octal: `01500` is 832), then
/// `ParseUint`, then a `0b` prefix of its own. Anything else is not an integer.
fn parse_int(s: &str) -> Option<i128> {
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    let plain = s.replace('_', "");
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, plain.get(1..)?),
        Some(b'+') => (false, plain.get(1..)?),
        _ => (false, plain.as_str()),
    };
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(digits, radix).ok()?;
    let v = if neg { -v } else { v };
    let fits = i64::try_from(v).is_ok() || (!neg && u64::try_from(v).is_ok());
    fits.then_some(v)
}

/// The same text under the YAML 1.2 core schema (editors' YAML language server, yq, most
/// non-Go tooling): decimal, `0x` or `0o`, no underscores, no `0b`, no leading-zero octal.
fn parse_int_yaml12(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    let v = if let Some(h) = body.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()?
    } else if let Some(o) = body.strip_prefix("0o") {
        i128::from_str_radix(o, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|c| c.is_ascii_digit()) {
        body.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

/// What a YAML 1.2 reader makes of a plain scalar that kubectl reads as the integer `k8s`,
/// when the two differ.
fn yaml12_disagrees(s: &str, k8s: i128) -> Option<String> {
    match parse_int_yaml12(s) {
        Some(v) if v == k8s => None,
        Some(v) => Some(format!("the number {v}")),
        None => Some(format!("the string \"{s}\"")),
    }
}

/// YAML 1.1 (what kubectl's go-yaml reads) turns these plain scalars into booleans.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => Some(true),
        "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => Some(false),
        _ => None,
    }
}

/// YAML 1.1 base-60 integers, e.g. an all-digit MAC `50:12:34:56:12:34`. go-yaml (kubectl)
/// deliberately does not implement them; PyYAML does.
fn yaml11_sexagesimal(s: &str) -> bool {
    let body = s.trim_start_matches(['-', '+']);
    let mut parts = body.split(':');
    let Some(first) = parts.next() else {
        return false;
    };
    let mut rest = 0;
    let ok_first = !first.is_empty() && first.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    let ok_rest = parts.all(|p| {
        rest += 1;
        let p = p.split('.').next().unwrap_or(p);
        !p.is_empty()
            && p.len() <= 2
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u8>().is_ok_and(|n| n < 60)
    });
    ok_first && ok_rest && rest > 0
}

fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Seq(_) => "a list".into(),
        NodeKind::Map(_) => "a mapping".into(),
        NodeKind::Scalar(s, ScalarKind::Quoted) => format!("the string {}", short(s)),
        NodeKind::Scalar(s, ScalarKind::Plain) => match resolve_plain(s) {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => format!("the boolean {b}"),
            Resolved::Int(i) => format!("the integer {i}"),
            Resolved::Float(_) => format!("the number {s}"),
            Resolved::Str => format!("the string {}", short(s)),
        },
    }
}

fn short(s: &str) -> String {
    let cut: String = s.chars().take(40).collect();
    if cut.len() < s.len() {
        crate::diagnostic::go_quote(&format!("{cut}…"))
    } else {
        crate::diagnostic::go_quote(s)
    }
}

/// Edit distance for "did you mean" hints.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

/// The closest known field, if it is close enough to be a plausible typo.
pub fn did_you_mean<'f>(key: &str, fields: &[&'f str]) -> Option<&'f str> {
    let lower = key.to_ascii_lowercase();
    if let Some(f) = fields.iter().find(|f| f.to_ascii_lowercase() == lower) {
        return Some(f);
    }
    fields
        .iter()
        .map(|f| (levenshtein(key, f), *f))
        .filter(|(d, f)| *d <= (f.len().max(key.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, f)| f)
}

/// Hints for fields people commonly put in the wrong place.
fn misplaced_hint(path: &str, key: &str) -> Option<&'static str> {
    match key {
        "joinDomain" if path.ends_with("identification") => Some(
            "the API has no joinDomain (removed in v1alpha3): the domain to join is \
             spec.network.domainName",
        ),
        "gateway" | "gateways" if path.contains("interfaces[") => {
            Some("use gateway4 and/or gateway6")
        }
        "ip" | "ips" | "address" | "ipAddress" if path.contains("interfaces[") => {
            Some("use addresses: a list of CIDRs such as 192.168.1.10/24")
        }
        "dns" | "dnsServers" => Some("use nameservers"),
        _ => None,
    }
}

impl<'a, 'p> NodeDe<'a, 'p> {
    fn child<'s>(&'s self, node: &'a Node, seg: &'a str) -> NodeDe<'a, 's> {
        NodeDe {
            node,
            path: PathLink::Key(&self.path, seg),
            sink: self.sink,
        }
    }

    fn item<'s>(&'s self, node: &'a Node, i: usize) -> NodeDe<'a, 's> {
        NodeDe {
            node,
            path: PathLink::Index(&self.path, i),
            sink: self.sink,
        }
    }

    fn diag(&self, code: Code, message: String) -> Diagnostic {
        Diagnostic::new(code, self.path.render(), message).with_span(self.node.span)
    }

    /// Reports a type mismatch and poisons the path; the caller then visits a neutral value.
    fn mismatch(&self, expected: &str) {
        let mut d = self.diag(
            Code::WrongType,
            format!("expected {expected}, found {}", describe(self.node)),
        );
        if matches!(&self.node.kind, NodeKind::Scalar(_, ScalarKind::Plain))
            && expected == "a string"
        {
            d = d.with_help("quote the value so that it stays a string");
        }
        self.sink.report(d, true);
    }

    fn locate(&self, mut e: DeError) -> DeError {
        if e.0.path.is_empty() && !e.0.has_span() {
            e.0.path = self.path.render();
            e.0.set_span(self.node.span);
        }
        e
    }

    fn scalar(&self) -> Option<(&'a str, &'a ScalarKind)> {
        match &self.node.kind {
            NodeKind::Scalar(s, k) => Some((&**s, k)),
            _ => None,
        }
    }

    fn int<T: TryFrom<i128>>(&self, what: &str) -> Option<T> {
        let value = match self.scalar() {
            Some((s, ScalarKind::Plain)) => match resolve_plain(s) {
                Resolved::Int(i) => {
                    if let Some(other) = yaml12_disagrees(s, i) {
                        // Where YAML 1.2 readers see a string, editors and JSON Schema
                        // reject the value kubectl accepts: an error, as for `yes`.
                        let severity = if other.starts_with("the string") {
                            Severity::Error
                        } else {
                            Severity::Warning
                        };
                        self.sink.report(
                            self.diag(
                                Code::Yaml11Boolean,
                                format!("kubectl reads the unquoted {s} as the number {i}; YAML 1.2 readers (editors, yq) see {other}"),
                            )
                            .with_help(format!("write {i} if that is what you mean"))
                            .with_severity(severity),
                            false,
                        );
                    }
                    Some(i)
                }
                // YAML -> JSON keeps no int/float distinction: kubectl sends 1500.0 as 1500.
                Resolved::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i128),
                _ => None,
            },
            _ => None,
        };
        let Some(i) = value else {
            self.mismatch(what);
            return None;
        };
        match T::try_from(i) {
            Ok(v) => Some(v),
            Err(_) => {
                self.sink.report(
                    self.diag(Code::WrongType, format!("{i} is out of range for {what}")),
                    true,
                );
                None
            }
        }
    }

    fn string(&self) -> String {
        match self.scalar() {
            Some((s, ScalarKind::Quoted)) => s.to_string(),
            Some((s, ScalarKind::Plain)) => match resolve_plain(s) {
                Resolved::Str => {
                    if yaml11_sexagesimal(s) {
                        self.sink.report(
                            self.diag(
                                Code::Yaml11Boolean,
                                format!(
                                    "YAML 1.1 readers such as PyYAML (Ansible, the Python Kubernetes client) turn the unquoted {s} into a base-60 number; kubectl keeps the string"
                                ),
                            )
                            .with_help(format!("quote it: \"{s}\"")),
                            false,
                        );
                    } else if yaml11_bool(s).is_some() {
                        self.sink.report(
                            self.diag(
                                Code::Yaml11Boolean,
                                format!("kubectl's YAML 1.1 reader turns the unquoted {s} into a boolean"),
                            )
                            .with_help(format!("quote it: \"{s}\"")),
                            false,
                        );
                    }
                    s.to_string()
                }
                _ => {
                    self.mismatch("a string");
                    String::new()
                }
            },
            None => {
                self.mismatch("a string");
                String::new()
            }
        }
    }

    fn boolean(&self) -> bool {
        match self.scalar() {
            Some((s, ScalarKind::Plain)) => match resolve_plain(s) {
                Resolved::Bool(b) => b,
                _ => match yaml11_bool(s) {
                    Some(b) => {
                        self.sink.report(
                            // kubectl (YAML 1.1) reads `yes` as true, but editors, JSON
                            // Schema validators and every YAML 1.2 reader see the string
                            // "yes": the manifest means two things, so it is an error.
                            self.diag(
                                Code::Yaml11Boolean,
                                format!(
                                    "`{s}` is a boolean only in YAML 1.1: kubectl reads {b}, YAML 1.2 readers (editors, JSON Schema) read the string {}",
                                    crate::diagnostic::go_quote(s)
                                ),
                            )
                            .with_help(format!("write {b}"))
                            .with_severity(Severity::Error),
                            false,
                        );
                        b
                    }
                    None => {
                        self.mismatch("a boolean (true or false)");
                        false
                    }
                },
            },
            _ => {
                self.mismatch("a boolean (true or false)");
                false
            }
        }
    }
}

macro_rules! de_int {
    ($($method:ident => $visit:ident, $ty:ty, $what:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            let n: $ty = self.int($what).unwrap_or_default();
            v.$visit(n).map_err(|e| self.locate(e))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.kind {
            NodeKind::Seq(_) => return self.deserialize_seq(v),
            NodeKind::Map(_) => return self.deserialize_map(v),
            NodeKind::Scalar(s, ScalarKind::Quoted) => v.visit_str(s),
            NodeKind::Scalar(s, ScalarKind::Plain) => match resolve_plain(s) {
                Resolved::Null => v.visit_unit(),
                Resolved::Bool(b) => v.visit_bool(b),
                Resolved::Int(i) => match (i64::try_from(i), u64::try_from(i)) {
                    (Ok(n), _) => v.visit_i64(n),
                    (_, Ok(n)) => v.visit_u64(n),
                    _ => v.visit_str(s),
                },
                Resolved::Float(f) => v.visit_f64(f),
                Resolved::Str => v.visit_str(s),
            },
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let b = self.boolean();
        v.visit_bool(b).map_err(|e| self.locate(e))
    }

    de_int! {
        deserialize_i8 => visit_i8, i8, "an 8-bit integer";
        deserialize_i16 => visit_i16, i16, "a 16-bit integer";
        deserialize_i32 => visit_i32, i32, "a 32-bit integer";
        deserialize_i64 => visit_i64, i64, "a 64-bit integer";
        deserialize_u8 => visit_u8, u8, "an unsigned 8-bit integer";
        deserialize_u16 => visit_u16, u16, "an unsigned 16-bit integer";
        deserialize_u32 => visit_u32, u32, "an unsigned 32-bit integer";
        deserialize_u64 => visit_u64, u64, "an unsigned 64-bit integer";
    }

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let f = match self.scalar() {
            Some((s, ScalarKind::Plain)) => match resolve_plain(s) {
                Resolved::Float(f) => f,
                Resolved::Int(i) => i as f64,
                _ => {
                    self.mismatch("a number");
                    0.0
                }
            },
            _ => {
                self.mismatch("a number");
                0.0
            }
        };
        v.visit_f64(f).map_err(|e| self.locate(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let s = self.string();
        v.visit_string(s).map_err(|e| self.locate(e))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let is_null = matches!(&self.node.kind,
            NodeKind::Scalar(s, ScalarKind::Plain) if resolve_plain(s) == Resolved::Null);
        if is_null {
            v.visit_none().map_err(|e| self.locate(e))
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit().map_err(|e| self.locate(e))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let items: &[Node] = match &self.node.kind {
            NodeKind::Seq(items) => items,
            NodeKind::Scalar(s, ScalarKind::Plain) if resolve_plain(s) == Resolved::Null => &[],
            _ => {
                self.mismatch("a list");
                &[]
            }
        };
        let r = v.visit_seq(Seq {
            de: &self,
            items,
            i: 0,
        });
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.map_with_fields(None, v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        self.map_with_fields(Some(fields), v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let s = self.string();
        let r = v.visit_enum(s.into_deserializer());
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_string(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
}

impl NodeDe<'_, '_> {
    fn map_with_fields<'de, V: Visitor<'de>>(
        self,
        fields: Option<&'static [&'static str]>,
        v: V,
    ) -> Result<V::Value, DeError> {
        let entries: &[(Node, Node)] = match &self.node.kind {
            NodeKind::Map(entries) => entries,
            NodeKind::Scalar(s, ScalarKind::Plain) if resolve_plain(s) == Resolved::Null => &[],
            _ => {
                self.mismatch("a mapping");
                &[]
            }
        };
        let r = v.visit_map(Map {
            de: &self,
            entries,
            fields,
            i: 0,
            read_as: Vec::new(),
        });
        r.map_err(|e| self.locate(e))
    }
}

struct Seq<'s, 'a, 'p> {
    de: &'s NodeDe<'a, 'p>,
    items: &'a [Node],
    i: usize,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.i) else {
            return Ok(None);
        };
        let child = self.de.item(node, self.i);
        self.i += 1;
        seed.deserialize(child).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len().saturating_sub(self.i))
    }
}

struct Map<'s, 'a, 'p> {
    de: &'s NodeDe<'a, 'p>,
    entries: &'a [(Node, Node)],
    fields: Option<&'static [&'static str]>,
    i: usize,
    /// Fields a typo'd key was read as (each at most once).
    read_as: Vec<&'static str>,
}

impl<'a> Map<'_, 'a, '_> {
    /// The next key to hand to the visitor: a known field, or the field a typo'd key is read
    /// as. Unknown keys are reported and skipped.
    #[inline(never)]
    fn next_key(&mut self) -> Option<&'a str> {
        while let Some((k, _)) = self.entries.get(self.i) {
            let key = k.as_str().unwrap_or_default();
            if let Some(fields) = self.fields
                && !fields.contains(&key)
            {
                let parent = self.de.path.render();
                let mut d = Diagnostic::new(
                    Code::UnknownField,
                    join(&parent, key),
                    format!("unknown field `{key}`"),
                )
                .with_span(k.span);
                let mut read_as = None;
                let by_version = self
                    .de
                    .sink
                    .version
                    .and_then(|v| history::hint(v, &parent, key));
                d = if let Some(hint) = by_version {
                    d.with_help(hint)
                } else if let Some(hint) = misplaced_hint(&parent, key) {
                    d.with_help(hint)
                } else if let Some(m) = did_you_mean(key, fields) {
                    let absent = !self.entries.iter().any(|(k, _)| k.as_str() == Some(m));
                    if absent && !self.read_as.contains(&m) {
                        read_as = Some(m);
                    }
                    d.with_help(format!("did you mean `{m}`?"))
                } else {
                    d.with_help(format!("known fields here: {}", fields.join(", ")))
                };
                self.de.sink.report(d, true);
                if let Some(m) = read_as {
                    // Read the value as the field it most likely means, so rules judge the
                    // intended value instead of its absence (`adresses` must not also give
                    // "gateway4 must have an IPv4 address"). The intended field is poisoned:
                    // findings about it wait until the key is fixed.
                    self.read_as.push(m);
                    self.de.sink.poisoned.borrow_mut().push(join(&parent, m));
                    return Some(m);
                }
                self.i += 1;
                continue;
            }
            return Some(key);
        }
        None
    }
}

impl<'de> MapAccess<'de> for Map<'_, '_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        // The key handling is not generic: one copy of it, not one per struct read.
        match self.next_key() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((k, v)) = self.entries.get(self.i) else {
            return Err(de::Error::custom("value without key"));
        };
        self.i += 1;
        let child = self.de.child(v, k.as_str().unwrap_or_default());
        seed.deserialize(child)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len().saturating_sub(self.i))
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::{Limits, parse_documents};
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(rename_all = "camelCase")]
    struct Iface {
        #[serde(default)]
        name: String,
        #[serde(default)]
        addresses: Vec<String>,
        mtu: Option<i64>,
        dhcp4: Option<bool>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Root {
        #[serde(default)]
        interfaces: Vec<Iface>,
    }

    fn load(y: &str) -> (Root, Sink) {
        let docs = parse_documents(y, &Limits::default()).unwrap();
        let sink = Sink::default();
        let r: Root = from_node(&docs[0].root, &sink).unwrap();
        (r, sink)
    }

    #[test]
    fn unknown_fields_do_not_stop_the_rest() {
        let (r, sink) = load(
            "interfaces:\n- name: eth0\n  adresses: [a]\n  mtu: jumbo\n- name: eth1\n  dhcp4: yes\n",
        );
        assert_eq!(r.interfaces.len(), 2);
        assert_eq!(r.interfaces[1].dhcp4, Some(true));
        let d = sink.diagnostics.borrow();
        let codes: Vec<_> = d
            .iter()
            .map(|d| (d.code, d.path.as_str(), d.line))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnknownField, "interfaces[0].adresses", Some(3)),
                (Code::WrongType, "interfaces[0].mtu", Some(4)),
                (Code::Yaml11Boolean, "interfaces[1].dhcp4", Some(6)),
            ]
        );
        assert_eq!(d[0].help.as_deref(), Some("did you mean `addresses`?"));
        assert!(
            sink.poisoned
                .borrow()
                .contains(&"interfaces[0].mtu".to_string())
        );
    }

    #[test]
    fn integers_as_kubectl_reads_them() {
        // (text, kubectl's value, what a YAML 1.2 reader disagreement is: none, a warning
        // (another number), an error (a string: editors and JSON Schema reject it))
        for (text, want, differs) in [
            ("1500", 1500, None),
            ("01500", 832, Some(Severity::Warning)),
            ("0o17", 15, None),
            ("0x5DC", 1500, None),
            ("1_500", 1500, Some(Severity::Error)),
            ("0b101", 5, Some(Severity::Error)),
            ("-0b101", -5, Some(Severity::Error)),
            ("+9000", 9000, None),
            ("08", 8, None),
        ] {
            let (r, sink) = load(&format!("interfaces:\n- name: eth0\n  mtu: {text}\n"));
            assert_eq!(r.interfaces[0].mtu, Some(want), "{text}");
            let d = sink.diagnostics.borrow();
            let found: Vec<Severity> = d
                .iter()
                .filter(|d| d.code == Code::Yaml11Boolean)
                .map(|d| d.severity)
                .collect();
            assert_eq!(found.first().copied(), differs, "{text}: {d:?}");
            assert_eq!(d.len(), found.len(), "{text}: {d:?}");
        }
        // kubectl sends these to the API as numbers, so a string field rejects them.
        for text in ["1_500", "0b1", "017"] {
            let (_, sink) = load(&format!("interfaces:\n- name: {text}\n"));
            assert_eq!(sink.diagnostics.borrow()[0].code, Code::WrongType, "{text}");
        }
        for text in ["_1", "0x", "0b2", "x1"] {
            assert_eq!(parse_int(text), None, "{text}");
        }
        assert_eq!(parse_int("1__5"), Some(15));
        assert_eq!(parse_int("1__"), Some(1));
    }

    #[test]
    fn numbers_are_not_strings() {
        let (_, sink) = load("interfaces:\n- name: 1234\n");
        assert_eq!(sink.diagnostics.borrow()[0].code, Code::WrongType);
    }

    #[test]
    fn yaml11_sexagesimal_mac_is_flagged() {
        assert!(yaml11_sexagesimal("50:12:34:56:12:34"));
        assert!(!yaml11_sexagesimal("50:8a:80:9d:28:22"));
        assert!(!yaml11_sexagesimal("2001:db8::1"));
        assert!(!yaml11_sexagesimal("1234"));
    }

    #[test]
    fn did_you_mean_picks_close_names() {
        assert_eq!(
            did_you_mean("gatway4", &["gateway4", "gateway6"]),
            Some("gateway4")
        );
        assert_eq!(did_you_mean("Addresses", &["addresses"]), Some("addresses"));
        assert_eq!(did_you_mean("zzzzzz", &["addresses"]), None);
    }
}
