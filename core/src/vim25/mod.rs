//! vim25 (vSphere Web Services API) data objects guestnet reads and writes, with their XML
//! encoding: element order is the WSDL `xs:sequence` order (base-class elements first),
//! polymorphic fields carry `xsi:type`, and every value is escaped by one function.
//! Reference: `reference/vsphere-api.md` §1.

pub mod customization;
pub mod placeholder;
pub mod xml;

use std::fmt;

/// A vSphere API version (`about.apiVersion`), e.g. `7.0.3.0`. Elements newer than the
/// target version are not emitted, because older servers reject them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VimVersion(pub [u16; 4]);

impl VimVersion {
    pub const V4_0: VimVersion = VimVersion([4, 0, 0, 0]);
    pub const V6_8_7: VimVersion = VimVersion([6, 8, 7, 0]);
    pub const V7_0: VimVersion = VimVersion([7, 0, 0, 0]);
    pub const V7_0_3: VimVersion = VimVersion([7, 0, 3, 0]);
    pub const V8_0_2: VimVersion = VimVersion([8, 0, 2, 0]);
    pub const V8_0_3: VimVersion = VimVersion([8, 0, 3, 0]);
    pub const V9_1: VimVersion = VimVersion([9, 1, 0, 0]);
    /// The newest version guestnet knows the customization types of (pyVmomi 9.1.1.0).
    pub const NEWEST: VimVersion = VimVersion::V9_1;

    /// `7`, `7.0`, `7.0.3` or `7.0.3.0`.
    pub fn parse(s: &str) -> Option<VimVersion> {
        let mut parts = [0u16; 4];
        let mut n = 0;
        for p in s.trim().split('.') {
            if n == 4 || p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[n] = p.parse().ok()?;
            n += 1;
        }
        (n > 0 && parts[0] >= 2).then_some(VimVersion(parts))
    }
}

impl Default for VimVersion {
    fn default() -> Self {
        VimVersion::NEWEST
    }
}

impl fmt::Display for VimVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!(VimVersion::parse("7.0.3"), Some(VimVersion::V7_0_3));
        assert_eq!(VimVersion::parse("7"), Some(VimVersion::V7_0));
        assert_eq!(VimVersion::parse("9.1.0.0"), Some(VimVersion::V9_1));
        assert!(VimVersion::parse("7.0U3").is_none());
        assert!(VimVersion::parse("1.0").is_none());
        assert!(VimVersion::parse("7.0.3.0.1").is_none());
        assert!(VimVersion::V7_0 < VimVersion::V7_0_3);
        assert_eq!(VimVersion::V8_0_3.to_string(), "8.0.3.0");
    }
}
