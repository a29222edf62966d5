//! vm-operator's own test tables as a conformance suite.
//!
//! `cli/tests/vmop/*.yaml` holds the network-relevant cases of vm-operator's Go tests,
//! ported as data from `github.com/vmware-tanzu/vm-operator` at commit
//! `506dc5dcb9d5fc23a5354944b91b6d15e348dd2f` (each file records its Go file and the same
//! commit): the webhook's tables (`webhooks/virtualmachine/validation/*_test.go`),
//! `pkg/util/vmopv1/network_test.go`, `pkg/util/network_test.go`, the netplan / GOSC /
//! bootstrap generators (`pkg/providers/vsphere/network/*_test.go`) and the LinuxPrep /
//! Sysprep / CloudInit bootstraps (`pkg/providers/vsphere/vmlifecycle/bootstrap_*_test.go`).
//!
//! Each case is the Go test's name (Describe / Context / It path or table entry), our input
//! (a VirtualMachine manifest and options), and what the Go test asserts: the webhook's
//! verdict and its exact `path: message` texts, or, for the generators, the values it checks,
//! compared with our parsed artifacts. A case vm-operator's test cannot have offline (it
//! needs a live cluster object or an old object for an update) is recorded as skipped with
//! the reason; a deliberate difference is a `deviation` naming the guestnet codes and why.
//! The data is committed, so this runs in `cargo test` without network or the Go sources.
//!
//! When the fetched repository is present (`GUESTNET_VMOP_GIT_DIR`, or the tool mirror next
//! to the workspace), a second test reads each Go file at the recorded commit and checks
//! that every test title in the declared line ranges has a case (ported or skipped).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use guestnet_core::pipeline::{CompileOptions, compile_str};
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::{MacPolicy, resolve_with};
use guestnet_core::validate::{FeatureGates, NetworkProvider};
use guestnet_core::vim25::VimVersion;
use guestnet_core::vim25::xml::{self as vxml, Element};
use guestnet_core::{Diagnostic, Severity};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The vm-operator commit every case file was ported from.
const COMMIT: &str = "506dc5dcb9d5fc23a5354944b91b6d15e348dd2f";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CaseFile {
    source: SourceRef,
    #[serde(default)]
    defaults: Defaults,
    /// Diagnostics outside these codes are not compared, and inside them the list of
    /// errors must be exact (Go tests that use `MatchError` on one function).
    #[serde(default)]
    scope: Vec<String>,
    /// Line ranges of the Go file whose every `It`/`Entry` title must have a case.
    #[serde(default)]
    coverage: Vec<[usize; 2]>,
    /// Other test titles in those ranges that are not test cases (table parameters).
    #[serde(default)]
    not_cases: Vec<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceRef {
    repo: String,
    commit: String,
    file: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Defaults {
    api_version: Option<String>,
    metadata: Option<Value>,
    spec: Option<Value>,
    #[serde(default)]
    options: Options,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Options {
    provider: Option<String>,
    legacy_provider: Option<String>,
    feature_gates: Option<String>,
    gateway_style: Option<String>,
    mac_policy: Option<String>,
    /// vSphere API version for the gosc target.
    vim_version: Option<String>,
}

impl Options {
    fn over(&self, base: &Options) -> Options {
        Options {
            provider: self.provider.clone().or_else(|| base.provider.clone()),
            legacy_provider: self
                .legacy_provider
                .clone()
                .or_else(|| base.legacy_provider.clone()),
            feature_gates: self
                .feature_gates
                .clone()
                .or_else(|| base.feature_gates.clone()),
            gateway_style: self
                .gateway_style
                .clone()
                .or_else(|| base.gateway_style.clone()),
            mac_policy: self.mac_policy.clone().or_else(|| base.mac_policy.clone()),
            vim_version: self
                .vim_version
                .clone()
                .or_else(|| base.vim_version.clone()),
        }
    }

    fn compile(&self) -> CompileOptions {
        let prov = |s: &str| match s {
            "vds" => NetworkProvider::Vds,
            "nsxt" => NetworkProvider::Nsxt,
            "vpc" => NetworkProvider::Vpc,
            other => panic!("unknown provider {other}"),
        };
        let mut o = CompileOptions::default();
        o.validate.provider = self.provider.as_deref().map(prov);
        o.validate.legacy_provider = self.legacy_provider.as_deref().map(prov);
        if let Some(g) = &self.feature_gates {
            o.validate.features = FeatureGates::parse(g).unwrap();
            o.render.features = o.validate.features;
        }
        if self.gateway_style.as_deref() == Some("gateway4") {
            o.render.gateway_style = GatewayStyle::Gateway4;
        }
        if let Some(m) = &self.mac_policy {
            o.resolve.mac_policy = MacPolicy::parse(m).unwrap();
        }
        if let Some(v) = &self.vim_version {
            o.render.gosc.api_version = VimVersion::parse(v).unwrap();
        }
        o
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Case {
    /// The Go test's Describe / Context / It path (or table entry), ` / `-separated.
    name: String,
    /// Why the case cannot apply offline; the case is counted, not run.
    skip: Option<String>,
    /// How the input was adapted from the Go test, when it was.
    #[allow(dead_code)]
    note: Option<String>,
    api_version: Option<String>,
    metadata: Option<Value>,
    spec: Option<Value>,
    /// Extra YAML documents of the batch (network catalogs) before the VM.
    #[serde(default)]
    catalogs: Vec<Value>,
    #[serde(default)]
    options: Options,
    /// The webhook's verdict.
    allowed: Option<bool>,
    /// The webhook's `path: message` texts the Go test expects (substrings of the joined
    /// reason, as `ContainSubstring`; exact within `scope`).
    #[serde(default)]
    errors: Vec<String>,
    deviation: Option<Deviation>,
    /// A function-level table: `IsValidHostName`, `IsValidDomainName`, `ParseIP`.
    function: Option<String>,
    input: Option<String>,
    valid: Option<bool>,
    ip: Option<String>,
    network: Option<String>,
    error: Option<bool>,
    /// Generation: the target whose artifact the Go test's assertions are checked on.
    target: Option<String>,
    /// Render without validation, as the Go test calls the generator on its own.
    #[serde(default)]
    unvalidated: bool,
    /// Path -> expected value in the parsed artifact.
    #[serde(default)]
    expect: BTreeMap<String, Value>,
    /// With a `deviation` on a generation case: what the Go test asserts where guestnet
    /// deliberately differs (`expect` then holds guestnet's values); at least one entry
    /// must not hold, so the documented difference is real.
    #[serde(default)]
    go_expect: BTreeMap<String, Value>,
    /// No artifact, and a finding with this code says why.
    no_artifact: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deviation {
    /// guestnet's verdict when it differs from the webhook's.
    allowed: Option<bool>,
    /// The codes that make the difference (present in our findings).
    #[serde(default)]
    codes: Vec<String>,
    reason: String,
}

fn vmop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vmop")
}

fn case_files() -> Vec<(PathBuf, CaseFile)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vmop_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|x| x.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let f: CaseFile =
                serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, f)
        })
        .collect()
}

/// `<<a*64>>` -> 64 `a`s: long values stay readable in the data.
fn expand(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("<<") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let j = tail.find(">>").expect("unterminated <<");
        let (what, n) = tail[..j].rsplit_once('*').expect("<<text*count>>");
        out.push_str(&what.repeat(n.parse().unwrap()));
        rest = &tail[j + 2..];
    }
    out.push_str(rest);
    out
}

