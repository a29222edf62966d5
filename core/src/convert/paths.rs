//! Where a field of the converted model came from in the original document.
//!
//! Rules and renderers report model (hub) paths — the webhook validates the converted object,
//! so its messages name `spec.network.interfaces[0].network.name` even for a v1alpha1 VM.
//! A [`PathMap`] turns such a path into the place the user wrote it: the same path for
//! fields every version shares, the old field for moved ones (v1alpha2's
//! `identification.joinDomain` for `spec.network.domainName`, v1alpha1's
//! `networkInterfaces[0].networkName` for `network.name`), or a fixed span (a value vm-operator
//! restores from its conversion annotation).

use crate::diagnostic::Span;
use std::borrow::Cow;

/// The place a model path maps to.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin<'a> {
    /// A path in the original document (located in its tree).
    Path(Cow<'a, str>),
    /// A fixed position, e.g. the conversion annotation's value, and what is there.
    Span(Span, &'a str),
}

#[derive(Debug, Clone, PartialEq)]
enum To {
    /// The subtree moved: the rest of the model path is appended.
    Subtree(String),
    /// The value was built from this source field: every model path at or below it
    /// maps to the source field itself.
    Field(String),
    Span(Span, String),
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    hub: String,
    to: To,
}

/// Model path -> original location; identity unless a rule says otherwise. The longest rule
/// whose model path is the path or an ancestor of it wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathMap {
    rules: Vec<Rule>,
}

/// Whether `prefix` is `path` or one of its ancestors (`a.b` of `a.b.c` and `a.b[0]`).
fn is_prefix(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

impl PathMap {
    /// The model subtree at `hub` is the source subtree at `source`, field for field.
    pub fn moved(&mut self, hub: impl Into<String>, source: impl Into<String>) {
        self.push(hub.into(), To::Subtree(source.into()));
    }

    /// The model value at `hub` (and anything below it) was made from the source `field`.
    pub fn made_from(&mut self, hub: impl Into<String>, field: impl Into<String>) {
        self.push(hub.into(), To::Field(field.into()));
    }

    /// The model value at `hub` (and below) comes from a fixed place, e.g. an annotation,
    /// which `what` names (a path in Kubernetes notation).
    pub fn from_span(&mut self, hub: impl Into<String>, span: Span, what: impl Into<String>) {
        self.push(hub.into(), To::Span(span, what.into()));
    }

    fn push(&mut self, hub: String, to: To) {
        self.rules.retain(|r| r.hub != hub);
        self.rules.push(Rule { hub, to });
    }

    pub fn is_identity(&self) -> bool {
        self.rules.is_empty()
    }

    /// Where the model path `hub` was written.
    pub fn origin<'p>(&'p self, hub: &'p str) -> Origin<'p> {
        let best = self
            .rules
            .iter()
            .filter(|r| is_prefix(&r.hub, hub))
            .max_by_key(|r| r.hub.len());
        match best.map(|r| (&r.to, &hub[r.hub.len()..])) {
            None => Origin::Path(Cow::Borrowed(hub)),
            Some((To::Subtree(s), rest)) => Origin::Path(Cow::Owned(format!("{s}{rest}"))),
            Some((To::Field(s), _)) => Origin::Path(Cow::Owned(s.clone())),
            Some((To::Span(s, what), _)) => Origin::Span(*s, what),
        }
    }

    /// The source path for `hub`, when it has one (not a fixed span).
    pub fn source_path<'p>(&'p self, hub: &'p str) -> Option<Cow<'p, str>> {
        match self.origin(hub) {
            Origin::Path(p) => Some(p),
            Origin::Span(..) => None,
        }
    }

    /// Where `hub` was written, as a path (a fixed span by what it names).
    pub fn source_name<'p>(&'p self, hub: &'p str) -> Cow<'p, str> {
        match self.origin(hub) {
            Origin::Path(p) => p,
            Origin::Span(_, what) => Cow::Borrowed(what),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(m: &PathMap, p: &str) -> String {
        match m.origin(p) {
            Origin::Path(p) => p.into_owned(),
            Origin::Span(s, what) => format!("@{}:{} {what}", s.line, s.column),
        }
    }

    #[test]
    fn longest_rule_wins_and_identity_is_the_default() {
        let mut m = PathMap::default();
        assert!(m.is_identity());
        m.made_from("spec.network.interfaces[0]", "spec.networkInterfaces[0]");
        m.made_from(
            "spec.network.interfaces[0].network.name",
            "spec.networkInterfaces[0].networkName",
        );
        m.moved("spec.hardware.cdrom", "spec.cdrom");
        m.from_span(
            "spec.network.vlans",
            Span {
                line: 4,
                column: 7,
                ..Span::default()
            },
            "an annotation",
        );
        assert_eq!(
            path(&m, "spec.network.interfaces[0].network.name"),
            "spec.networkInterfaces[0].networkName"
        );
        assert_eq!(
            path(&m, "spec.network.interfaces[0].name"),
            "spec.networkInterfaces[0]"
        );
        assert_eq!(
            path(&m, "spec.network.interfaces[1].name"),
            "spec.network.interfaces[1].name"
        );
        // `interfaces[0]` is not an ancestor of `interfaces[01]` or `interfaces[0]x`.
        assert_eq!(
            path(&m, "spec.network.interfaces[01]"),
            "spec.network.interfaces[01]"
        );
        assert_eq!(
            path(&m, "spec.hardware.cdrom[1].image.name"),
            "spec.cdrom[1].image.name"
        );
        assert_eq!(path(&m, "spec.network.vlans[0].id"), "@4:7 an annotation");
        assert_eq!(path(&m, "spec.hardwareX"), "spec.hardwareX");
    }
}
