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

    pub(super) fn to_vec(&self) -> Vec<T>
    where
        T: Copy,
    {
        self.iter().copied().collect()
    }
}

/// A string in an [`Arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
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

/// Strings appended one after another into pages of a fixed size ([`TEXT_PAGE`] bytes for
/// the planner; a longer string gets a page of its own). The CLI's text cache keeps the
/// texts of a batch's first files in one too, with larger pages it drops as it goes
/// ([`Arena::release_before`]).
#[derive(Debug)]
pub struct Arena {
    pages: Vec<String>,
    page_bytes: usize,
}

impl Default for Arena {
    fn default() -> Self {
        Arena::with_page(TEXT_PAGE)
    }
}

impl Arena {
    pub fn with_page(page_bytes: usize) -> Arena {
        Arena {
            pages: Vec::new(),
            page_bytes,
        }
    }

    pub fn intern(&mut self, s: &str) -> Text {
        if s.is_empty() {
            return Text::EMPTY;
        }
        let fits = self
            .pages
            .last()
            .is_some_and(|p| p.capacity() - p.len() >= s.len());
        if !fits {
            self.pages
                .push(String::with_capacity(self.page_bytes.max(s.len())));
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

    /// The string `t` stands for ("" once its page was released).
    pub fn get(&self, t: Text) -> &str {
        if t.len == 0 {
            return "";
        }
        let start = t.start as usize;
        self.pages
            .get(t.page as usize)
            .and_then(|p| p.get(start..start + t.len as usize))
            .unwrap_or("")
    }

    /// Frees the pages before `t`'s, for a reader that takes the strings in the order they
    /// were put in: their memory goes back as the reading goes on.
    pub fn release_before(&mut self, t: Text) {
        for p in self.pages.iter_mut().take(t.page as usize) {
            *p = String::new();
        }
    }

    /// The bytes each page holds allocated (0 for a released page).
    pub fn page_capacities(&self) -> Vec<usize> {
        self.pages.iter().map(String::capacity).collect()
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

    #[test]
    fn released_pages_give_their_memory_back_and_later_strings_stay() {
        let mut a = Arena::with_page(8);
        let t: Vec<Text> = ["aaaaaaaa", "bbbbbbbb", "cccc"]
            .map(|s| a.intern(s))
            .to_vec();
        assert_eq!(a.page_capacities(), [8, 8, 8]);
        a.release_before(t[2]);
        assert_eq!(a.page_capacities(), [0, 0, 8]);
        assert_eq!(a.get(t[2]), "cccc");
        assert_eq!(
            a.get(t[0]),
            "",
            "a released string is gone, not another one"
        );
    }
}