fn expand_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(expand(s)),
        Value::Array(a) => Value::Array(a.iter().map(expand_value).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (expand(k), expand_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(a), Value::Object(b)) => {
            let mut m = a.clone();
            for (k, v) in b {
                let merged = match m.get(k) {
                    Some(old) => merge(old, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (_, o) => o.clone(),
    }
}

/// The case's input as a multi-document JSON stream (JSON is YAML).
fn manifest(f: &CaseFile, c: &Case) -> String {
    let meta = merge(
        f.defaults.metadata.as_ref().unwrap_or(&json!({})),
        c.metadata.as_ref().unwrap_or(&json!({})),
    );
    let spec = c
        .spec
        .clone()
        .or_else(|| f.defaults.spec.clone())
        .unwrap_or(json!({}));
    let vm = json!({
        "apiVersion": c.api_version.clone().or_else(|| f.defaults.api_version.clone())
            .unwrap_or_else(|| "vmoperator.vmware.com/v1alpha6".into()),
        "kind": "VirtualMachine",
        "metadata": expand_value(&meta),
        "spec": expand_value(&spec),
    });
    let mut docs: Vec<String> = c
        .catalogs
        .iter()
        .map(|cat| serde_json::to_string(cat).unwrap())
        .collect();
    docs.push(serde_json::to_string(&vm).unwrap());
    docs.join("\n---\n")
}

#[derive(Default)]
struct Tally {
    ported: usize,
    passed: usize,
    deviations: usize,
    skipped: usize,
    failures: Vec<String>,
}

fn diag_list(ds: &[&Diagnostic]) -> String {
    ds.iter()
        .map(|d| format!("  {} {} {}", d.code, d.severity, d.webhook_text()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one case; `Err` is the reason it failed.
fn run_case(f: &CaseFile, c: &Case) -> Result<bool, String> {
    let opts = c.options.over(&f.defaults.options).compile();
    if let Some(func) = &c.function {
        return run_function(func, c).map(|_| false);
    }
    let text = manifest(f, c);
    let compiled = compile_str(&text, &[], &opts);
    let all: Vec<&Diagnostic> = compiled.all_diagnostics().collect();
    let scoped: Vec<&Diagnostic> = all
        .iter()
        .copied()
        .filter(|d| f.scope.is_empty() || f.scope.iter().any(|s| s == d.code.as_str()))
        .collect();
    let errors: Vec<&Diagnostic> = scoped
        .iter()
        .copied()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let mut deviated = false;
    if let Some(d) = &c.deviation {
        deviated = true;
        if d.reason.trim().is_empty() {
            return Err("a deviation needs its reason".into());
        }
        for code in &d.codes {
            if !all.iter().any(|x| x.code.as_str() == code) {
                return Err(format!(
                    "deviation names {code}, which guestnet did not report:\n{}",
                    diag_list(&all)
                ));
            }
        }
    }
    if let Some(allowed) = c.allowed {
        let want_allowed = match c.deviation.as_ref().and_then(|d| d.allowed) {
            Some(ours) if ours == allowed => {
                return Err("a verdict deviation must change the verdict".into());
            }
            Some(ours) => ours,
            None => allowed,
        };
        if want_allowed != errors.is_empty() {
            return Err(format!(
                "vm-operator {} it{}, guestnet {}:\n{}",
                if allowed { "allows" } else { "rejects" },
                if deviated { " (deviation)" } else { "" },
                if errors.is_empty() {
                    "accepts it"
                } else {
                    "rejects it"
                },
                diag_list(&scoped)
            ));
        }
        for e in &c.errors {
            let e = expand(e);
            let found = errors.iter().any(|d| {
                if f.scope.is_empty() {
                    d.webhook_text().contains(&e)
                } else {
                    d.webhook_text() == e
                }
            });
            if !found {
                return Err(format!(
                    "missing the webhook's error\n  {e}\nguestnet reported:\n{}",
                    diag_list(&scoped)
                ));
            }
        }
        if !f.scope.is_empty() && errors.len() != c.errors.len() {
            return Err(format!(
                "expected exactly {:?}, got:\n{}",
                c.errors,
                diag_list(&errors)
            ));
        }
    }
    if let Some(t) = &c.target {
        run_generation(c, t, &text, &opts, &all)?;
    }
    if c.allowed.is_none() && c.target.is_none() {
        return Err("a case needs `allowed`, `target` or `function`".into());
    }
    Ok(deviated)
}

fn run_function(func: &str, c: &Case) -> Result<(), String> {
    let input = expand(c.input.as_deref().ok_or("function cases need `input`")?);
    match func {
        "IsValidHostName" | "IsValidDomainName" => {
            let got = if func == "IsValidHostName" {
                guestnet_core::validate::is_valid_host_name(&input)
            } else {
                guestnet_core::validate::is_valid_domain_name(&input)
            };
            let want = c.valid.ok_or("`valid` missing")?;
            (got == want)
                .then_some(())
                .ok_or(format!("{func}({input:?}) = {got}, Go says {want}"))
        }
        "ParseIP" => {
            // util.ParseIP: a CIDR when the text has a '/', else an address (nil, no error).
            let (ip, net, err) = if input.contains('/') {
                match guestnet_core::ip::parse_cidr(&input) {
                    Ok(cidr) => (
                        Some(cidr.addr.to_string()),
                        Some(format!("{}/{}", cidr.network(), cidr.prefix)),
                        false,
                    ),
                    Err(_) => (None, None, true),
                }
            } else {
                (
                    guestnet_core::ip::parse_ip(&input).map(|i| i.to_string()),
                    None,
                    false,
                )
            };
            let want = (c.ip.clone(), c.network.clone(), c.error.unwrap_or(false));
            (ip.clone(), net.clone(), err)
                .eq(&want)
                .then_some(())
                .ok_or(format!(
                    "ParseIP({input:?}) = ({ip:?}, {net:?}, error {err}), Go says {want:?}"
                ))
        }
        other => Err(format!("unknown function {other}")),
    }
}

fn run_generation(
    c: &Case,
    target: &str,
    text: &str,
    opts: &CompileOptions,
    validation: &[&Diagnostic],
) -> Result<(), String> {
    let t = Target::parse(target).ok_or(format!("unknown target {target}"))?;
    let (vm, resolved) = if c.unvalidated {
        c.note
            .as_ref()
            .ok_or("an unvalidated case must say why (note)")?;
        let docs =
            guestnet_core::pipeline::load(text, &opts.limits).map_err(|e| e.message.clone())?;
        let cats = guestnet_core::pipeline::catalogs(&docs);
        let doc = docs
            .into_iter()
            .find(|d| {
                matches!(
                    d.input,
                    Some(guestnet_core::pipeline::Input::VirtualMachine(..))
                )
            })
            .ok_or("no VirtualMachine")?;
        let Some(guestnet_core::pipeline::Input::VirtualMachine(vm, v)) = doc.input else {
            unreachable!()
        };
        let r = resolve_with(&vm, v, &cats, &opts.resolve);
        (*vm, r)
    } else {
        let errors: Vec<&&Diagnostic> = validation
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        if !errors.is_empty() {
            return Err(format!(
                "the input does not validate:\n{}",
                diag_list(&errors.into_iter().copied().collect::<Vec<_>>())
            ));
        }
        let compiled = compile_str(text, &[], opts);
        let u = compiled
            .units
            .into_iter()
            .find(|u| u.resolved.is_some())
            .ok_or("nothing resolved")?;
        (u.vm.unwrap(), u.resolved.unwrap())
    };
    let out = render::render(t, &vm, &resolved, &opts.render);
    if let Some(code) = &c.no_artifact {
        if !out.artifacts.is_empty() {
            return Err(format!("expected no {target} artifact"));
        }
        return out
            .diagnostics
            .iter()
            .any(|d| d.code.as_str() == code)
            .then_some(())
            .ok_or(format!(
                "no {code} saying why:\n{}",
                diag_list(&out.diagnostics.iter().collect::<Vec<_>>())
            ));
    }
    let art = |name: &str| {
        out.artifacts
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.content.clone())
    };
    let missing = || {
        format!(
            "no {target} artifact:\n{}",
            diag_list(&out.diagnostics.iter().collect::<Vec<_>>())
        )
    };
    match t {
        Target::Gosc => {
            let x = art("gosc.xml").ok_or_else(missing)?;
            let root = vxml::parse(&x).map_err(|e| e.message)?;
            for (path, want) in &c.expect {
                check_xml(&root, path, want).map_err(|e| format!("{path}: {e}\n{x}"))?;
            }
            go_differs(c, |p, w| check_xml(&root, p, w))?;
        }
        Target::Vapp => {
            let x = art("vapp-config.xml").ok_or_else(missing)?;
            let root = vxml::parse(&x).map_err(|e| e.message)?;
            for (path, want) in &c.expect {
                check_xml(&root, path, want).map_err(|e| format!("{path}: {e}\n{x}"))?;
            }
            go_differs(c, |p, w| check_xml(&root, p, w))?;
        }
        Target::Vmx => {
            // `key = "value"` lines; expectation paths are whole VMX keys.
            let x = art("snippet.vmx").ok_or_else(missing)?;
            let mut keys = Map::new();
            for line in x.lines() {
                if let Some((k, v)) = line.split_once(" = ") {
                    keys.insert(
                        k.trim().to_string(),
                        Value::String(v.trim().trim_matches('"').to_string()),
                    );
                }
            }
            for (path, want) in &c.expect {
                matches(keys.get(path.as_str()), want).map_err(|e| format!("{path}: {e}\n{x}"))?;
            }
        }
        Target::Netplan | Target::CloudInit => {
            let mut doc = Map::new();
            if t == Target::Netplan {
                let y = art("netplan.yaml").ok_or_else(missing)?;
                doc.insert("netplan".into(), yaml(&y)?);
            } else {
                let m = art("metadata.yaml").ok_or_else(missing)?;
                doc.insert("metadata".into(), yaml(&m)?);
                if let Some(u) = art("userdata.yaml") {
                    doc.insert(
                        "userdataHeader".into(),
                        Value::String(u.lines().take(2).collect::<Vec<_>>().join("\n")),
                    );
                    doc.insert("userdata".into(), yaml(&u)?);
                }
            }
            let root = Value::Object(doc);
            for (path, want) in &c.expect {
                check_tree(&root, path, want).map_err(|e| {
                    format!(
                        "{path}: {e}\n{}",
                        serde_json::to_string_pretty(&root).unwrap()
                    )
                })?;
            }
            go_differs(c, |p, w| check_tree(&root, p, w))?;
        }
        _ => return Err(format!("no comparison for target {target}")),
    }
    Ok(())
}

/// A generation deviation must be real: some value the Go test asserts does not hold.
fn go_differs(c: &Case, check: impl Fn(&str, &Value) -> Result<(), String>) -> Result<(), String> {
    match (&c.deviation, c.go_expect.is_empty()) {
        (None, true) => Ok(()),
        (None, false) => Err("goExpect needs a deviation saying why".into()),
        (Some(_), true) if c.allowed.is_some() => Ok(()),
        (Some(_), true) => Err("a generation deviation lists the Go values (goExpect)".into()),
        (Some(_), false) => {
            if c.go_expect.iter().all(|(p, w)| check(p, w).is_ok()) {
                Err("the documented deviation does not occur: every goExpect value holds".into())
            } else {
                Ok(())
            }
        }
    }
}

fn yaml(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| format!("{e}\n{text}"))
}

/// Splits `a.b[2].c` into (`a`, None), (`b`, Some(2)), (`c`, None).
fn segments(path: &str) -> Vec<(String, Option<usize>)> {
    path.split('.')
        .map(|s| match s.split_once('[') {
            Some((n, i)) => (
                n.to_string(),
                Some(i.trim_end_matches(']').parse().unwrap()),
            ),
            None => (s.to_string(), None),
        })
        .collect()
}

fn is_default_to(to: &str) -> bool {
    matches!(to, "default" | "0.0.0.0/0" | "::/0")
}

/// Values the Go tests assert that netplan can spell two ways: `@default4`/`@default6` are
/// the sets of default-route next hops (from `gateway4`/`gateway6` or a default route),
/// `@routes` the other routes in order.
fn virtual_key(obj: &Value, key: &str) -> Option<Value> {
    let routes = obj
        .get("routes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let to_of = |r: &Value| {
        r.get("to")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match key {
        "@default4" | "@default6" => {
            let v4 = key == "@default4";
            let mut hops: Vec<String> = Vec::new();
            let gw = obj.get(if v4 { "gateway4" } else { "gateway6" });
            if let Some(g) = gw.and_then(Value::as_str) {
                hops.push(g.to_string());
            }
            for r in &routes {
                let via = r.get("via").and_then(Value::as_str).unwrap_or("");
                let is_v4 = match to_of(r).as_str() {
                    "0.0.0.0/0" => true,
                    "::/0" => false,
                    "default" => !via.contains(':'),
                    _ => continue,
                };
                if is_v4 == v4 {
                    hops.push(via.to_string());
                }
            }
            // Addresses compare by value (`fd00:0::1` is `fd00::1`).
            let mut hops: Vec<String> = hops
                .into_iter()
                .map(|h| canonical_ip(&h).unwrap_or(h))
                .collect();
            hops.sort();
            hops.dedup();
            Some(Value::Array(hops.into_iter().map(Value::String).collect()))
        }
        "@routes" => Some(Value::Array(
            routes
                .into_iter()
                .filter(|r| !is_default_to(&to_of(r)))
                .collect(),
        )),
        _ => None,
    }
}

fn lookup<'v>(root: &'v Value, path: &str) -> Option<std::borrow::Cow<'v, Value>> {
    use std::borrow::Cow;
    let mut cur: Cow<'v, Value> = Cow::Borrowed(root);
    for (name, idx) in segments(path) {
        let next: Cow<'v, Value> = if name.starts_with('@') {
            Cow::Owned(virtual_key(&cur, &name)?)
        } else {
            match cur {
                Cow::Borrowed(b) => Cow::Borrowed(b.get(&name)?),
                Cow::Owned(o) => Cow::Owned(o.get(&name)?.clone()),
            }
        };
        cur = match idx {
            None => next,
            Some(i) => match next {
                Cow::Borrowed(b) => Cow::Borrowed(b.get(i)?),
                Cow::Owned(o) => Cow::Owned(o.get(i)?.clone()),
            },
        };
    }
    Some(cur)
}

fn canonical_ip(s: &str) -> Option<String> {
    guestnet_core::ip::parse_ip(s).map(|i| i.to_string())
}

fn canonical_cidr(s: &str) -> Option<String> {
    guestnet_core::ip::parse_cidr(s).ok().map(|c| c.to_string())
}

/// Expected-value forms: a scalar or list is compared as is; `null` means absent (or empty);
/// `{ips: [..]}` / `{cidrs: [..]}` compare address lists by value (sorted for `ips`);
/// `{caseInsensitive: s}`, `{secret: NAME/KEY}` (the placeholder guestnet writes where the
/// Go test sees the Secret's value), `{contains: [..]}`, `{len: n}`, `{startsWith: s}`.
fn matches(got: Option<&Value>, want: &Value) -> Result<(), String> {
    let fail = || Err(format!("got {got:?}, want {want}"));
    match want {
        Value::Null => match got {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Array(a)) if a.is_empty() => Ok(()),
            Some(Value::Object(m)) if m.is_empty() => Ok(()),
            Some(Value::String(s)) if s.is_empty() => Ok(()),
            _ => fail(),
        },
        Value::Object(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().unwrap();
            let s = got.and_then(Value::as_str);
            let ok = match k.as_str() {
                "caseInsensitive" => s
                    .zip(v.as_str())
                    .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b)),
                "secret" => s == Some(&format!("${{secret:{}}}", v.as_str().unwrap_or(""))),
                "startsWith" => s.zip(v.as_str()).is_some_and(|(a, b)| a.starts_with(b)),
                "contains" => match (got.and_then(Value::as_array), v.as_array()) {
                    (Some(have), Some(need)) => need.iter().all(|n| have.contains(n)),
                    _ => false,
                },
                "ips" | "cidrs" => {
                    let canon = |v: &Value| -> Option<Vec<String>> {
                        let mut out = v
                            .as_array()?
                            .iter()
                            .map(|x| {
                                let t = x.as_str()?;
                                if k == "ips" {
                                    canonical_ip(t)
                                } else {
                                    canonical_cidr(t)
                                }
                            })
                            .collect::<Option<Vec<String>>>()?;
                        if k == "ips" {
                            out.sort();
                        }
                        Some(out)
                    };
                    let have = got.map_or(Some(Vec::new()), canon);
                    have.is_some() && have == canon(v)
                }
                "len" => {
                    let n = match got {
                        Some(Value::Array(a)) => a.len(),
                        Some(Value::Object(o)) => o.len(),
                        _ => 0,
                    };
                    Some(n as u64) == v.as_u64()
                }
                _ => got == Some(want),
            };
            if ok { Ok(()) } else { fail() }
        }
        _ => {
            let same = match (got, want) {
                (Some(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (Some(g), w) => g == w,
                (None, _) => false,
            };
            if same { Ok(()) } else { fail() }
        }
    }
}

fn check_tree(root: &Value, path: &str, want: &Value) -> Result<(), String> {
    let got = lookup(root, path);
    matches(got.as_deref(), want)
}

/// XML paths: `a.b[1].c` walks children by local name; `@type` is the element's xsi:type;
/// a list expectation compares the texts of every element with the last name; `@count`
/// counts the elements with the previous segment's name.
fn check_xml(root: &Element, path: &str, want: &Value) -> Result<(), String> {
    let segs = segments(path);
    let mut parent = root;
    let mut cur = Some(root);
    let mut last_name = String::new();
    for (i, (name, idx)) in segs.iter().enumerate() {
        let Some(el) = cur else { break };
        if name == "@type" {
            let t = el.xsi_type.as_ref().map(|q| Value::String(q.local.clone()));
            return matches(t.as_ref(), want);
        }
        if name == "@count" {
            let n = parent
                .children
                .iter()
                .filter(|c| c.name.local == last_name)
                .count();
            return matches(Some(&json!(n)), want);
        }
        let same: Vec<&Element> = el
            .children
            .iter()
            .filter(|c| &c.name.local == name)
            .collect();
        let is_last = i + 1 == segs.len();
        if is_last && idx.is_none() && want.is_array() {
            let texts: Vec<Value> = same.iter().map(|e| Value::String(e.text.clone())).collect();
            return matches(Some(&Value::Array(texts)), want);
        }
        parent = el;
        last_name = name.clone();
        cur = same.get(idx.unwrap_or(0)).copied();
    }
    let got = cur.map(|e| Value::String(e.text.clone()));
    matches(got.as_ref(), want)
}

#[test]
fn vm_operator_test_tables() {
    let files = case_files();
    let mut report = String::new();
    let mut total = Tally::default();
    for (path, f) in &files {
        assert_eq!(
            f.source.repo,
            "vmware-tanzu/vm-operator",
            "{}",
            path.display()
        );
        assert_eq!(f.source.commit, COMMIT, "{}", path.display());
        let mut t = Tally::default();
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &f.cases {
            *names.entry(c.name.as_str()).or_default() += 1;
            t.ported += 1;
            if c.skip.is_some() {
                t.skipped += 1;
                continue;
            }
            match run_case(f, c) {
                Ok(true) => t.deviations += 1,
                Ok(false) => t.passed += 1,
                Err(e) => t
                    .failures
                    .push(format!("{} :: {}\n{e}", path.display(), c.name)),
            }
        }
        for (n, k) in names {
            assert_eq!(
                k,
                1,
                "{}: case name {n:?} is used {k} times",
                path.display()
            );
        }
        let _ = writeln!(
            report,
            "{:<55} {:>4} cases: {:>4} pass, {:>3} documented deviations, {:>3} skipped",
            f.source.file, t.ported, t.passed, t.deviations, t.skipped
        );
        total.ported += t.ported;
        total.passed += t.passed;
        total.deviations += t.deviations;
        total.skipped += t.skipped;
        total.failures.extend(t.failures);
    }
    let _ = writeln!(
        report,
        "{:<55} {:>4} cases: {:>4} pass, {:>3} documented deviations, {:>3} skipped",
        "total", total.ported, total.passed, total.deviations, total.skipped
    );
    eprintln!("vm-operator {COMMIT} test tables:\n{report}");
    assert!(
        total.failures.is_empty(),
        "{} of {} cases disagree with vm-operator:\n\n{}",
        total.failures.len(),
        total.ported,
        total.failures.join("\n\n")
    );
    assert!(files.len() >= 10, "{} case files", files.len());
    assert!(total.passed > 200, "only {} cases passed", total.passed);
}

/// Where the fetched vm-operator repository (a bare git dir) is, if anywhere.
fn vmop_git_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GUESTNET_VMOP_GIT_DIR") {
        return Some(PathBuf::from(p));
    }
    let p = common::workspace_root().join("../.mirror/vmware-tanzu+vm-operator/repo");
    p.is_dir().then_some(p)
}

