//! The one-way pipeline: load -> validate -> resolve, shared by every front end.
//! Batches (many files) load everything first so that catalogs and cross-file checks see
//! the whole batch; single strings (the browser) go through [`compile_str`].

use crate::classify::{self, Class, Skip};
use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::model::{ApiVersion, NetworkCatalog, VirtualMachine};
use crate::render::RenderOptions;
use crate::resolve::{self, MacPolicy, ResolveOptions, Resolved};
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

/// One document standing for a whole file that is skipped.
pub fn skipped_file(skip: Skip) -> Doc {
    let root = Node {
        kind: crate::source::NodeKind::Scalar(String::new(), crate::source::ScalarKind::Plain),
        span: crate::diagnostic::Span {
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            start: 0,
            end: 0,
        },
    };
    let d = skip_diagnostic(&skip).with_span(root.span);
    Doc {
        index: 0,
        root,
        input: Some(Input::Skipped(skip)),
        diagnostics: vec![d],
        poisoned: Vec::new(),
    }
}

fn skip_diagnostic(skip: &Skip) -> Diagnostic {
    Diagnostic::new(Code::Skipped, "", skip.describe())
}

impl Doc {
    /// Marks this document skipped (a front end learned it is a kustomize patch, say).
    pub fn skip(&mut self, skip: Skip) {
        let mut d = skip_diagnostic(&skip);
        locate(&self.root, &mut d);
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
    let sink = de::Sink::default();
    let input = match classify::classify(&d.root) {
        Class::Empty => return None,
        Class::Skipped(skip) => {
            sink.diagnostics.borrow_mut().push(skip_diagnostic(&skip));
            Some(Input::Skipped(skip))
        }
        Class::VirtualMachine => {
            let api = d
                .root
                .get("apiVersion")
                .and_then(Node::as_str)
                .unwrap_or("");
            match ApiVersion::parse(api) {
                Some(v) => de::from_node::<VirtualMachine>(&d.root, &sink)
                    .map_err(|e| sink.diagnostics.borrow_mut().push(e))
                    .ok()
                    .map(|vm| Input::VirtualMachine(Box::new(vm), v)),
                None => {
                    sink.diagnostics
                        .borrow_mut()
                        .push(unsupported(format!("unsupported apiVersion {api}")));
                    None
                }
            }
        }
        Class::Network => de::from_node::<NetworkCatalog>(&d.root, &sink)
            .map_err(|e| sink.diagnostics.borrow_mut().push(e))
            .ok()
            .map(|c| Input::Network(Box::new(c))),
        Class::Unsupported(what) => {
            sink.diagnostics.borrow_mut().push(unsupported(what));
            None
        }
    };
    let mut diagnostics = sink.diagnostics.into_inner();
    for dg in &mut diagnostics {
        locate(&d.root, dg);
    }
    Some(Doc {
        index: d.index,
        root: d.root,
        input,
        diagnostics,
        poisoned: sink.poisoned.into_inner(),
    })
}

fn unsupported(what: String) -> Diagnostic {
    Diagnostic::new(Code::UnsupportedKind, "apiVersion", what).with_help(
        "guestnet reads vmoperator.vmware.com/v1alpha5 and v1alpha6 VirtualMachine, and guestnet.dev/v1alpha1 Network",
    )
}

fn locate(root: &Node, d: &mut Diagnostic) {
    if !d.has_span() {
        let span = root.locate(&d.path, d.code == Code::UnknownField);
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
    pub version: Option<ApiVersion>,
    pub resolved: Option<Resolved>,
    pub diagnostics: Vec<Diagnostic>,
    /// Set when the document is not guestnet's (counted in summaries, never an error).
    pub skipped: Option<Skip>,
}

impl Unit {
    /// Gives a diagnostic found after analysis (render, batch) its position in this document.
    pub fn locate(&self, d: &mut Diagnostic) {
        if let Some(root) = &self.root {
            locate(root, d);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Validates and resolves one loaded document against the batch's catalogs. Takes the
/// document by value: its tree moves into the unit instead of being copied.
pub fn analyze(doc: Doc, catalogs: &[NetworkCatalog], opts: &CompileOptions) -> Unit {
    let Doc {
        index,
        root,
        input,
        mut diagnostics,
        poisoned,
    } = doc;
    let (vm, version, skipped) = match input {
        Some(Input::VirtualMachine(vm, v)) => (Some(*vm), Some(v), None),
        Some(Input::Skipped(s)) => (None, None, Some(s)),
        _ => (None, None, None),
    };
    let mut resolved = None;
    if let (Some(vm), Some(v)) = (&vm, version) {
        let rules = validate::validate(vm, v, catalogs, &opts.validate);
        for mut d in rules {
            // A value the loader already replaced is reported once, by the loader.
            let is_poisoned = poisoned.iter().any(|p| {
                d.path.strip_prefix(p.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                })
            });
            if !is_poisoned {
                locate(&root, &mut d);
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
                        locate(&root, &mut d);
                        diagnostics.push(d);
                    }
                }
            }
            resolved = Some(resolve::resolve_with(vm, v, catalogs, &opts.resolve));
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
        if let Some(root) = &unit.root {
            locate(root, d);
        }
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
    out
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
