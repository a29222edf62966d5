//! Shared helpers for integration and oracle tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use guestnet_core::pipeline::{CompileOptions, Unit, compile_str};
use guestnet_core::render::GatewayStyle;
use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::{FeatureGates, NetworkProvider};
use guestnet_core::vim25::VimVersion;
use std::path::{Path, PathBuf};

pub mod libvirt;

/// A golden case's `options.yaml` (one `key: value` per line) as compile options.
pub fn case_options(case: &Path) -> CompileOptions {
    let mut o = CompileOptions::default();
    if let Ok(text) = std::fs::read_to_string(case.join("options.yaml")) {
        for line in text.lines() {
            match line.trim() {
                "gatewayStyle: gateway4" => o.render.gateway_style = GatewayStyle::Gateway4,
                "provider: vpc" => o.validate.provider = Some(NetworkProvider::Vpc),
                "provider: vds" => o.validate.provider = Some(NetworkProvider::Vds),
                "provider: nsxt" => o.validate.provider = Some(NetworkProvider::Nsxt),
                l if l.starts_with("featureGates: ") => {
                    o.validate.features = FeatureGates::parse(&l["featureGates: ".len()..])
                        .unwrap_or_else(|e| panic!("{e} in {}", case.display()));
                    o.render.features = o.validate.features;
                }
                l if l.starts_with("macPolicy: ") => {
                    o.resolve.mac_policy = MacPolicy::parse(&l["macPolicy: ".len()..])
                        .unwrap_or_else(|| panic!("unknown macPolicy in {}", case.display()))
                }
                l if l.starts_with("custcfgMarkerId: ") => {
                    o.render.custcfg_marker_id = Some(l["custcfgMarkerId: ".len()..].to_string())
                }
                "custcfgPostGcStatus: true" => o.render.custcfg_post_gc_status = true,
                // Read by the golden harness: also snapshot `--target all`.
                "renderAll: true" => {}
                "goscEnvelope: customize-vm" => o.render.gosc.envelope = EnvelopeKind::CustomizeVm,
                "goscEnvelope: customize-guest" => {
                    o.render.gosc.envelope = EnvelopeKind::CustomizeGuest
                }
                "goscEnvelope: create-spec" => o.render.gosc.envelope = EnvelopeKind::CreateSpec,
                l if l.starts_with("apiVersion: ") => {
                    o.render.gosc.api_version =
                        VimVersion::parse(&l["apiVersion: ".len()..]).expect("api version")
                }
                "" => {}
                other => panic!("unknown option line {other:?} in {}", case.display()),
            }
        }
    }
    o
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every golden case folder, sorted.
pub fn golden_cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(workspace_root().join("golden-tests"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("input.yaml").exists())
        .collect();
    v.sort();
    v
}

/// Units that resolved (no errors) for one golden case.
pub fn resolved_units(case: &Path, opts: &CompileOptions) -> Vec<Unit> {
    let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
    compile_str(&text, &[], opts)
        .units
        .into_iter()
        .filter(|u| u.resolved.is_some())
        .collect()
}

/// Whether an oracle tool is installed. A missing tool skips the test *loudly*; under
/// `GUESTNET_REQUIRE_ORACLES=1` (set by `.ci/run`) it fails instead, so CI can never pass
/// by skipping.
pub fn oracle_available(tool: &str, why: &str) -> bool {
    let found = if tool.contains('/') {
        Path::new(tool).exists()
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
            .unwrap_or(false)
    };
    oracle_found(found, &format!("`{tool}` is not installed"), why)
}

/// Like [`oracle_available`] for a condition the caller checked (a Python module, a
/// package's source tree): skip loudly, or fail under `GUESTNET_REQUIRE_ORACLES=1`.
pub fn oracle_found(found: bool, what: &str, why: &str) -> bool {
    if found {
        return true;
    }
    let msg = format!("ORACLE SKIPPED: {what} ({why})");
    if std::env::var("GUESTNET_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("{msg}; GUESTNET_REQUIRE_ORACLES=1 forbids skipping");
    }
    eprintln!("\n!!! {msg} !!!\n");
    false
}

/// One rendering variant of a golden case: the case's own options with `style` and, when
/// given, `policy` put over them.
pub fn variant_options(
    case: &Path,
    style: GatewayStyle,
    policy: Option<MacPolicy>,
) -> CompileOptions {
    let mut o = case_options(case);
    o.render.gateway_style = style;
    if let Some(p) = policy {
        o.resolve.mac_policy = p;
    }
    o
}

/// A route as the guest's network stack holds it: destination address and prefix length,
/// next hop, metric. Destinations keep their host bits, as netplan and cloud-init do.
pub type GuestRoute = (std::net::IpAddr, u8, std::net::IpAddr, Option<i64>);

/// The routes an interface must end up with, from the resolved configuration alone: its
/// gateways as default routes plus its own routes (`default` is the default route of the
/// next hop's family). A set: declaring the same route twice is still one route.
pub fn expected_routes(
    f: &guestnet_core::resolve::Interface,
) -> std::collections::BTreeSet<GuestRoute> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let unspecified = |gw: &IpAddr| -> IpAddr {
        if gw.is_ipv4() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        }
    };
    let mut out = std::collections::BTreeSet::new();
    for g in [&f.gateway4, &f.gateway6].into_iter().flatten() {
        out.insert((unspecified(&g.value), 0, g.value, None));
    }
    for r in &f.routes {
        let via: IpAddr = r.via.parse().unwrap();
        let (dest, prefix) = if r.to == "default" {
            (unspecified(&via), 0)
        } else {
            let (a, p) = r.to.split_once('/').unwrap();
            (a.parse().unwrap(), p.parse().unwrap())
        };
        out.insert((dest, prefix, via, r.metric));
    }
    out
}

