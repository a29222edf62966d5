//! The one-way pipeline: load -> validate -> resolve, shared by every front end.
//! Batches (many files) load everything first so that catalogs and cross-file checks see
//! the whole batch; single strings (the browser) go through [`compile_str`].

use crate::classify::{self, Class, Skip};
use crate::convert::{self, Origin, PathMap};
use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::model::{ApiVersion, NetworkCatalog, VirtualMachine};
use crate::render::RenderOptions;
use crate::resolve::{self, Assigned, MacPolicy, ResolveOptions, Resolved};
use crate::source::{Limits, Node, de, yaml};
use crate::validate::{self, ValidateOptions};

#[derive(Debug, Clone, Default)]
pub struct CompileOptions {
    pub limits: Limits,
    pub validate: ValidateOptions,
    pub resolve: ResolveOptions,
    pub render: RenderOptions,
}

/// What a document turned out to be.
#[derive(Debug, Clone)]
pub enum Input {
    VirtualMachine(Box<VirtualMachine>, ApiVersion),
    Network(Box<NetworkCatalog>),
    /// Not guestnet's: left alone, counted, listed as a `GN407` info finding.
    Skipped(Skip),
}

/// A loaded document: its tree (for positions), its typed input, and load-time findings.
#[derive(Debug, Clone)]
pub struct Doc {
    pub index: usize,
    pub root: Node,
    pub input: Option<Input>,
    pub diagnostics: Vec<Diagnostic>,
    poisoned: Vec<String>,
    /// Model path -> where the user wrote it (identity for v1alpha5/v1alpha6).
    pub paths: PathMap,
}

/// Reads every document of one file. `Err` means the file is unusable as a whole (syntax
/// error or limit), so no artifact is produced from any of its documents. A Helm template
/// is not YAML until Helm renders it: it comes back as one skipped document, never an error.
pub fn load(text: &str, limits: &Limits) -> Result<Vec<Doc>, Diagnostic> {
    if classify::is_go_template(text) {
        return Ok(vec![skipped_file(Skip::HelmTemplate)]);
    }
    let docs = yaml::parse_documents(text, limits)?;
    Ok(docs.into_iter().filter_map(typed).collect())
}

/// Reads one file document by document: `on_doc` gets each typed document as soon as it is
/// parsed, so a batch holds one tree at a time. On `Err` (syntax error or limit) the documents
/// already handed over belong to a file that is unusable as a whole.
pub fn load_each(
    text: &str,
    limits: &Limits,
    on_doc: &mut dyn FnMut(Doc),
) -> Result<(), Diagnostic> {
    if classify::is_go_template(text) {
        on_doc(skipped_file(Skip::HelmTemplate));
        return Ok(());
    }
    yaml::parse_each(text, limits, &mut |d| {
        if let Some(doc) = typed(d) {
            on_doc(doc);
        }
    })
}

/// One document standing for a whole file that is skipped.
pub fn skipped_file(skip: Skip) -> Doc {
    let root = Node {
        kind: crate::source::NodeKind::Scalar("".into(), crate::source::ScalarKind::Plain),
        span: crate::diagnostic::Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            start: 0,
            end: 0,
        }
        .into(),
    };
    let d = skip_diagnostic(&skip).with_span(crate::diagnostic::Span::from(root.span));
    Doc {
        index: 0,
        root,
        input: Some(Input::Skipped(skip)),
        diagnostics: vec![d],
        poisoned: Vec::new(),
        paths: PathMap::default(),
    }
}

fn skip_diagnostic(skip: &Skip) -> Diagnostic {
    Diagnostic::new(Code::Skipped, "", skip.describe())
}

impl Doc {
    /// Marks this document skipped (a front end learned it is a kustomize patch, say).
    pub fn skip(&mut self, skip: Skip) {
        let mut d = skip_diagnostic(&skip);
        locate(&self.root, &PathMap::default(), &mut d);
        self.diagnostics = vec![d];
        self.input = Some(Input::Skipped(skip));
    }