/// Titles of `It(...)` and `Entry(...)` in a Go test source, with their line numbers.
fn go_titles(src: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for pat in ["Entry(", "It("] {
        let mut from = 0;
        while let Some(i) = src[from..].find(pat) {
            let at = from + i;
            from = at + pat.len();
            let before = src[..at].chars().last().unwrap_or(' ');
            if before.is_alphanumeric() || before == '_' || before == '.' {
                continue;
            }
            let rest = src[from..].trim_start();
            let Some(body) = rest.strip_prefix('"') else {
                continue;
            };
            let mut title = String::new();
            let mut chars = body.chars();
            while let Some(ch) = chars.next() {
                match ch {
                    '\\' => title.push(chars.next().unwrap_or('\\')),
                    '"' => break,
                    c => title.push(c),
                }
            }
            out.push((src[..at].matches('\n').count() + 1, title));
        }
    }
    out
}

/// Every `It`/`Entry` in the declared ranges of each Go file has a case (ported or
/// skipped), read from the fetched repository at the recorded commit.
#[test]
fn every_network_test_of_the_go_files_has_a_case() {
    let Some(git) = vmop_git_dir() else {
        eprintln!(
            "\n!!! conformance_vmop: the fetched vm-operator repository is not present (set GUESTNET_VMOP_GIT_DIR); completeness not checked !!!\n"
        );
        return;
    };
    let mut checked = 0;
    for (path, f) in case_files() {
        if f.coverage.is_empty() {
            continue;
        }
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(&git)
            .args(["show", &format!("{}:{}", f.source.commit, f.source.file)])
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git show {}: {}",
            f.source.file,
            String::from_utf8_lossy(&out.stderr)
        );
        let src = String::from_utf8(out.stdout).unwrap();
        let segs: Vec<Vec<&str>> = f
            .cases
            .iter()
            .map(|c| c.name.split(" / ").collect())
            .collect();
        for (line, title) in go_titles(&src) {
            if !f.coverage.iter().any(|[a, b]| (*a..=*b).contains(&line)) {
                continue;
            }
            if f.not_cases.contains(&title) {
                continue;
            }
            checked += 1;
            // A Go title used twice is told apart by a parenthesised suffix in the data.
            let covered = |seg: &&str| {
                *seg == title
                    || seg
                        .strip_prefix(title.as_str())
                        .is_some_and(|rest| rest.starts_with(" ("))
            };
            assert!(
                segs.iter().any(|s| s.iter().any(covered)),
                "{}: {}:{line} {title:?} has no case",
                path.display(),
                f.source.file
            );
        }
    }
    eprintln!("conformance_vmop: {checked} Go test titles have a case");
    assert!(checked > 150, "only {checked} Go test titles checked");
}
