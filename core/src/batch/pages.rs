//! Growable storage that never moves what it holds, for the planner's per-file and per-VM
//! tables. A `Vec` that doubles holds its old and new buffers at once while it copies, and
//! up to half of the new one stays unused: for tables of tens of megabytes (100,000 files)
//! that was up to three times the data at the peak. Pages of a fixed size cost at most one
//! partly filled page.

/// Items per page of [`Pages`].
#[cfg(feature = "spill")]
const PAGE: usize = 4096;
/// Bytes per page of [`Arena`].
const TEXT_PAGE: usize = 1 << 16;

#[cfg(feature = "spill")]
#[derive(Debug)]
pub(super) struct Pages<T> {
    pages: Vec<Vec<T>>,
    len: usize,
}

#[cfg(feature = "spill")]
impl<T> Default for Pages<T> {
    fn default() -> Self {
        Pages::new()
    }
}

#[cfg(feature = "spill")]
impl<T> Pages<T> {
    pub(super) fn new() -> Self {
        Pages {
            pages: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn push(&mut self, v: T) {
        match self.pages.last_mut() {
            Some(p) if p.len() < PAGE => p.push(v),
            _ => {
                let mut p = Vec::with_capacity(PAGE);
                p.push(v);
                self.pages.push(p);
            }
        }
        self.len += 1;
    }

    pub(super) fn get(&self, i: usize) -> Option<&T> {
        self.pages.get(i / PAGE)?.get(i % PAGE)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.pages.iter().flatten()
    }
}

/// A string in an [`Arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Text {
    page: u32,
    start: u32,
    len: u32,
}

impl Text {
    pub(super) const EMPTY: Text = Text {
        page: 0,
        start: 0,
        len: 0,
    };
}

/// Strings appended one after another into pages of [`TEXT_PAGE`] bytes (a longer string
/// gets a page of its own).
#[derive(Debug, Default)]
pub(super) struct Arena {
    pages: Vec<String>,
}

impl Arena {
    pub(super) fn intern(&mut self, s: &str) -> Text {
        if s.is_empty() {
            return Text::EMPTY;
        }
        let fits = self
            .pages
            .last()
            .is_some_and(|p| p.capacity() - p.len() >= s.len());
        if !fits {
            self.pages
                .push(String::with_capacity(TEXT_PAGE.max(s.len())));
        }
        let page = self.pages.len() - 1;
        let Some(p) = self.pages.last_mut() else {
            return Text::EMPTY;
        };
        let start = p.len();
        p.push_str(s);
        Text {
            page: u32::try_from(page).unwrap_or(u32::MAX),
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(s.len()).unwrap_or(u32::MAX),
        }
    }

    pub(super) fn get(&self, t: Text) -> &str {
        if t.len == 0 {
            return "";
        }
        let start = t.start as usize;
        self.pages
            .get(t.page as usize)
            .and_then(|p| p.get(start..start + t.len as usize))
            .unwrap_or("")
    }
}

// The pages are the CLI's (feature `spill`); the arena is tested there with them.
#[cfg(all(test, feature = "spill"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is put in comes back by its handle, across page boundaries and for
        /// strings longer than a page.
        #[test]
        fn everything_comes_back(strings in proptest::collection::vec(
            proptest::prop_oneof![".{0,40}", proptest::strategy::Just("x".repeat(TEXT_PAGE + 3))],
            0..300,
        ), items in 0usize..10_000) {
            let mut a = Arena::default();
            let texts: Vec<Text> = strings.iter().map(|s| a.intern(s)).collect();
            for (s, t) in strings.iter().zip(&texts) {
                prop_assert_eq!(a.get(*t), s.as_str());
            }
            let mut p = Pages::new();
            for i in 0..items {
                p.push(i);
            }
            prop_assert_eq!(p.len(), items);
            prop_assert_eq!(p.get(items), None);
            if items > 0 {
                prop_assert_eq!(p.get(items - 1), Some(&(items - 1)));
            }
            prop_assert!(p.iter().copied().eq(0..items));
        }
    }

    #[test]
    fn pages_are_filled_before_a_new_one_is_taken() {
        let mut a = Arena::default();
        for _ in 0..TEXT_PAGE / 8 {
            a.intern("12345678");
        }
        assert_eq!(a.pages.len(), 1);
        a.intern("9");
        assert_eq!(a.pages.len(), 2);
        let mut p = Pages::new();
        for i in 0..PAGE + 1 {
            p.push(i);
        }
        assert_eq!(p.pages.len(), 2);
        assert!(p.pages.iter().all(|v| v.capacity() == PAGE));
    }
}
