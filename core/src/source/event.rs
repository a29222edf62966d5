//! The parse events the tree builder consumes. They are guestnet's own, not granit's, so that
//! a second scanner (`fast`) can produce them and a test can compare the two streams.

use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ev<'t> {
    DocStart,
    DocEnd,
    Alias(usize),
    Scalar {
        value: Cow<'t, str>,
        style: Style,
        /// 0: no anchor.
        anchor: usize,
        tag: TagKind,
    },
    SeqStart {
        anchor: usize,
        flow: bool,
    },
    MapStart {
        anchor: usize,
        flow: bool,
    },
    SeqEnd,
    MapEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
    Literal,
    Folded,
}

/// What a scalar's tag means to guestnet: `!!binary` is decoded, `!!str` forces a string,
/// any other tag is ignored (as kubectl ignores it for these fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagKind {
    None,
    Str,
    Binary,
    Other,
}