/// `ip/prefix` -> (address, prefix).
pub fn split_cidr(s: &str) -> Option<(std::net::IpAddr, u8)> {
    let (a, p) = s.split_once('/')?;
    Some((a.parse().ok()?, p.parse().ok()?))
}

/// A scratch directory for an oracle's batch: a fresh temporary one, or, when
/// `GUESTNET_ORACLE_DIR` is set, that directory (kept, to rerun the oracle by hand).
pub fn oracle_dir(name: &str) -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("GUESTNET_ORACLE_DIR") {
        Some(d) => {
            let p = PathBuf::from(d).join(name);
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            eprintln!("oracle batch kept in {}", p.display());
            (None, p)
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// One document of a golden input as an editor sees it: its own text, the schema for
/// its apiVersion/kind, and whether guestnet rejects it for a reason a JSON Schema can
/// express (shape, types, patterns, limits, required fields, YAML 1.2 readings).
#[derive(Debug)]
pub struct SchemaCase {
    pub case: PathBuf,
    pub index: usize,
    pub text: String,
    pub kind: guestnet_cli::schema::Kind,
    pub guestnet_rejects: bool,
    pub why: Vec<String>,
}

/// The codes whose findings a JSON Schema can make too.
pub const SCHEMA_CODES: &[guestnet_core::Code] = &[
    guestnet_core::Code::UnknownField,
    guestnet_core::Code::WrongType,
    guestnet_core::Code::UnsupportedKind,
    guestnet_core::Code::MissingField,
    guestnet_core::Code::Yaml11Boolean,
    guestnet_core::Code::InterfaceName,
    guestnet_core::Code::GuestDeviceName,
    guestnet_core::Code::MacAddress,
    guestnet_core::Code::RouteMetric,
    guestnet_core::Code::TooManyInterfaces,
    guestnet_core::Code::Vlan,
    guestnet_core::Code::IpamModes,
];

/// Every VirtualMachine and Network document of every golden input, split at `---`.
pub fn schema_cases() -> Vec<SchemaCase> {
    let mut out = Vec::new();
    for case in golden_cases() {
        let text = std::fs::read_to_string(case.join("input.yaml")).unwrap();
        let mut chunks = vec![String::new()];
        for line in text.split_inclusive('\n') {
            if line.starts_with("---") {
                chunks.push(String::new());
            } else if let Some(c) = chunks.last_mut() {
                c.push_str(line);
            }
        }
        for (index, chunk) in chunks.into_iter().enumerate() {
            // Explicit tags (`!!binary`) resolve per YAML library (ruamel gives bytes,
            // which JSON has no type for): a question of the reader, not of the schema.
            if chunk.contains(" !!") {
                continue;
            }
            let Ok(docs) = guestnet_core::pipeline::load(&chunk, &Default::default()) else {
                continue;
            };
            let Some(doc) = docs.first() else { continue };
            let field = |k: &str| doc.root.get(k).and_then(|n| n.as_str()).unwrap_or("");
            let Some(kind) =
                guestnet_cli::schema::Kind::for_document(field("apiVersion"), field("kind"))
            else {
                continue;
            };
            let compiled = compile_str(&chunk, &[], &CompileOptions::default());
            let why: Vec<String> = compiled
                .all_diagnostics()
                .filter(|d| {
                    SCHEMA_CODES.contains(&d.code)
                        && d.severity == guestnet_core::Severity::Error
                        // Cross-field rules (vlans only with CloudInit, say) are not the
                        // schema's: it judges each field's shape.
                        && !d.message.contains("Forbidden: ")
                })
                .map(|d| format!("{} {}", d.code, d.webhook_text()))
                .collect();
            out.push(SchemaCase {
                case: case.clone(),
                index,
                text: chunk,
                kind,
                guestnet_rejects: !why.is_empty(),
                why,
            });
        }
    }
    out
}

/// A document's JSON value as a YAML 1.2 reader (an editor, JSON Schema) sees it.
pub fn json_of(text: &str) -> serde_json::Value {
    let docs = guestnet_core::source::yaml::parse_documents(text, &Default::default()).unwrap();
    let sink = guestnet_core::source::de::Sink::default();
    guestnet_core::source::de::from_node(&docs[0].root, &sink).unwrap()
}
