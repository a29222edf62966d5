//! The options object JavaScript passes in: the CLI's flags, camelCased.
//!
//! It arrives as JSON text (the JS wrapper `JSON.stringify`s it) so no serde-wasm-bindgen is
//! linked in. Unknown keys are refused, like unknown CLI flags: a typo such as `macPolicy:
//! "derived"` must not silently render with the default. A new core option (e.g. a feature
//! gate) is one more field here and one more key in `js/guestnet.d.ts`.

use guestnet_core::pipeline::CompileOptions;
use guestnet_core::render::GatewayStyle;
use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::NetworkProvider;
use guestnet_core::vim25::VimVersion;
use serde::Deserialize;

/// What the caller may set. Every field is optional; absent means the CLI's default.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Raw {
    /// `--provider vds|nsxt|vpc`.
    provider: Option<String>,
    /// `--mac-policy spec|derive|pci-order`.
    mac_policy: Option<String>,
    /// `--info`: keep informational findings.
    info: Option<bool>,
    /// `--netplan-gateway-style routes|gateway4`.
    netplan_gateway_style: Option<String>,
    /// `--gosc-envelope none|customize-vm|customize-guest|create-spec`.
    gosc_envelope: Option<String>,
    /// `--api-version`, e.g. `7.0.3`.
    api_version: Option<String>,
    /// `--custcfg-marker-id`.
    custcfg_marker_id: Option<String>,
    /// `--custcfg-post-gc-status`.
    custcfg_post_gc_status: Option<bool>,
}

/// Options in the core's terms, plus the front-end-only `info` filter.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub compile: CompileOptions,
    pub info: bool,
}

fn one_of<T: Copy>(key: &str, value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!("option {key}: {value:?} is not one of {}", names.join(", "))
        })
}

const PROVIDERS: &[(&str, NetworkProvider)] = &[
    ("vds", NetworkProvider::Vds),
    ("nsxt", NetworkProvider::Nsxt),
    ("vpc", NetworkProvider::Vpc),
];

const GATEWAY_STYLES: &[(&str, GatewayStyle)] = &[
    ("routes", GatewayStyle::Routes),
    ("gateway4", GatewayStyle::Gateway4),
];

const ENVELOPES: &[(&str, EnvelopeKind)] = &[
    ("none", EnvelopeKind::None),
    ("customize-vm", EnvelopeKind::CustomizeVm),
    ("customize-guest", EnvelopeKind::CustomizeGuest),
    ("create-spec", EnvelopeKind::CreateSpec),
];

impl Options {
    /// Reads the JSON options text; empty text, `null` and `{}` all mean the defaults.
    pub fn from_json(text: &str) -> Result<Options, String> {
        let text = text.trim();
        let raw: Raw = if text.is_empty() || text == "null" || text == "undefined" {
            Raw::default()
        } else {
            serde_json::from_str(text).map_err(|e| format!("options: {e}"))?
        };
        let mut o = Options::default();
        let c = &mut o.compile;
        if let Some(p) = &raw.provider {
            c.validate.provider = Some(one_of("provider", p, PROVIDERS)?);
        }
        if let Some(m) = &raw.mac_policy {
            let choices: Vec<(&str, MacPolicy)> =
                MacPolicy::ALL.iter().map(|p| (p.as_str(), *p)).collect();
            c.resolve.mac_policy = one_of("macPolicy", m, &choices)?;
        }
        if let Some(g) = &raw.netplan_gateway_style {
            c.render.gateway_style = one_of("netplanGatewayStyle", g, GATEWAY_STYLES)?;
        }
        if let Some(e) = &raw.gosc_envelope {
            c.render.gosc.envelope = one_of("goscEnvelope", e, ENVELOPES)?;
        }
        if let Some(v) = &raw.api_version {
            c.render.gosc.api_version = VimVersion::parse(v).ok_or_else(|| {
                format!(
                    "option apiVersion: {v:?} is not a vSphere API version like 7.0.3 or 8.0.3.0"
                )
            })?;
        }
        c.render.custcfg_marker_id = raw.custcfg_marker_id.clone();
        c.render.custcfg_post_gc_status = raw.custcfg_post_gc_status.unwrap_or(false);
        o.info = raw.info.unwrap_or(false);
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn empty_means_cli_defaults() {
        for t in ["", "null", "{}", "  {} "] {
            let o = Options::from_json(t).unwrap();
            assert!(!o.info);
            assert_eq!(o.compile.resolve.mac_policy, MacPolicy::Spec);
            assert_eq!(o.compile.render.gateway_style, GatewayStyle::Routes);
            assert_eq!(o.compile.render.gosc.api_version, VimVersion::NEWEST);
            assert!(o.compile.validate.provider.is_none());
        }
    }

    #[test]
    fn every_option_maps_to_the_core() {
        let o = Options::from_json(
            r#"{"provider":"nsxt","macPolicy":"pci-order","info":true,
                "netplanGatewayStyle":"gateway4","goscEnvelope":"customize-guest",
                "apiVersion":"7.0.3","custcfgMarkerId":"m1","custcfgPostGcStatus":true}"#,
        )
        .unwrap();
        assert!(o.info);
        assert_eq!(o.compile.validate.provider, Some(NetworkProvider::Nsxt));
        assert_eq!(o.compile.resolve.mac_policy, MacPolicy::PciOrder);
        assert_eq!(o.compile.render.gateway_style, GatewayStyle::Gateway4);
        assert_eq!(o.compile.render.gosc.envelope, EnvelopeKind::CustomizeGuest);
        assert_eq!(o.compile.render.gosc.api_version, VimVersion::V7_0_3);
        assert_eq!(o.compile.render.custcfg_marker_id.as_deref(), Some("m1"));
        assert!(o.compile.render.custcfg_post_gc_status);
    }

    #[test]
    fn typos_and_bad_values_are_usage_errors_that_name_the_choices() {
        let e = Options::from_json(r#"{"macPolicy":"derived"}"#).unwrap_err();
        assert_eq!(
            e,
            r#"option macPolicy: "derived" is not one of spec, derive, pci-order"#
        );
        let e = Options::from_json(r#"{"mac_policy":"derive"}"#).unwrap_err();
        assert!(e.contains("unknown field `mac_policy`"), "{e}");
        let e = Options::from_json(r#"{"apiVersion":"seven"}"#).unwrap_err();
        assert!(e.contains("not a vSphere API version"), "{e}");
        let e = Options::from_json(r#"{"apiVersion":7}"#).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
        assert!(Options::from_json("[1,2]").is_err());
        assert!(Options::from_json("{").is_err());
    }
}
