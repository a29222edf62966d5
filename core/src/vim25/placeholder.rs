//! Placeholders in rendered vim25 documents: what offline rendering cannot know (Secret
//! values, the VM's managed object id, guest credentials) is written as `${...}` for the
//! submitter to fill in just before it sends the document.
//!
//! They cannot be forged: the XML writer escapes every `${` of user text as `&#36;{` (the
//! same text to any XML reader), so a raw `${` in a document's bytes stands only where the
//! renderer put a placeholder, and [`fill`] replaces only those. A Sysprep `fullName` of
//! `${secret:admin/password}` therefore stays that literal text in the guest.

use super::xml;
use crate::model::SecretKeySelector;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    /// `${vm-moref}`: the `_this` of CustomizeVM_Task / CustomizeGuest_Task.
    VmMoref,
    /// `${guest-username}`, `${guest-password}`: CustomizeGuest_Task's guest authentication.
    GuestUsername,
    GuestPassword,
    /// `${secret:NAME/KEY}` or `${secret:NAME}` (a selector without a key).
    Secret(SecretKeySelector),
}

impl Placeholder {
    /// The text between `${` and `}`.
    pub fn body(&self) -> String {
        match self {
            Placeholder::VmMoref => "vm-moref".into(),
            Placeholder::GuestUsername => "guest-username".into(),
            Placeholder::GuestPassword => "guest-password".into(),
            Placeholder::Secret(s) => match s.key.as_deref().filter(|k| !k.is_empty()) {
                Some(k) => format!("secret:{}/{k}", s.name),
                None => format!("secret:{}", s.name),
            },
        }
    }

    /// Reads a body. Secret names and keys are what Kubernetes allows (validation enforces
    /// it on input), which keeps `/`, `{`, `}` and markup out of a body.
    pub fn parse(body: &str) -> Option<Placeholder> {
        match body {
            "vm-moref" => return Some(Placeholder::VmMoref),
            "guest-username" => return Some(Placeholder::GuestUsername),
            "guest-password" => return Some(Placeholder::GuestPassword),
            _ => {}
        }
        let inner = body.strip_prefix("secret:")?;
        let (name, key) = match inner.split_once('/') {
            Some((n, k)) => (n, Some(k)),
            None => (inner, None),
        };
        let name_ok = crate::validate::names::is_dns1123_subdomain(name);
        let key_ok = key.is_none_or(crate::validate::names::is_config_key);
        (name_ok && key_ok).then(|| {
            Placeholder::Secret(SecretKeySelector {
                name: name.to_string(),
                key: key.map(str::to_string),
            })
        })
    }

    /// The value a renderer puts into a vim25 data object for the writer to emit as `${body}`.
    pub fn marked(&self) -> String {
        xml::placeholder(&self.body())
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${{{}}}", self.body())
    }
}

