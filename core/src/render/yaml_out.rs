//! A small YAML emitter over our own value type. Hand-written so that output is byte-stable
//! for golden tests and so that no user value can change the document's structure: every
//! string that is not unambiguously a plain scalar under both YAML 1.1 (PyYAML, go-yaml v2)
//! and YAML 1.2 is double-quoted with escapes.

#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    Str(String),
    Int(i64),
    Bool(bool),
    Seq(Vec<Yaml>),
    /// Keys in emission order; [`map`] sorts them as vm-operator's marshaller does.
    Map(Vec<(String, Yaml)>),
}

/// A mapping with keys sorted (sigs.k8s.io/yaml order, so output diffs cleanly against
/// vm-operator's).
pub fn map(mut entries: Vec<(&str, Yaml)>) -> Yaml {
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Yaml::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

pub fn s(v: impl Into<String>) -> Yaml {
    Yaml::Str(v.into())
}

pub fn strs<I: IntoIterator<Item = S>, S: Into<String>>(v: I) -> Yaml {
    Yaml::Seq(v.into_iter().map(|x| Yaml::Str(x.into())).collect())
}

/// JSON -> [`Yaml`], keeping the object's key order (serde's field order for our types).
pub fn from_json_ordered(v: &serde_json::Value) -> Yaml {
    use serde_json::Value;
    match v {
        Value::Null => Yaml::Str(String::new()),
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Yaml::Int)
            .unwrap_or_else(|| Yaml::Str(n.to_string())),
        Value::String(x) => Yaml::Str(x.clone()),
        Value::Array(a) => Yaml::Seq(a.iter().map(from_json_ordered).collect()),
        Value::Object(o) => Yaml::Map(
            o.iter()
                .map(|(k, v)| (k.clone(), from_json_ordered(v)))
                .collect(),
        ),
    }
}

const YAML11_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
];

/// Can `v` be written as a plain scalar and read back as the same string everywhere?
fn plain_ok(v: &str) -> bool {
    let Some(first) = v.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/') {
        return false;
    }
    if YAML11_WORDS.contains(&v) || v.len() > 200 {
        return false;
    }
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | '+'))
        && !v.ends_with('.')
}

pub fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            '\u{feff}' => out.push_str("\\ufeff"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c == '\u{fffe}' || c == '\u{ffff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::Str(s) if plain_ok(s) => Some(s.clone()),
        Yaml::Str(s) => Some(quote(s)),
        Yaml::Int(i) => Some(i.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Seq(items) if items.is_empty() => Some("[]".into()),
        Yaml::Map(entries) if entries.is_empty() => Some("{}".into()),
        _ => None,
    }
}

fn key(k: &str) -> String {
    if plain_ok(k) { k.to_string() } else { quote(k) }
}

/// Emits a document (block style, two-space indent, sequences at the parent's indentation).
pub fn to_string(v: &Yaml) -> String {
    let mut out = String::new();
    emit(v, 0, &mut out);
    out
}

fn emit(v: &Yaml, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Yaml::Map(entries) if !entries.is_empty() => {
            for (k, val) in entries {
                out.push_str(&pad);
                out.push_str(&key(k));
                out.push(':');
                match scalar(val) {
                    Some(sv) => {
                        out.push(' ');
                        out.push_str(&sv);
                        out.push('\n');
                    }
                    None => {
                        out.push('\n');
                        let child = if matches!(val, Yaml::Seq(_)) {
                            indent
                        } else {
                            indent + 2
                        };
                        emit(val, child, out);
                    }
                }
            }
        }
        Yaml::Seq(items) if !items.is_empty() => {
            for item in items {
                out.push_str(&pad);
                out.push('-');
                match scalar(item) {
                    Some(sv) => {
                        out.push(' ');
                        out.push_str(&sv);
                        out.push('\n');
                    }
                    None => {
                        // First entry of a mapping goes on the dash line.
                        let mut inner = String::new();
                        emit(item, indent + 2, &mut inner);
                        out.push(' ');
                        out.push_str(inner.get(indent + 2..).unwrap_or(""));
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other).unwrap_or_default());
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_block_style() {
        let doc = map(vec![(
            "network",
            map(vec![
                ("version", Yaml::Int(2)),
                (
                    "ethernets",
                    map(vec![(
                        "eth0",
                        map(vec![
                            ("addresses", strs(["10.0.0.5/24"])),
                            ("match", map(vec![("macaddress", s("00:50:56:00:00:01"))])),
                            ("nameservers", map(vec![])),
                            (
                                "routes",
                                Yaml::Seq(vec![map(vec![
                                    ("to", s("default")),
                                    ("via", s("10.0.0.1")),
                                ])]),
                            ),
                        ]),
                    )]),
                ),
            ]),
        )]);
        assert_eq!(
            to_string(&doc),
            "network:\n  ethernets:\n    eth0:\n      addresses:\n      - \"10.0.0.5/24\"\n      match:\n        macaddress: \"00:50:56:00:00:01\"\n      nameservers: {}\n      routes:\n      - to: default\n        via: \"10.0.0.1\"\n  version: 2\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for v in [
            "yes",
            "on",
            "1",
            "1.5",
            "",
            "a: b",
            "#x",
            "- x",
            "a\nb",
            "null",
            "0x10",
            "50:12:34:56:12:34",
            "a.",
            "[x]",
        ] {
            assert!(!plain_ok(v), "{v:?} must be quoted");
        }
        for v in [
            "eth0",
            "default",
            "my-vm.example.com",
            "America/Los_Angeles",
        ] {
            assert!(plain_ok(v), "{v:?} can stay plain");
        }
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\x01\"");
    }
}
