//! The browser API as plain Rust: strings in, serializable results out. `lib.rs` only wraps
//! these in `#[wasm_bindgen]` and turns them into JSON, so host tests and the criterion bench
//! exercise exactly what the browser runs.
//!
//! Every call answers with an [`Outcome`]: `{ok: true, ...}` when the input could be read at
//! all (findings about the spec are `diagnostics`, in the CLI's JSON shape), or `{ok: false,
//! error}` for what the CLI treats as a usage error (exit 2): an unknown target, a bad option.

use crate::options::Options;
use guestnet_core::pipeline::{Compiled, Unit, compile_str};
use guestnet_core::render::{self, Artifact, Target};
use guestnet_core::{Code, Diagnostic, Severity, diagnostic, explain, parse};
use serde::Serialize;

/// Why a call produced no result.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// `usage`: bad arguments (unknown target or format, bad options); `internal`: a bug
    /// (a panic, turned into this by the JS wrapper).
    pub kind: &'static str,
    pub message: String,
}

/// `{ok: true, ...T}` or `{ok: false, error}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Outcome<T: Serialize> {
    Ok {
        ok: True,
        #[serde(flatten)]
        value: T,
    },
    Err {
        ok: False,
        error: Failure,
    },
}

/// Serializes as `true`.
#[derive(Debug, Clone, Copy)]
pub struct True;
/// Serializes as `false`.
#[derive(Debug, Clone, Copy)]
pub struct False;

impl Serialize for True {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(true)
    }
}

impl Serialize for False {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(false)
    }
}

impl<T: Serialize> From<Result<T, String>> for Outcome<T> {
    fn from(r: Result<T, String>) -> Self {
        match r {
            Ok(value) => Outcome::Ok { ok: True, value },
            Err(message) => Outcome::Err {
                ok: False,
                error: Failure {
                    kind: "usage",
                    message,
                },
            },
        }
    }
}

