//! `--ipam-state FILE`: what a batch allocated and derived, so the next run hands every
//! interface the same address and MAC. The front end reads and writes the file; this module
//! only parses and prints it (JSON, keys sorted, so the file diffs well in a repository).

use crate::diagnostic::{Code, Diagnostic};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const KIND: &str = "IpamState";

/// One remembered address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub network: String,
    /// `address/prefix`.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpamState {
    pub api_version: String,
    pub kind: String,
    /// Derived MAC per `namespace/name/interface`.
    #[serde(default)]
    pub macs: BTreeMap<String, String>,
    /// Allocated addresses per `namespace/name/interface`.
    #[serde(default)]
    pub addresses: BTreeMap<String, Vec<Address>>,
}

impl Default for IpamState {
    fn default() -> Self {
        IpamState {
            api_version: crate::model::catalog::API_VERSION.into(),
            kind: KIND.into(),
            macs: BTreeMap::new(),
            addresses: BTreeMap::new(),
        }
    }
}

/// The VM (`namespace/name`) an entry key (`namespace/name/interface`) belongs to.
pub fn vm_of(key: &str) -> &str {
    key.rsplit_once('/').map(|(vm, _)| vm).unwrap_or(key)
}

impl IpamState {
    /// Parses a state file; an empty text is an empty state (a file created by hand).
    pub fn parse(text: &str) -> Result<IpamState, Diagnostic> {
        if text.trim().is_empty() {
            return Ok(IpamState::default());
        }
        let s: IpamState = serde_json::from_str(text).map_err(|e| {
            let line = u32::try_from(e.line()).unwrap_or(u32::MAX);
            let col = u32::try_from(e.column()).unwrap_or(u32::MAX);
            let mut d = Diagnostic::new(Code::Allocation, "", format!("IPAM state: {e}"));
            d.line = Some(line.max(1));
            d.column = Some(col.max(1));
            d
        })?;
        if s.kind != KIND {
            return Err(Diagnostic::new(
                Code::Allocation,
                "kind",
                format!("IPAM state: kind is {:?}, expected {KIND:?}", s.kind),
            ));
        }
        Ok(s)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let mut s = IpamState::default();
        s.macs
            .insert("ns/a/eth0".into(), "00:50:56:00:00:01".into());
        s.addresses.insert(
            "ns/a/eth0".into(),
            vec![Address {
                network: "net-a".into(),
                address: "10.0.0.10/24".into(),
            }],
        );
        assert_eq!(IpamState::parse(&s.to_json()).unwrap(), s);
        assert_eq!(IpamState::parse("").unwrap(), IpamState::default());
        let e = IpamState::parse("{\n  \"kind\": 3\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(vm_of("ns/a/eth0"), "ns/a");
    }
}