    /// Why the document was skipped, if it was.
    pub fn skipped(&self) -> Option<&Skip> {
        match &self.input {
            Some(Input::Skipped(s)) => Some(s),
            _ => None,
        }
    }
}

fn typed(d: yaml::Document) -> Option<Doc> {
    let api = d
        .root
        .get("apiVersion")
        .and_then(Node::as_str)
        .unwrap_or("");
    let version = ApiVersion::parse(api);
    let sink = version.map(de::Sink::for_version).unwrap_or_default();
    let mut paths = PathMap::default();
    let mut findings = Vec::new();
    let input = match classify::classify(&d.root) {
        Class::Empty => return None,
        Class::Skipped(skip) => {
            sink.diagnostics.borrow_mut().push(skip_diagnostic(&skip));
            Some(Input::Skipped(skip))
        }
        // Every version goes through the conversion step (for v1alpha5 and v1alpha6 it only
        // restores from vm-operator's conversion annotation).
        Class::VirtualMachine => match version {
            Some(v) => convert::load(&d.root, v, &sink)
                .map_err(|e| sink.diagnostics.borrow_mut().push(e))
                .ok()
                .map(|c| {
                    paths = c.paths;
                    findings = c.findings;
                    Input::VirtualMachine(Box::new(c.vm), v)
                }),
            None => {
                sink.diagnostics
                    .borrow_mut()
                    .push(unsupported(format!("unsupported apiVersion {api}")));
                None
            }
        },
        Class::Network => de::from_node::<NetworkCatalog>(&d.root, &sink)
            .map_err(|e| sink.diagnostics.borrow_mut().push(e))
            .ok()
            .map(|c| {
                sink.diagnostics
                    .borrow_mut()
                    .extend(crate::batch::alloc::check_catalog(&c));
                Input::Network(Box::new(c))
            }),
        Class::Unsupported(what) => {
            sink.diagnostics.borrow_mut().push(unsupported(what));
            None
        }
    };
    let mut diagnostics = sink.diagnostics.into_inner();
    // Load-time findings name the document's own paths.
    for dg in diagnostics.iter_mut().chain(findings.iter_mut()) {
        locate(&d.root, &PathMap::default(), dg);
    }
    diagnostics.extend(findings);
    Some(Doc {
        index: d.index,
        root: d.root,
        input,
        diagnostics,
        poisoned: sink.poisoned.into_inner(),
        paths,
    })
}

fn unsupported(what: String) -> Diagnostic {
    Diagnostic::new(Code::UnsupportedKind, "apiVersion", what).with_help(
        "guestnet reads vmoperator.vmware.com/v1alpha1 to v1alpha6 VirtualMachine, and guestnet.dev/v1alpha1 Network",
    )
}

impl Doc {
    /// Gives a diagnostic on a model path its position in this document.
    pub fn locate(&self, d: &mut Diagnostic) {
        locate(&self.root, &self.paths, d);
    }
}

/// Places a diagnostic on a model path where the user wrote the value.
fn locate(root: &Node, paths: &PathMap, d: &mut Diagnostic) {
    if !d.has_span() {
        let span = match paths.origin(d.location_path()) {
            Origin::Path(p) => root.locate(&p, d.code == Code::UnknownField),
            Origin::Span(s, _) => s,
        };
        d.set_span(span);
    }
}

/// Validated (and, when clean, resolved) VirtualMachine.
#[derive(Debug, Clone)]
pub struct Unit {
    pub index: usize,
    /// The document tree, to place diagnostics found later (renderers, batch checks).
    pub root: Option<Node>,
    pub vm: Option<VirtualMachine>,
    /// The document's own API version (the model it was converted to is v1alpha6).
    pub version: Option<ApiVersion>,
    pub resolved: Option<Resolved>,
    pub diagnostics: Vec<Diagnostic>,
    /// Model path -> where the user wrote it (identity for v1alpha5/v1alpha6).
    pub paths: PathMap,
    /// Set when the document is not guestnet's (counted in summaries, never an error).
    pub skipped: Option<Skip>,
}

