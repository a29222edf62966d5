//! ovf-env.xml -> VirtualMachine with `spec.bootstrap.vAppConfig.properties`. Reads the
//! document as cloud-init's OVF datasource does (`get_properties`): the root must be
//! `Environment`; properties come from the first `PropertySection` that is a direct child of
//! it; `key` and `value` must be attributes in the OVF environment namespace (any prefix).
//! VMware's `ve:EthernetAdapterSection` adapters become interfaces with their MAC and network.

use super::Parsed;
use crate::diagnostic::{Code, Diagnostic};
use crate::ip::{format_mac, parse_mac};
use crate::model::{
    BootstrapSpec, InterfaceSpec, NetworkSpec, PartialObjectRef, VAppConfigSpec, VAppProperty,
    ValueOrSecret, VirtualMachine,
};
use crate::render::vapp::{OVF_ENV_NS, VE_NS};
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// What an OVF environment carries that guestnet reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OvfEnv {
    /// `(key, value)` of the first direct-child PropertySection, in document order.
    pub properties: Vec<(String, String)>,
    /// `(mac, network)` of `ve:Adapter` elements.
    pub adapters: Vec<(String, String)>,
}

const MAX_DEPTH: usize = 64;

fn ns_is(r: &ResolveResult<'_>, uri: &str) -> bool {
    matches!(r, ResolveResult::Bound(ns) if ns.0 == uri)
}

fn err(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Code::WrongType, "", msg)
}

fn attrs(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    ns: &str,
) -> Result<Vec<(String, String)>, Diagnostic> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|x| err(format!("malformed attribute: {x}")))?;
        let (r, local) = reader.resolver().resolve_attribute(a.key);
        if ns_is(&r, ns) {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|x| err(format!("bad attribute value: {x}")))?;
            out.push((local.into_inner().to_string(), v.into_owned()));
        }
    }
    Ok(out)
}

/// Reads an OVF environment document. Fuzz entry point.
pub fn read(text: &str) -> Result<OvfEnv, Diagnostic> {
    let mut reader = NsReader::from_str(text);
    let mut env = OvfEnv::default();
    let mut stack: Vec<(bool, String)> = Vec::new(); // (in OVF env ns, local name)
    let mut seen_root = false;
    let mut props_done = false;
    let mut in_props = false;
    loop {
        let (r, ev) = reader
            .read_resolved_event()
            .map_err(|e| err(format!("not well-formed XML: {e}")))?;
        let (r_is_env, r_is_ve) = (ns_is(&r, OVF_ENV_NS), ns_is(&r, VE_NS));
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                let local = e.local_name().into_inner().to_string();
                if stack.is_empty() {
                    if seen_root {
                        return Err(err("more than one root element"));
                    }
                    seen_root = true;
                    if local != "Environment" {
                        return Err(err(format!(
                            "the root element is <{local}>, not <Environment> (cloud-init rejects the document)"
                        )));
                    }
                }
                if stack.len() > MAX_DEPTH {
                    return Err(err("elements nested deeper than 64"));
                }
                let depth = stack.len();
                if depth == 1 && local == "PropertySection" && r_is_env && !props_done {
                    in_props = !empty;
                    props_done = true;
                } else if depth == 2 && in_props && local == "Property" {
                    let a = attrs(&reader, e, OVF_ENV_NS)?;
                    let get = |k: &str| a.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    match get("key") {
                        Some(k) => env.properties.push((k, get("value").unwrap_or_default())),
                        None => {
                            return Err(err(
                                "a Property without a namespace-qualified oe:key (cloud-init fails on it)",
                            ));
                        }
                    }
                } else if local == "Adapter" && r_is_ve {
                    let a = attrs(&reader, e, VE_NS)?;
                    let get = |k: &str| a.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                    env.adapters.push((
                        get("mac").unwrap_or_default(),
                        get("network").unwrap_or_default(),
                    ));
                }
                if !empty {
                    stack.push((r_is_env, local));
                }
            }
            Event::End(_) => {
                if stack.len() == 2 && in_props {
                    in_props = false;
                }
                stack.pop();
            }
            Event::Eof => break,
            Event::Text(_)
            | Event::CData(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::GeneralRef(_) => {}
            Event::DocType(_) => return Err(err("a DOCTYPE is not allowed in an OVF environment")),
        }
    }
    if !seen_root {
        return Err(err("no root element"));
    }
    Ok(env)
}

pub fn parse(text: &str, name: &str) -> Parsed {
    let env = match read(text) {
        Ok(e) => e,
        Err(d) => {
            return Parsed::failed(d);
        }
    };
    let mut diags = Vec::new();
    let mut net = NetworkSpec::default();
    for (i, (mac, network)) in env.adapters.iter().enumerate() {
        let mut f = InterfaceSpec {
            name: format!("eth{i}"),
            ..InterfaceSpec::default()
        };
        match parse_mac(mac) {
            Some(b) if b != [0; 6] => f.mac_addr = Some(format_mac(&b)),
            _ => diags.push(Diagnostic::new(
                Code::NotConverted,
                format!("EthernetAdapterSection.Adapter[{i}]"),
                format!("adapter MAC {mac:?} is not usable; left out"),
            )),
        }
        if !network.is_empty() {
            f.network = Some(PartialObjectRef {
                name: network.clone(),
                ..PartialObjectRef::default()
            });
        }
        net.interfaces.push(f);
    }
    let props = env
        .properties
        .iter()
        .map(|(k, v)| VAppProperty {
            key: k.clone(),
            value: Some(ValueOrSecret {
                value: Some(v.clone()),
                from: None,
            }),
        })
        .collect();
    let vm = VirtualMachine::reconstructed(
        name,
        (!net.interfaces.is_empty()).then_some(net),
        Some(BootstrapSpec {
            vapp_config: Some(VAppConfigSpec {
                properties: props,
                raw_properties: None,
            }),
            ..BootstrapSpec::default()
        }),
    );
    Parsed {
        vms: vec![vm],
        diagnostics: diags,
    }
}
