//! guestnet's network catalog (`guestnet.dev/v1alpha1`, kind `Network`): what a connected
//! network provides. It stands in for the "network provider defaults" level of precedence
//! that vm-operator reads from NetOP/NCP/VPC at run time and an offline tool cannot see.

use serde::{Deserialize, Serialize};

pub const API_VERSION: &str = "guestnet.dev/v1alpha1";
pub const KIND: &str = "Network";

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
/// A network and the addressing it provides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkCatalog {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub metadata: super::ObjectMeta,
    #[serde(default)]
    pub spec: NetworkCatalogSpec,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkCatalogSpec {
    /// Subnets on this network; a static address must fall inside one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<Subnet>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search_domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<i64>,
    /// The network runs a DHCPv4 server: interfaces that leave dhcp4 unset use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp4: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp6: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
}

#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subnet {
    /// e.g. `192.168.1.0/24`.
    #[serde(default)]
    pub cidr: String,
    /// Default gateway the provider hands out on this subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Addresses that must not be assigned statically (routers, VIPs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved: Vec<String>,
    /// Addresses guestnet may allocate to interfaces that have none (DHCP off):
    /// `10.0.0.10-10.0.0.200` or a single address; the lowest free one is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}