impl Unit {
    /// Gives a diagnostic found after analysis (render, batch) its position in this document.
    pub fn locate(&self, d: &mut Diagnostic) {
        if let Some(root) = &self.root {
            locate(root, &self.paths, d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Validates and resolves one loaded document against the batch's catalogs. Takes the
/// document by value: its tree moves into the unit instead of being copied. Values that the
/// batch decides (allocated addresses, collision-free derived MACs) are provisional here: see
/// [`analyze_assigned`] and [`crate::batch`].
pub fn analyze(doc: Doc, catalogs: &[NetworkCatalog], opts: &CompileOptions) -> Unit {
    analyze_assigned(doc, catalogs, opts, &Assigned::default())
}

/// [`analyze`] with the addresses and MACs the batch assigned to this VM.
pub fn analyze_assigned(
    doc: Doc,
    catalogs: &[NetworkCatalog],
    opts: &CompileOptions,
    assigned: &Assigned,
) -> Unit {
    let Doc {
        index,
        root,
        input,
        mut diagnostics,
        poisoned,
        paths,
    } = doc;
    let (vm, version, skipped) = match input {
        Some(Input::VirtualMachine(vm, v)) => (Some(*vm), Some(v), None),
        Some(Input::Skipped(s)) => (None, None, Some(s)),
        _ => (None, None, None),
    };
    let mut resolved = None;
    if let (Some(vm), Some(v)) = (&vm, version) {
        // A converted document is a v1alpha6 object, validated as the webhook validates it.
        let v = if v.is_direct() { v } else { ApiVersion::HUB };
        let rules = validate::validate(vm, v, catalogs, &opts.validate);
        for mut d in rules {
            // A value the loader already replaced is reported once, by the loader.
            let source = paths.source_path(d.location_path());
            let is_poisoned = source.as_deref().is_some_and(|s| {
                poisoned.iter().any(|p| {
                    s.strip_prefix(p.as_str()).is_some_and(|rest| {
                        rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                    })
                })
            });
            if !is_poisoned {
                locate(&root, &paths, &mut d);
                diagnostics.push(d);
            }
        }
        if !diagnostics.iter().any(|d| d.severity == Severity::Error) {
            if opts.resolve.mac_policy == MacPolicy::PciOrder {
                for (i, f) in vm.interfaces().iter().enumerate() {
                    if f.mac_addr.is_some() {
                        let mut d = Diagnostic::new(
                            Code::NicIdentity,
                            format!("spec.network.interfaces[{i}].macAddr"),
                            "macAddr is not used: --mac-policy pci-order identifies NICs by PCI order",
                        )
                        .with_help("use --mac-policy spec (the default) or derive to match NICs by MAC");
                        locate(&root, &paths, &mut d);
                        diagnostics.push(d);
                    }
                }
            }
            resolved = Some(resolve::resolve_assigned(
                vm,
                v,
                catalogs,
                &opts.resolve,
                assigned,
            ));
        }
    }
    diagnostic::sort(&mut diagnostics);
    Unit {
        index,
        root: Some(root),
        vm,
        version,
        resolved,
        diagnostics,
        paths,
        skipped,
    }
}

/// Applies vm-operator's update-time rules to a unit whose VirtualMachine already exists
/// in the cluster as `previous` (the same VM at an earlier revision): findings the webhook
/// waives on update are dropped, changes it forbids are added (`GN190`).
pub fn against(unit: &mut Unit, previous: &VirtualMachine, opts: &CompileOptions) {
    let Some(vm) = &unit.vm else { return };
    unit.diagnostics
        .retain(|d| !validate::update::relaxed(previous, d));
    let mut found = validate::update::check(previous, vm, &opts.validate);
    for d in &mut found {
        unit.locate(d);
    }
    if found.iter().any(|d| d.severity == Severity::Error) {
        unit.resolved = None;
    }
    unit.diagnostics.extend(found);
    diagnostic::sort(&mut unit.diagnostics);
}

/// The VirtualMachines of a file's earlier revision, by `(namespace, name)`, for
/// [`against`]. Unreadable documents are left out: an old mistake is not a new one.
pub fn previous_vms(text: &str, limits: &Limits) -> Vec<((String, String), VirtualMachine)> {
    let Ok(docs) = load(text, limits) else {
        return Vec::new();
    };
    docs.into_iter()
        .filter_map(|d| match d.input {
            Some(Input::VirtualMachine(vm, _)) => Some((vm_key(&vm), *vm)),
            _ => None,
        })
        .collect()
}

/// How a VirtualMachine is known across revisions.
pub fn vm_key(vm: &VirtualMachine) -> (String, String) {
    (
        vm.metadata.namespace.clone().unwrap_or_default(),
        vm.name().to_string(),
    )
}

/// Catalog documents in a set of loaded files.
pub fn catalogs<'a>(docs: impl IntoIterator<Item = &'a Doc>) -> Vec<NetworkCatalog> {
    docs.into_iter()
        .filter_map(|d| match &d.input {
            Some(Input::Network(c)) => Some((**c).clone()),
            _ => None,
        })
        .collect()
}

/// Everything about one string of input.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    pub units: Vec<Unit>,
    /// Findings not tied to a VirtualMachine: file-level errors and catalog documents.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn all_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .chain(self.units.iter().flat_map(|u| u.diagnostics.iter()))
    }
}

/// Loads, validates and resolves every document in `text` (catalogs in the same text apply).
pub fn compile_str(
    text: &str,
    extra_catalogs: &[NetworkCatalog],
    opts: &CompileOptions,
) -> Compiled {
    let docs = match load(text, &opts.limits) {
        Ok(d) => d,
        Err(e) => {
            return Compiled {
                units: Vec::new(),
                diagnostics: vec![e],
            };
        }
    };
    let mut cats = extra_catalogs.to_vec();
    cats.extend(catalogs(&docs));
    let mut out = Compiled::default();
    for d in docs {
        match d.input {
            Some(Input::Network(_)) => out.diagnostics.extend(d.diagnostics),
            _ => out.units.push(analyze(d, &cats, opts)),
        }
    }
    plan_units(&mut out.units, &cats, opts);
    out
}

/// Runs the batch decisions over the units of one text: duplicates between its documents,
/// collision-free derived MACs, allocation from the catalogs.
fn plan_units(units: &mut [Unit], cats: &[NetworkCatalog], opts: &CompileOptions) {
    plan_with(units.iter_mut().map(|u| ("", u)).collect(), cats, opts);
}

/// [`plan_units`] for units of several files (`guestnet submit` holds a whole batch at
/// once): findings name the other place with its file.
pub fn plan_named(units: &mut [(String, Unit)], cats: &[NetworkCatalog], opts: &CompileOptions) {
    plan_with(
        units.iter_mut().map(|(f, u)| (f.as_str(), u)).collect(),
        cats,
        opts,
    );
}

fn plan_with(mut units: Vec<(&str, &mut Unit)>, cats: &[NetworkCatalog], opts: &CompileOptions) {
    let mut planner = crate::batch::Planner::new(cats, opts.resolve.mac_policy);
    let mut files: Vec<(&str, crate::batch::FileId)> = Vec::new();
    let mut ids = Vec::new();
    for (i, (name, u)) in units.iter().enumerate() {
        let (Some(vm), Some(root)) = (&u.vm, &u.root) else {
            continue;
        };
        let file = match files.iter().find(|(n, _)| n == name) {
            Some((_, id)) => *id,
            None => {
                let id = planner.add_file(name, "");
                files.push((name, id));
                id
            }
        };
        let f = crate::batch::facts(
            vm,
            u.resolved.as_ref(),
            cats,
            opts.resolve.mac_policy,
            &|p| root.locate(p, false),
        );
        ids.push((planner.add_vm(file, u.index, f), i));
    }
    let plan = planner.finish(None);
    for (vm, i) in ids {
        let Some((_, u)) = units.get_mut(i) else {
            continue;
        };
        for (_, d) in plan.findings.iter().filter(|(v, _)| *v == vm) {
            let mut d = d.clone();
            d.file = None;
            d.line = None;
            u.locate(&mut d);
            u.diagnostics.push(d);
        }
        if plan.blocked.contains(&vm) {
            u.resolved = None;
        } else if plan.changed.contains(&vm)
            && let (Some(v), Some(ver), Some(a)) = (&u.vm, u.version, plan.assigned(vm))
            && u.resolved.is_some()
        {
            u.resolved = Some(resolve::resolve_assigned(v, ver, cats, &opts.resolve, &a));
        }
        diagnostic::sort(&mut u.diagnostics);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typo_and_semantic_errors_are_reported_together() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - name: eth0\n      adresses: [10.0.0.5/24]\n      dhcp4: true\n      gateway4: 10.0.0.1\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let got: Vec<_> = c
            .all_diagnostics()
            .map(|d| (d.code.as_str(), d.line, d.column))
            .collect();
        // `adresses` is read as `addresses` for the rules' sake: dhcp4 with a static
        // address is a real finding; "gateway4 needs an address" would not be.
        assert_eq!(
            got,
            vec![
                ("GN003", Some(9), Some(7)),
                ("GN107", Some(10), Some(14)),
                ("GN108", Some(11), Some(17))
            ]
        );
        assert!(c.units[0].resolved.is_none());
    }

    #[test]
    fn a_typo_does_not_trigger_rules_that_depend_on_the_field() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - name: eth0\n      adresses: [10.0.0.5/24]\n      gateway4: 10.0.0.1\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let got: Vec<_> = c
            .all_diagnostics()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(got, vec!["GN003"]);
        let bad = y.replace("[10.0.0.5/24]", "[10.0.0.5]");
        let c = compile_str(&bad, &[], &CompileOptions::default());
        let got: Vec<_> = c
            .all_diagnostics()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.code.as_str())
            .collect();
        assert!(
            !got.contains(&"GN104"),
            "findings on the typo'd value wait for the fix: {got:?}"
        );
    }

    #[test]
    fn poisoned_values_are_not_reported_twice() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  bootstrap: {cloudInit: {}}\n  network:\n    interfaces:\n    - name: [x]\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let codes: Vec<_> = c
            .all_diagnostics()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, vec!["GN004"]);
    }

    #[test]
    fn other_kinds_are_skipped_not_errors() {
        let c = compile_str(
            "apiVersion: v1\nkind: ConfigMap\n",
            &[],
            &CompileOptions::default(),
        );
        assert_eq!(c.units[0].diagnostics[0].code, Code::Skipped);
        assert_eq!(c.units[0].diagnostics[0].severity, Severity::Info);
        assert_eq!(c.units[0].diagnostics[0].line, Some(1));
        assert!(c.units[0].skipped.is_some());
    }

    #[test]
    fn unknown_vm_version_is_an_error() {
        let c = compile_str(
            "apiVersion: vmoperator.vmware.com/v1alpha9\nkind: VirtualMachine\n",
            &[],
            &CompileOptions::default(),
        );
        assert_eq!(c.units[0].diagnostics[0].code, Code::UnsupportedKind);
        assert!(c.units[0].skipped.is_none());
    }

    #[test]
    fn mixed_file_checks_the_vm_and_skips_the_rest() {
        let y = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\napiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: vm1}\nspec:\n  network:\n    interfaces:\n    - {name: eth0, addresses: [10.0.0.5/24], gateway4: 10.1.0.1}\n---\napiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachineService\nmetadata: {name: svc}\nspec: {type: LoadBalancer, ports: [{port: 22}]}\n---\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        let codes: Vec<_> = c
            .all_diagnostics()
            .filter(|d| d.severity != Severity::Info)
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, vec!["GN201"]);
        assert_eq!(c.units.iter().filter(|u| u.skipped.is_some()).count(), 2);
        assert_eq!(c.units.len(), 3, "the trailing empty document is nothing");
    }

    #[test]
    fn helm_templates_are_skipped_whole() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.net }}\nspec: {}\n{{- end }}\n";
        let c = compile_str(y, &[], &CompileOptions::default());
        assert!(c.diagnostics.is_empty());
        assert_eq!(c.units.len(), 1);
        assert_eq!(c.units[0].skipped, Some(Skip::HelmTemplate));
    }
}