impl<T: Serialize> Outcome<T> {
    /// The value, for host tests.
    pub fn value(&self) -> Option<&T> {
        match self {
            Outcome::Ok { value, .. } => Some(value),
            Outcome::Err { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&Failure> {
        match self {
            Outcome::Ok { .. } => None,
            Outcome::Err { error, .. } => Some(error),
        }
    }
}

/// Counts so a caller can decide pass/fail like the CLI's exit status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    fn of(diags: &[Diagnostic]) -> Counts {
        let mut c = Counts::default();
        for d in diags {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

#[derive(Debug, Serialize)]
pub struct Validated {
    pub diagnostics: Vec<Diagnostic>,
    #[serde(flatten)]
    pub counts: Counts,
    /// VirtualMachine documents found (catalogs not counted).
    #[serde(rename = "virtualMachines")]
    pub virtual_machines: usize,
}

/// One target's output for one VM.
#[derive(Debug, Serialize)]
pub struct TargetOutput {
    pub target: &'static str,
    /// Empty when the renderer refuses (its diagnostics say why).
    pub artifacts: Vec<Artifact>,
    /// What this renderer reported (also in the top-level list).
    pub diagnostics: Vec<Diagnostic>,
}

/// One VirtualMachine document.
#[derive(Debug, Serialize)]
pub struct VmOutput {
    /// 1-based document number in the text.
    pub document: usize,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Empty when the VM has errors (nothing is rendered from an invalid spec).
    pub targets: Vec<TargetOutput>,
}

#[derive(Debug, Serialize)]
pub struct Rendered {
    /// Every finding, sorted by position (load, validation, batch and render findings).
    pub diagnostics: Vec<Diagnostic>,
    #[serde(flatten)]
    pub counts: Counts,
    pub vms: Vec<VmOutput>,
}

#[derive(Debug, Serialize)]
pub struct ExplainedVm {
    pub document: usize,
    pub name: String,
    pub namespace: Option<String>,
    /// `guestnet explain`'s text for this VM.
    pub text: String,
    /// `guestnet explain --format json`'s `resolved` object.
    pub resolved: serde_json::Value,
    /// Where each spec field named as a source (`<- spec.network.hostName`) sits in the
    /// text, so a provenance view can jump to it. (A list, not a map: a map type costs 3 KB
    /// of wasm for no gain here.)
    pub locations: Vec<Location>,
}

/// Where a field path sits in the input text (1-based, end exclusive), like a diagnostic.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub column: u32,
    #[serde(rename = "endLine")]
    pub end_line: u32,
    #[serde(rename = "endColumn")]
    pub end_column: u32,
}

#[derive(Debug, Serialize)]
pub struct Explained {
    pub diagnostics: Vec<Diagnostic>,
    #[serde(flatten)]
    pub counts: Counts,
    pub vms: Vec<ExplainedVm>,
}

#[derive(Debug, Serialize)]
pub struct Converted {
    /// Positions refer to the converted input text.
    pub diagnostics: Vec<Diagnostic>,
    #[serde(flatten)]
    pub counts: Counts,
    /// The VirtualMachine(s) as `guestnet convert` prints them; empty when there are errors.
    pub output: String,
    /// How many VirtualMachines `output` holds.
    pub documents: usize,
}

#[derive(Debug, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    pub title: &'static str,
}

/// Loads, validates, resolves and cross-checks one text, as `guestnet validate` does for
/// one file: catalog documents in the text apply, duplicates across its VMs are reported at
/// every place, derived MACs and catalog allocations are decided for the whole text.
fn compile(text: &str, opts: &Options) -> Compiled {
    compile_str(text, &[], &opts.compile)
}

fn visible(mut diags: Vec<Diagnostic>, opts: &Options) -> Vec<Diagnostic> {
    if !opts.info {
        diags.retain(|d| d.severity != Severity::Info);
    }
    diagnostic::sort(&mut diags);
    diags
}

fn all_diagnostics(c: &Compiled) -> Vec<Diagnostic> {
    c.all_diagnostics().cloned().collect()
}

fn vm_count(c: &Compiled) -> usize {
    c.units.iter().filter(|u| u.vm.is_some()).count()
}

/// `guestnet validate`.
pub fn validate(text: &str, options: &str) -> Outcome<Validated> {
    (|| {
        let opts = Options::from_json(options)?;
        let c = compile(text, &opts);
        let diagnostics = visible(all_diagnostics(&c), &opts);
        Ok(Validated {
            counts: Counts::of(&diagnostics),
            diagnostics,
            virtual_machines: vm_count(&c),
        })
    })()
    .into()
}

/// Target names: `all`, one name, or a comma-separated list.
pub fn parse_targets(spec: &str) -> Result<Vec<Target>, String> {
    let spec = spec.trim();
    if spec == "all" {
        return Ok(Target::ALL.to_vec());
    }
    let mut out = Vec::new();
    for name in spec.split(',').map(str::trim) {
        let t = Target::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
            format!(
                "unknown target {name:?}: one of {}, or all",
                names.join(", ")
            )
        })?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn render_unit(u: &Unit, targets: &[Target], opts: &Options) -> (VmOutput, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut outs = Vec::new();
    if let (Some(vm), Some(r)) = (&u.vm, &u.resolved) {
        for t in targets {
            let mut rendered = render::render(*t, vm, r, &opts.compile.render);
            for d in &mut rendered.diagnostics {
                u.locate(d);
            }
            let diagnostics = visible(rendered.diagnostics, opts);
            found.extend(diagnostics.iter().cloned());
            outs.push(TargetOutput {
                target: t.as_str(),
                artifacts: rendered.artifacts,
                diagnostics,
            });
        }
    }
    let vm = u.vm.as_ref();
    (
        VmOutput {
            document: u.index + 1,
            name: vm.map(|v| v.name().to_string()),
            namespace: vm.and_then(|v| v.metadata.namespace.clone()),
            targets: outs,
        },
        found,
    )
}

/// `guestnet render --target T|all` for every VirtualMachine in the text.
pub fn render(text: &str, targets: &str, options: &str) -> Outcome<Rendered> {
    (|| {
        let opts = Options::from_json(options)?;
        let targets = parse_targets(targets)?;
        let c = compile(text, &opts);
        let mut diagnostics = all_diagnostics(&c);
        let mut vms = Vec::new();
        for u in c.units.iter().filter(|u| u.vm.is_some()) {
            let (out, found) = render_unit(u, &targets, &opts);
            diagnostics.extend(found);
            vms.push(out);
        }
        let diagnostics = visible(diagnostics, &opts);
        Ok(Rendered {
            counts: Counts::of(&diagnostics),
            diagnostics,
            vms,
        })
    })()
    .into()
}

/// `guestnet explain` (text and JSON at once). Never inlined: wasm/build.sh moves it, and
/// what only it reaches, into the module part loaded on first use.
#[inline(never)]
pub fn explain(text: &str, options: &str) -> Outcome<Explained> {
    (|| {
        let opts = Options::from_json(options)?;
        let c = compile(text, &opts);
        let vms = c
            .units
            .iter()
            .filter_map(|u| {
                // Sources named as the user wrote them (a v1alpha1 VM's networkInterfaces).
                let r = &explain::in_source(u.resolved.as_ref()?, &u.paths);
                let resolved = explain::json(r);
                Some(ExplainedVm {
                    document: u.index + 1,
                    name: r.name.clone(),
                    namespace: r.namespace.clone(),
                    text: explain::text(r),
                    locations: locations(u, &resolved),
                    resolved,
                })
            })
            .collect();
        let diagnostics = visible(all_diagnostics(&c), &opts);
        Ok(Explained {
            counts: Counts::of(&diagnostics),
            diagnostics,
            vms,
        })
    })()
    .into()
}

/// Source kinds whose detail is a field path in the spec (the others name a catalog, a
/// default or a derivation).
const PATH_SOURCES: &[&str] = &["interface", "global", "metadata", "spec"];

/// Every `{source: {kind, detail: path}}` in the explain JSON, placed in the text.
fn locations(u: &Unit, resolved: &serde_json::Value) -> Vec<Location> {
    let mut paths = Vec::new();
    collect_paths(resolved, &mut paths);
    let mut out: Vec<Location> = Vec::new();
    for path in paths {
        if out.iter().any(|l| l.path == path) {
            continue;
        }
        let mut d = Diagnostic::new(Code::TargetUnused, path.clone(), "");
        u.locate(&mut d);
        if let (Some(line), Some(column), Some(end_line), Some(end_column)) =
            (d.line, d.column, d.end_line, d.end_column)
        {
            out.push(Location {
                path,
                line,
                column,
                end_line,
                end_column,
            });
        }
    }
    out
}

fn collect_paths(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            let kind = m.get("kind").and_then(|k| k.as_str());
            let detail = m.get("detail").and_then(|d| d.as_str());
            if let (Some(kind), Some(detail)) = (kind, detail)
                && PATH_SOURCES.contains(&kind)
            {
                out.push(detail.to_string());
            }
            m.values().for_each(|x| collect_paths(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_paths(x, out)),
        _ => {}
    }
}

/// Output of `convert`: `yaml` (the default) or `json`, as `guestnet convert --to`.
fn convert_output(vms: &[guestnet_core::model::VirtualMachine], to: &str) -> String {
    match to {
        "json" => {
            let v: Vec<serde_json::Value> = vms
                .iter()
                .map(|vm| serde_json::to_value(vm).unwrap_or_default())
                .collect();
            let one = match <[serde_json::Value; 1]>::try_from(v) {
                Ok([single]) => single,
                Err(v) => serde_json::Value::Array(v),
            };
            serde_json::to_string_pretty(&one).unwrap_or_default() + "\n"
        }
        _ => vms
            .iter()
            .map(parse::to_yaml)
            .collect::<Vec<_>>()
            .join("---\n"),
    }
}

/// `guestnet convert --from F [--to yaml|json] [--name N]`. Never inlined: wasm/build.sh
/// moves it, and what only it reaches, into the module part loaded on first use.
#[inline(never)]
pub fn convert(from: &str, text: &str, to: &str, name: &str) -> Outcome<Converted> {
    (|| {
        let format = parse::Format::parse_name(from.trim()).ok_or_else(|| {
            let names: Vec<&str> = parse::Format::ALL.iter().map(|f| f.as_str()).collect();
            format!("unknown format {from:?}: one of {}", names.join(", "))
        })?;
        let to = match to.trim() {
            "" | "yaml" => "yaml",
            "json" => "json",
            other => return Err(format!("unknown output {other:?}: yaml or json")),
        };
        let name = match name.trim() {
            "" => "converted",
            n => n,
        };
        let parsed = parse::parse(format, text, name);
        let mut diagnostics = parsed.diagnostics;
        diagnostic::sort(&mut diagnostics);
        let counts = Counts::of(&diagnostics);
        let ok = counts.errors == 0;
        Ok(Converted {
            output: if ok {
                convert_output(&parsed.vms, to)
            } else {
                String::new()
            },
            documents: if ok { parsed.vms.len() } else { 0 },
            counts,
            diagnostics,
        })
    })()
    .into()
}

/// `guestnet rules`.
pub fn rules() -> Vec<Rule> {
    Code::ALL
        .iter()
        .map(|c| Rule {
            code: c.as_str(),
            severity: c.default_severity(),
            title: c.title(),
        })
        .collect()
}

/// Names the UI offers: targets and convert formats, in the CLI's order.
#[derive(Debug, Serialize)]
pub struct Catalog {
    pub targets: Vec<&'static str>,
    pub formats: Vec<&'static str>,
    pub version: &'static str,
}

pub fn catalog() -> Catalog {
    Catalog {
        targets: Target::ALL.iter().map(|t| t.as_str()).collect(),
        formats: parse::Format::ALL.iter().map(|f| f.as_str()).collect(),
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// Serializes a result; serde_json cannot fail on these types, but a failure still becomes
/// an error result rather than a panic.
pub fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        format!(
            r#"{{"ok":false,"error":{{"kind":"internal","message":{}}}}}"#,
            serde_json::Value::String(format!("cannot serialize the result: {e}"))
        )
    })
}
