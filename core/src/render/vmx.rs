//! VMX snippet: one `ethernetN.*` block per interface (libvirt's writer order and MAC-range
//! rules, reference vsphere-api §4) plus the guestinfo keys the bootstrap provider reads:
//! `guestinfo.metadata`/`userdata` (gzip+base64, from the cloud-init target) and
//! `guestinfo.ovfEnv` (from the vapp target). Every value is double-quoted and escaped
//! (`"`, `|`, control characters as `|XX`), and every key is a valid VMX key.

use super::encode::{gzip_base64, vmx_escape};
use super::{Artifact, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::ip::parse_mac;
use crate::model::{Provider, VirtualMachine};
use crate::resolve::Resolved;
use crate::validate::guest::is_vmx_key;
use std::fmt::Write as _;

/// How libvirt (and vSphere) classify a MAC: `(addressType, address key, checkMACAddress)`.
pub fn mac_rule(mac: &[u8; 6]) -> (&'static str, &'static str, Option<bool>) {
    match mac {
        [0x00, 0x0c, 0x29, ..] => ("generated", "generatedAddress", None),
        [0x00, 0x50, 0x56, b, ..] if *b <= 0x3f => ("static", "address", None),
        [0x00, 0x50, 0x56, b, ..] if (0x80..=0xbf).contains(b) => ("vpx", "generatedAddress", None),
        _ => ("static", "address", Some(false)),
    }
}

/// `virtualDev` (and `features`) for a v1alpha6 interface `type`.
pub fn virtual_dev(nic_type: Option<&str>) -> (&'static str, Option<&'static str>) {
    match nic_type.unwrap_or("VMXNet3") {
        "E1000" => ("e1000", None),
        "E1000e" => ("e1000e", None),
        "VMXNet2" => ("vmxnet", Some("15")),
        "PCNet32" => ("vlance", None),
        _ => ("vmxnet3", None),
    }
}

struct Out {
    text: String,
    errors: Vec<Diagnostic>,
}

impl Out {
    fn kv(&mut self, key: &str, value: &str) {
        if !is_vmx_key(key) {
            self.errors.push(Diagnostic::new(
                Code::UnsafeValue,
                "",
                format!("{key:?} is not a valid VMX key"),
            ));
            return;
        }
        let _ = writeln!(self.text, "{key} = \"{}\"", vmx_escape(value));
    }
}

pub fn render(vm: &VirtualMachine, r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut diags = Vec::new();
    let mut o = Out {
        text: String::new(),
        errors: Vec::new(),
    };
    o.kv(".encoding", "UTF-8");
    let iface_specs = vm.interfaces();
    for (n, f) in r.interfaces.iter().enumerate() {
        let p = format!("spec.network.interfaces[{}]", f.index);
        let e = format!("ethernet{n}");
        let spec = iface_specs.get(f.index);
        o.kv(&format!("{e}.present"), "TRUE");
        let nic_type = spec.and_then(|s| s.nic_type.as_deref());
        let (dev, features) = virtual_dev(nic_type);
        if nic_type == Some("SRIOV") {
            diags.push(Diagnostic::new(
                Code::LossyTranslation,
                format!("{p}.type"),
                "an SR-IOV passthrough adapter is not an emulated ethernetN device; the snippet shows vmxnet3, which vm-operator creates today",
            ));
        }
        o.kv(&format!("{e}.virtualDev"), dev);
        if let Some(fe) = features {
            o.kv(&format!("{e}.features"), fe);
        }
        match &f.network {
            Some(net) => {
                o.kv(&format!("{e}.networkName"), net);
                o.kv(&format!("{e}.connectionType"), "bridged");
            }
            None => diags.push(
                Diagnostic::new(
                    Code::Placeholder,
                    format!("{p}.network"),
                    format!(
                        "interface {} uses the namespace's default network, whose port group is not known offline; networkName is left out",
                        f.name
                    ),
                )
                ,
            ),
        }
        match f
            .mac
            .as_ref()
            .and_then(|m| parse_mac(&m.value).map(|b| (m, b)))
        {
            Some((m, bytes)) => {
                let (at, key, check) = mac_rule(&bytes);
                o.kv(&format!("{e}.addressType"), at);
                o.kv(&format!("{e}.{key}"), &m.value);
                if at == "generated" {
                    o.kv(&format!("{e}.generatedAddressOffset"), "0");
                }
                if let Some(c) = check {
                    o.kv(
                        &format!("{e}.checkMACAddress"),
                        if c { "true" } else { "false" },
                    );
                }
            }
            None => {
                o.kv(&format!("{e}.addressType"), "generated");
                diags.push(
                    Diagnostic::new(
                        Code::NicMatchNote,
                        p.clone(),
                        format!(
                            "no MAC is known for interface {}: vSphere generates one, so guest artifacts cannot match it by MAC",
                            f.name
                        ),
                    )
                    .with_help("set macAddr or use --mac-policy derive"),
                );
            }
        }
        o.kv(&format!("{e}.startConnected"), "TRUE");
        if let Some(v) = spec.and_then(|s| s.vmxnet3.as_ref()) {
            let mut put = |k: &str, val: String| o.kv(&format!("{e}.{k}"), &val);
            if let Some(c) = &v.ctx_per_dev {
                let w = match c.as_str() {
                    "PerDevice" => "1".to_string(),
                    "PerVM" => "2".to_string(),
                    "PerQueue" => "3".to_string(),
                    other => other.to_string(),
                };
                put("ctxPerDev", w);
            }
            if let Some(b) = v.rss_offload_enabled {
                put("rssoffload", if b { "TRUE" } else { "FALSE" }.into());
            }
            if let Some(b) = v.udp_rss_enabled {
                put("udpRSS", if b { "1" } else { "2" }.into());
            }
            if !v.pnic_features.is_empty() {
                let mut mask: u64 = 0;
                for feat in &v.pnic_features {
                    mask |= match feat.as_str() {
                        "LargeReceiveOffload" => 1,
                        "ReceiveSideScaling" => 4,
                        n => n.parse::<u64>().unwrap_or(0),
                    };
                }
                let mask = mask & 0xffff;
                if mask != 0 {
                    put("pnicFeatures", mask.to_string());
                }
            }
            if let Some(c) = &v.coalescing_scheme {
                let w = match c.as_str() {
                    "Disabled" => "disabled",
                    "Adapt" => "adapt",
                    "Static" => "static",
                    "RateBasedCoalescing" => "rbc",
                    other => other,
                };
                put("coalescingScheme", w.to_string());
            }
            if let Some(c) = &v.coalescing_params {
                put("coalescingParams", c.clone());
            }
            if v.uptv2_enabled.is_some() {
                diags.push(Diagnostic::new(
                    Code::ConsumerNote,
                    format!("{p}.vmxnet3.uptv2Enabled"),
                    "uptv2Enabled is a device property, not a VMX key",
                ));
            }
        }
        for kv in spec
            .map(|s| s.advanced_properties.as_slice())
            .unwrap_or(&[])
        {
            if !kv.key.is_empty() {
                o.kv(
                    &format!("{e}.{}", kv.key),
                    kv.value.as_deref().unwrap_or(""),
                );
            }
        }
    }
    if r.provider == Provider::CloudInit {
        let mut ci_diags = Vec::new();
        let ci = super::cloudinit::render(vm, r, opts);
        ci_diags.extend(ci.diagnostics);
        for a in &ci.artifacts {
            let key = match a.name.as_str() {
                "metadata.yaml" => "guestinfo.metadata",
                "userdata.yaml" => "guestinfo.userdata",
                _ => continue,
            };
            o.kv(key, &gzip_base64(a.content.as_bytes()));
            o.kv(&format!("{key}.encoding"), "gzip+base64");
        }
        // The cloud-init target reports its own findings; repeat only errors here.
        diags.extend(
            ci_diags
                .into_iter()
                .filter(|d| d.severity == Severity::Error),
        );
    }
    if vm.bootstrap().is_some_and(|b| b.vapp_config.is_some()) {
        let mut vd = Vec::new();
        let props = super::vapp::properties(vm, r, &mut vd);
        o.kv("guestinfo.ovfEnv", &super::vapp::ovf_env(r, &props));
        diags.extend(vd.into_iter().filter(|d| d.severity == Severity::Error));
    }
    if !o.errors.is_empty() {
        return Rendered {
            artifacts: Vec::new(),
            diagnostics: o.errors,
        };
    }
    Rendered {
        artifacts: vec![Artifact {
            name: "snippet.vmx".into(),
            content: o.text,
        }],
        diagnostics: diags,
    }
}