/// Every placeholder in a rendered document, in order of appearance (with repeats).
pub fn find(doc: &str) -> Vec<Placeholder> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                if let Some(p) = Placeholder::parse(&after[..j]) {
                    out.push(p);
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("no value for {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    Missing(Vec<Placeholder>),
    #[error("the value for {placeholder} contains U+{:04X}, which XML cannot carry", u32::from(*ch))]
    IllegalChar { placeholder: Placeholder, ch: char },
    #[error("`${{{0}}}` is not a placeholder guestnet writes")]
    Unknown(String),
}

/// Replaces every placeholder in `doc` with its value, escaped for XML element content (so
/// a value cannot add markup, nor a `${` that a second pass would take for a placeholder).
/// Nothing is returned unless every placeholder has a value: a document is sent whole or
/// not at all.
pub fn fill(
    doc: &str,
    mut value: impl FnMut(&Placeholder) -> Option<String>,
) -> Result<String, FillError> {
    let mut out = String::with_capacity(doc.len());
    let mut missing = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(j) = after.find('}') else {
            return Err(FillError::Unknown(after.to_string()));
        };
        let body = &after[..j];
        let p = Placeholder::parse(body).ok_or_else(|| FillError::Unknown(body.to_string()))?;
        match value(&p) {
            Some(v) => {
                xml::escape_into(&v, &mut out, false).map_err(|ch| FillError::IllegalChar {
                    placeholder: p.clone(),
                    ch,
                })?
            }
            None => {
                if !missing.contains(&p) {
                    missing.push(p);
                }
            }
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(FillError::Missing(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, key: Option<&str>) -> Placeholder {
        Placeholder::Secret(SecretKeySelector {
            name: name.into(),
            key: key.map(str::to_string),
        })
    }

    #[test]
    fn bodies_round_trip() {
        for p in [
            Placeholder::VmMoref,
            Placeholder::GuestUsername,
            Placeholder::GuestPassword,
            secret("admin", Some("password")),
            secret("s-1.x", Some("k_2.Y")),
            secret("raw", None),
        ] {
            assert_eq!(Placeholder::parse(&p.body()), Some(p));
        }
        for bad in [
            "secret:",
            "secret:a/",
            "secret:A/b",
            "secret:a/b/c",
            "secret:a/b}",
            "x",
        ] {
            assert_eq!(Placeholder::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_written_placeholders_are_filled() {
        let mut w = xml::XmlWriter::new();
        w.open("s", &[]);
        w.leaf("fullName", "${secret:admin/password} and ${guest-password}");
        w.leaf("value", &secret("admin", Some("password")).marked());
        w.close();
        let doc = w.finish().unwrap();
        assert_eq!(find(&doc), vec![secret("admin", Some("password"))]);
        let filled = fill(&doc, |_| Some("p<a>ss ${vm-moref}".into())).unwrap();
        assert!(
            filled.contains(
                "<fullName>&#36;{secret:admin/password} and &#36;{guest-password}</fullName>"
            ),
            "{filled}"
        );
        assert!(
            filled.contains("<value>p&lt;a&gt;ss &#36;{vm-moref}</value>"),
            "{filled}"
        );
        // Filling twice changes nothing: a value cannot smuggle in a new placeholder.
        assert_eq!(fill(&filled, |_| Some("x".into())).unwrap(), filled);
    }

    #[test]
    fn missing_values_stop_the_whole_document() {
        let doc = format!(
            "<a>${{{}}}</a><b>${{vm-moref}}</b>",
            secret("a", Some("b")).body()
        );
        assert_eq!(
            fill(&doc, |p| (p == &Placeholder::VmMoref)
                .then(|| "vm-1".into())),
            Err(FillError::Missing(vec![secret("a", Some("b"))]))
        );
        assert!(matches!(
            fill(&doc, |_| Some("\u{0}".into())),
            Err(FillError::IllegalChar { .. })
        ));
    }

    proptest::proptest! {
        /// Whatever a user writes, it reads back unchanged and is never a placeholder.
        #[test]
        fn user_text_is_never_a_placeholder(
            text in proptest::string::string_regex("([$}{a-z:/-]|\\$\\{secret:[a-z]+/[a-z]+\\}|\\$\\{vm-moref\\}){0,40}").unwrap()
        ) {
            let mut w = xml::XmlWriter::new();
            w.open("s", &[]);
            w.leaf("fullName", &text);
            w.leaf("value", &Placeholder::VmMoref.marked());
            w.close();
            let doc = w.finish().unwrap();
            proptest::prop_assert_eq!(find(&doc), vec![Placeholder::VmMoref]);
            let filled = fill(&doc, |_| Some("vm-42".into())).unwrap();
            let root = xml::parse(&filled).unwrap();
            proptest::prop_assert_eq!(&root.child("fullName").unwrap().text, &text);
            proptest::prop_assert_eq!(&root.child("value").unwrap().text, "vm-42");
        }
    }

    #[test]
    fn a_forged_mark_in_user_text_is_refused() {
        let mut w = xml::XmlWriter::new();
        w.leaf("fullName", "\u{FFFF}secret:a/b} tail");
        assert!(w.finish().is_err());
        let mut w = xml::XmlWriter::new();
        w.leaf("fullName", "\u{FFFF}not a placeholder}");
        assert!(w.finish().is_err());
    }
}
