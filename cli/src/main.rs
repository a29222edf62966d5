//! `guestnet`: validate, render and explain VM Operator VirtualMachine network specs.

use guestnet_cli::{
    EXAMPLE, against, color, completions, inputs, output, repo, report, rules, schema,
};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use guestnet_core::batch::{Origin, cross_check};
use guestnet_core::classify::Skip;
use guestnet_core::pipeline::{self, CompileOptions, Doc, Input, Unit};
use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::render::{self, GatewayStyle, Target};
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::NetworkProvider;
use guestnet_core::vim25::VimVersion;
use guestnet_core::{Diagnostic, Severity, diagnostic, explain};
use rayon::prelude::*;
use report::Format;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "guestnet",
    version = guestnet_cli::VERSION,
    about = "Compile VM Operator network specs into every guest configuration artifact, and check them first"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Colour: auto (a terminal, unless NO_COLOR; FORCE_COLOR forces it), always, never.
    #[arg(long, value_enum, global = true, default_value = "auto")]
    color: color::ColorChoice,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Check manifests; exit 1 on errors (or warnings with --strict).
    Validate(CheckArgs),
    /// Render artifacts for one or all targets.
    Render(RenderArgs),
    /// Show the resolved configuration and where every value came from; with a rule code
    /// (`guestnet explain GN201`), explain the rule.
    Explain(ExplainArgs),
    /// Print the JSON Schema of an input kind.
    Schema {
        #[arg(value_enum, default_value = "virtualmachine")]
        kind: schema::Kind,
    },
    /// List every rule (code, default severity, name, title), or explain one.
    Rules {
        /// A rule code such as GN201: print its long explanation.
        code: Option<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: rules::RulesFormat,
    },
    /// Print a shell completion script: `guestnet completions bash > /etc/bash_completion.d/guestnet`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `guestnet man > guestnet.1`.
    Man,
    /// Read a guest artifact back into a VirtualMachine.
    Convert(ConvertArgs),
    /// Print the embedded example VirtualMachine.
    Example,
}

#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// Format of the input.
    #[arg(long, value_parser = convert_formats())]
    from: String,
    /// Output format of the VirtualMachine.
    #[arg(long, value_enum, default_value = "yaml")]
    to: ConvertTo,
    /// metadata.name for the VirtualMachine when the input carries none.
    #[arg(long, default_value = "converted")]
    name: String,
    /// Input file, or - for stdin.
    path: String,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ConvertTo {
    Yaml,
    Json,
}

fn convert_formats() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        guestnet_core::parse::Format::ALL.iter().map(|f| f.as_str()),
    )
}

#[derive(clap::Args, Debug)]
struct CommonArgs {
    /// Files, directories (walked for .yaml/.yml/.json) or - for stdin.
    #[arg(required = true)]
    paths: Vec<String>,
    /// Your cluster's network provider: turns provider-dependent warnings into the webhook's errors.
    #[arg(long, value_enum)]
    provider: Option<ProviderArg>,
    /// Also report informational findings.
    #[arg(long)]
    info: bool,
    /// NIC identity: `spec` uses macAddr only; `derive` gives every other interface a stable
    /// MAC in 00:50:56:00:00:00-3f:ff:ff from namespace/name/interface; `pci-order` uses no
    /// MAC at all (artifacts match NICs by position or device name). Default: spec.
    #[arg(long, value_enum)]
    mac_policy: Option<MacPolicyArg>,
    /// Repository configuration to use instead of the nearest .guestnet.yaml above each path.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Documents guestnet does not read (other kinds, non-Kubernetes YAML, Helm templates,
    /// kustomize patches) fail instead of being skipped.
    #[arg(long)]
    strict_kinds: bool,
    /// Compare every VirtualMachine with its previous revision (a git revision such as
    /// HEAD) and apply vm-operator's update-time rules.
    #[arg(long, value_name = "REV")]
    against: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum MacPolicyArg {
    Spec,
    Derive,
    PciOrder,
}

#[derive(clap::Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Warnings fail too.
    #[arg(long)]
    strict: bool,
    /// Also check each document against this CustomResourceDefinition's openAPIV3Schema.
    #[arg(long, value_name = "FILE")]
    crd: Option<String>,
    /// Print a summary line on stderr: files, VMs, skipped documents, errors, warnings.
    #[arg(long)]
    summary: bool,
}

#[derive(clap::Args, Debug)]
struct RenderArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[arg(long, value_enum)]
    target: TargetArg,
    /// Write one folder per VM (<dir>/<namespace>/<name>/); required for several VMs or targets.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// `routes` (netplan's recommendation) or `gateway4` (vm-operator's deprecated keys).
    #[arg(long, value_enum, default_value = "routes")]
    netplan_gateway_style: GatewayStyleArg,
    /// gosc: wrap the CustomizationSpec in the SOAP body of CustomizeVM_Task,
    /// CustomizeGuest_Task or CreateCustomizationSpec (default: a bare spec).
    #[arg(long, value_enum)]
    gosc_envelope: Option<GoscEnvelopeArg>,
    /// gosc: the vCenter's API version (e.g. 7.0.3); newer elements are left out with a warning.
    #[arg(long, value_parser = parse_api_version, default_value = "9.1.0.0")]
    api_version: VimVersion,
    /// Format of the diagnostics printed on stderr.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// cust.cfg: write `[MISC] MARKER-ID = ID` (password and scripts run once per new marker).
    #[arg(long, value_name = "ID")]
    custcfg_marker_id: Option<String>,
    /// cust.cfg: write `[MISC] POST-GC-STATUS = yes` (the guest reports guestinfo.gc.status).
    #[arg(long)]
    custcfg_post_gc_status: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GoscEnvelopeArg {
    CustomizeVm,
    CustomizeGuest,
    CreateSpec,
}

fn parse_api_version(s: &str) -> Result<VimVersion, String> {
    VimVersion::parse(s)
        .ok_or_else(|| format!("{s:?} is not a vSphere API version like 7.0.3 or 8.0.3.0"))
}

#[derive(clap::Args, Debug)]
struct ExplainArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[arg(long, value_enum, default_value = "text")]
    format: ExplainFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProviderArg {
    Vds,
    Nsxt,
    Vpc,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum TargetArg {
    Netplan,
    CloudInit,
    Status,
    Vapp,
    Custcfg,
    Vmx,
    Gosc,
    All,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GatewayStyleArg {
    Routes,
    Gateway4,
}

/// Exit statuses scripts rely on.
const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_CLEAN
            });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            eprintln!("guestnet: {msg}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    color::set(cli.color);
    match cli.cmd {
        Cmd::Validate(a) => validate(a),
        Cmd::Render(a) => render_cmd(a),
        Cmd::Explain(a) => explain_cmd(a),
        Cmd::Schema { kind } => {
            print(&schema::schema_text(kind))?;
            Ok(EXIT_CLEAN)
        }
        Cmd::Convert(a) => convert_cmd(a),
        Cmd::Rules { code, format } => {
            print(&rules::render(code.as_deref(), format)?)?;
            Ok(EXIT_CLEAN)
        }
        Cmd::Completions { shell } => {
            print(&completions::script(shell, Cli::command()))?;
            Ok(EXIT_CLEAN)
        }
        Cmd::Man => {
            print(&completions::man_page(Cli::command())?)?;
            Ok(EXIT_CLEAN)
        }
        Cmd::Example => {
            print(EXAMPLE)?;
            Ok(EXIT_CLEAN)
        }
    }
}

fn print(s: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

fn options(c: &CommonArgs) -> CompileOptions {
    let mut o = CompileOptions::default();
    o.validate.provider = c.provider.map(|p| match p {
        ProviderArg::Vds => NetworkProvider::Vds,
        ProviderArg::Nsxt => NetworkProvider::Nsxt,
        ProviderArg::Vpc => NetworkProvider::Vpc,
    });
    o.resolve.mac_policy = match c.mac_policy.unwrap_or(MacPolicyArg::Spec) {
        MacPolicyArg::Spec => MacPolicy::Spec,
        MacPolicyArg::Derive => MacPolicy::Derive,
        MacPolicyArg::PciOrder => MacPolicy::PciOrder,
    };
    o
}

/// Everything a command needs about its inputs.
struct Batch {
    sources: Vec<inputs::Source>,
    /// Per file: units (one per VirtualMachine or unreadable document) with diagnostics.
    files: Vec<Vec<Unit>>,
    /// File-level and catalog diagnostics.
    other: Vec<Diagnostic>,
}

impl Batch {
    fn units(&self) -> impl Iterator<Item = (&str, &Unit)> {
        self.sources
            .iter()
            .zip(&self.files)
            .flat_map(|(s, us)| us.iter().map(move |u| (s.name.as_str(), u)))
    }

    /// Every diagnostic with its file name, sorted by file then position.
    fn diagnostics(&self, info: bool) -> Vec<Diagnostic> {
        let mut all: Vec<Diagnostic> = self.other.clone();
        for (file, u) in self.units() {
            all.extend(u.diagnostics.iter().cloned().map(|mut d| {
                d.file = Some(file.to_string());
                d
            }));
        }
        if !info {
            all.retain(|d| d.severity != Severity::Info);
        }
        let order: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        all.sort_by_key(|d| {
            order
                .iter()
                .position(|n| Some(*n) == d.file.as_deref())
                .unwrap_or(usize::MAX)
        });
        // Stable sort keeps file order; sort within a file by position.
        let mut out = Vec::with_capacity(all.len());
        for chunk in all.chunk_by(|a, b| a.file == b.file) {
            let mut c = chunk.to_vec();
            diagnostic::sort(&mut c);
            out.extend(c);
        }
        out
    }
}

fn load_batch(common: &CommonArgs, opts: &CompileOptions) -> Result<Batch, String> {
    let files = inputs::expand(&common.paths).map_err(|e| e.to_string())?;
    let pinned = repo::Pinned {
        provider: common.provider.is_some(),
        mac_policy: common.mac_policy.is_some(),
        strict_kinds: common.strict_kinds,
    };
    let plan = repo::plan(files, common.config.as_deref(), opts, pinned)?;
    if plan.files.is_empty() {
        return Err("no .yaml, .yml or .json files found".into());
    }
    let sources: Vec<inputs::Source> = plan
        .files
        .par_iter()
        .map(|f| inputs::read(f))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let loaded: Vec<Result<Vec<Doc>, Diagnostic>> = sources
        .par_iter()
        .map(|s| pipeline::load(&s.text, &opts.limits))
        .collect();
    // Catalogs by batch scope: the configuration's always-loaded ones and the batch's.
    let mut scoped = plan.catalogs.clone();
    for (fi, r) in loaded.iter().enumerate() {
        if let Ok(docs) = r
            && !plan.catalogs_loaded(fi)
        {
            let scope = plan.scope_of(fi).to_string();
            scoped.extend(
                pipeline::catalogs(docs)
                    .into_iter()
                    .map(|c| (scope.clone(), c)),
            );
        }
    }
    let mut other = Vec::new();
    let mut files: Vec<Vec<Unit>> = Vec::with_capacity(sources.len());
    for (fi, (src, r)) in sources.iter().zip(loaded).enumerate() {
        let file_opts = plan.options_of(fi).unwrap_or(opts);
        match r {
            Err(mut e) => {
                e.file = Some(src.name.clone());
                other.push(e);
                files.push(Vec::new());
            }
            Ok(mut docs) => {
                if let Some(k) = plan.settings.get(fi).and_then(|s| s.patch_of.clone()) {
                    for d in &mut docs {
                        d.skip(Skip::KustomizePatch {
                            kustomization: k.clone(),
                        });
                    }
                }
                let (nets, vms): (Vec<Doc>, Vec<Doc>) = docs
                    .into_iter()
                    .partition(|d| matches!(d.input, Some(Input::Network(_))));
                for d in nets {
                    other.extend(d.diagnostics.into_iter().map(|mut x| {
                        x.file = Some(src.name.clone());
                        x
                    }));
                }
                let catalogs = repo::catalogs_for(&scoped, plan.scope_of(fi));
                let units: Vec<Unit> = vms
                    .into_par_iter()
                    .map(|d| pipeline::analyze(d, &catalogs, file_opts))
                    .collect();
                files.push(units);
            }
        }
    }
    // Cross-file checks over every VM that resolved, within each batch scope.
    let mut slots: Vec<(usize, usize)> = Vec::new();
    let mut origins: Vec<Origin> = Vec::new();
    for (fi, (src, units)) in sources.iter().zip(&files).enumerate() {
        for (ui, u) in units.iter().enumerate() {
            if u.resolved.is_some() {
                slots.push((fi, ui));
                origins.push(Origin {
                    file: src.name.clone(),
                    document: u.index,
                    scope: plan.scope_of(fi).to_string(),
                });
            }
        }
    }
    let pairs: Vec<_> = slots
        .iter()
        .zip(&origins)
        .filter_map(|(&(fi, ui), o)| files.get(fi)?.get(ui)?.resolved.as_ref().map(|r| (o, r)))
        .collect();
    let found = cross_check(&pairs);
    for (vm, mut d) in found {
        let Some(&(fi, ui)) = slots.get(vm) else {
            continue;
        };
        if let Some(u) = files.get_mut(fi).and_then(|f| f.get_mut(ui)) {
            u.locate(&mut d);
            if d.severity == Severity::Error {
                u.resolved = None;
            }
            u.diagnostics.push(d);
        }
    }
    if let Some(rev) = &common.against {
        let previous = against::previous_texts(&plan.files, rev)?;
        against::apply(&previous, &mut files, |fi| {
            plan.options_of(fi).unwrap_or(opts).clone()
        });
    }
    let mut batch = Batch {
        sources,
        files,
        other,
    };
    postprocess(&mut batch, &plan);
    Ok(batch)
}

/// The repository's suppressions and rule policy, per file.
fn postprocess(batch: &mut Batch, plan: &repo::Plan) {
    let Batch {
        sources,
        files,
        other,
    } = batch;
    for (fi, (src, units)) in sources.iter().zip(files.iter_mut()).enumerate() {
        for u in units {
            u.diagnostics = plan.postprocess(fi, &src.text, std::mem::take(&mut u.diagnostics));
        }
        let (mine, rest): (Vec<Diagnostic>, Vec<Diagnostic>) = std::mem::take(other)
            .into_iter()
            .partition(|d| d.file.as_deref() == Some(src.name.as_str()));
        *other = rest;
        other.extend(plan.postprocess(fi, &src.text, mine));
    }
}

fn color_for(stream_is_tty: bool) -> bool {
    color::enabled(stream_is_tty)
}

fn failing(diags: &[Diagnostic], strict: bool) -> bool {
    diags
        .iter()
        .any(|d| d.severity == Severity::Error || (strict && d.severity == Severity::Warning))
}

fn sources_map(b: &Batch) -> report::Sources<'_> {
    b.sources
        .iter()
        .map(|s| (s.name.as_str(), s.text.as_str()))
        .collect()
}

fn validate(a: CheckArgs) -> Result<u8, String> {
    let opts = options(&a.common);
    let mut batch = match load_batch(&a.common, &opts) {
        Ok(b) => b,
        // Code scanning uploads whatever the step printed: give it a valid log that says
        // the run failed, not an empty file.
        Err(e) if a.format == Format::Sarif => {
            print(&report::sarif_failure(&format!("guestnet: {e}")))?;
            eprintln!("guestnet: {e}");
            return Ok(EXIT_USAGE);
        }
        Err(e) => return Err(e),
    };
    if let Some(path) = &a.crd {
        let src = inputs::read(path).map_err(|e| e.to_string())?;
        let crd = guestnet_cli::crd::Crd::load(&src.text).map_err(|e| format!("{path}: {e}"))?;
        for u in batch.files.iter_mut().flatten() {
            if let Some(root) = &u.root {
                let found = crd.check(root);
                u.diagnostics.extend(found);
            }
        }
    }
    let diags = batch.diagnostics(a.common.info);
    let text = report::render(
        a.format,
        &diags,
        &sources_map(&batch),
        color_for(std::io::stdout().is_terminal()),
    );
    print(&text)?;
    if a.summary {
        let all = batch.diagnostics(true);
        eprintln!(
            "{}",
            report::summary_line(&report::Summary {
                files: batch.sources.len(),
                vms: batch.units().filter(|(_, u)| u.vm.is_some()).count(),
                skipped: batch.units().filter(|(_, u)| u.skipped.is_some()).count(),
                errors: all.iter().filter(|d| d.severity == Severity::Error).count(),
                warnings: all
                    .iter()
                    .filter(|d| d.severity == Severity::Warning)
                    .count(),
            })
        );
    }
    Ok(if failing(&diags, a.strict) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn targets(t: TargetArg) -> Vec<Target> {
    match t {
        TargetArg::Netplan => vec![Target::Netplan],
        TargetArg::CloudInit => vec![Target::CloudInit],
        TargetArg::Status => vec![Target::Status],
        TargetArg::Vapp => vec![Target::Vapp],
        TargetArg::Custcfg => vec![Target::Custcfg],
        TargetArg::Vmx => vec![Target::Vmx],
        TargetArg::Gosc => vec![Target::Gosc],
        TargetArg::All => Target::ALL.to_vec(),
    }
}

fn render_cmd(a: RenderArgs) -> Result<u8, String> {
    let mut opts = options(&a.common);
    opts.render.gateway_style = match a.netplan_gateway_style {
        GatewayStyleArg::Routes => GatewayStyle::Routes,
        GatewayStyleArg::Gateway4 => GatewayStyle::Gateway4,
    };
    opts.render.custcfg_marker_id = a.custcfg_marker_id.clone();
    opts.render.custcfg_post_gc_status = a.custcfg_post_gc_status;
    opts.render.gosc.api_version = a.api_version;
    opts.render.gosc.envelope = match a.gosc_envelope {
        None => EnvelopeKind::None,
        Some(GoscEnvelopeArg::CustomizeVm) => EnvelopeKind::CustomizeVm,
        Some(GoscEnvelopeArg::CustomizeGuest) => EnvelopeKind::CustomizeGuest,
        Some(GoscEnvelopeArg::CreateSpec) => EnvelopeKind::CreateSpec,
    };
    let batch = load_batch(&a.common, &opts)?;
    let targets = targets(a.target);
    let vms: Vec<(&str, &Unit)> = batch.units().filter(|(_, u)| u.vm.is_some()).collect();
    if a.out_dir.is_none() && (vms.len() != 1 || targets.len() != 1) {
        return Err(format!(
            "{} VirtualMachine(s) and {} target(s): stdout takes one of each; use --out-dir DIR",
            vms.len(),
            targets.len()
        ));
    }
    let mut diags = batch.diagnostics(a.common.info);
    // Progress for long interactive runs only; CI logs stay clean.
    let progress = vms.len() >= 1000 && std::io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let rendered: Vec<(&str, &Unit, Vec<render::Rendered>)> = vms
        .par_iter()
        .map(|(file, u)| {
            let out = match (&u.vm, &u.resolved) {
                (Some(vm), Some(r)) => targets
                    .iter()
                    .map(|t| render::render(*t, vm, r, &opts.render))
                    .collect(),
                _ => Vec::new(),
            };
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if progress && n.is_multiple_of(500) {
                eprint!("\rguestnet: rendered {n}/{}", vms.len());
            }
            (*file, *u, out)
        })
        .collect();
    if progress {
        eprintln!("\rguestnet: rendered {}/{}", vms.len(), vms.len());
    }
    let mut write_errors = Vec::new();
    for (file, u, outs) in &rendered {
        for r in outs {
            for d in &r.diagnostics {
                if a.common.info || d.severity != Severity::Info {
                    let mut d = d.clone();
                    u.locate(&mut d);
                    d.file = Some(file.to_string());
                    diags.push(d);
                }
            }
        }
        let Some(vm) = &u.vm else { continue };
        if outs.is_empty() {
            continue;
        }
        match &a.out_dir {
            None => {
                if let Some(art) = outs.first().and_then(|r| r.artifacts.first()) {
                    print(&art.content)?;
                }
            }
            Some(dir) => {
                let ns = vm.metadata.namespace.as_deref().unwrap_or("default");
                let (Some(ns), Some(name)) = (
                    output::safe_component(ns),
                    output::safe_component(vm.name()),
                ) else {
                    write_errors.push(format!(
                        "{file}: metadata.name/namespace is not a DNS-1123 name; not writing"
                    ));
                    continue;
                };
                let folder = dir.join(ns).join(name);
                for art in outs.iter().flat_map(|r| &r.artifacts) {
                    if let Err(e) =
                        output::write_atomic(&folder.join(&art.name), art.content.as_bytes())
                    {
                        write_errors.push(format!("{}: {e}", folder.join(&art.name).display()));
                    }
                }
            }
        }
    }
    let text = report::render(
        a.format,
        &diags,
        &sources_map(&batch),
        color_for(std::io::stderr().is_terminal()),
    );
    if !diags.is_empty() || a.format == Format::Json {
        eprint!("{text}");
    }
    if !write_errors.is_empty() {
        for e in &write_errors {
            eprintln!("guestnet: {e}");
        }
        return Ok(EXIT_USAGE);
    }
    Ok(if failing(&diags, false) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn explain_cmd(a: ExplainArgs) -> Result<u8, String> {
    // `guestnet explain GN201` is a rule lookup, like `rustc --explain E0308`, unless a
    // file of that name exists.
    if let [one] = a.common.paths.as_slice()
        && let Some(code) = rules::lookup(one)
        && !std::path::Path::new(one).exists()
    {
        print(&rules::long(code))?;
        return Ok(EXIT_CLEAN);
    }
    let opts = options(&a.common);
    let batch = load_batch(&a.common, &opts)?;
    let diags = batch.diagnostics(a.common.info);
    let mut out = String::new();
    let mut json = Vec::new();
    for (file, u) in batch.units() {
        if let Some(r) = &u.resolved {
            match a.format {
                ExplainFormat::Text => {
                    out.push_str(&format!("# {file} (document {})\n", u.index + 1));
                    out.push_str(&explain::text(r));
                    out.push('\n');
                }
                ExplainFormat::Json => json.push(serde_json::json!({
                    "file": file, "document": u.index + 1, "resolved": explain::json(r)
                })),
            }
        }
    }
    if let ExplainFormat::Json = a.format {
        out = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
    }
    print(&out)?;
    if !diags.is_empty() {
        eprint!(
            "{}",
            report::human(
                &diags,
                &sources_map(&batch),
                color_for(std::io::stderr().is_terminal())
            )
        );
    }
    Ok(if failing(&diags, false) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn convert_cmd(a: ConvertArgs) -> Result<u8, String> {
    use guestnet_core::parse;
    let format =
        parse::Format::parse_name(&a.from).ok_or_else(|| format!("unknown format {}", a.from))?;
    let src = inputs::read(&a.path).map_err(|e| e.to_string())?;
    let mut parsed = parse::parse(format, &src.text, &a.name);
    for d in &mut parsed.diagnostics {
        d.file = Some(src.name.clone());
    }
    let sources: report::Sources<'_> = [(src.name.as_str(), src.text.as_str())]
        .into_iter()
        .collect();
    if !parsed.diagnostics.is_empty() {
        eprint!(
            "{}",
            report::human(
                &parsed.diagnostics,
                &sources,
                color_for(std::io::stderr().is_terminal())
            )
        );
    }
    if failing(&parsed.diagnostics, false) {
        return Ok(EXIT_FINDINGS);
    }
    let out = match a.to {
        ConvertTo::Yaml => parsed
            .vms
            .iter()
            .map(parse::to_yaml)
            .collect::<Vec<_>>()
            .join("---\n"),
        ConvertTo::Json => {
            let v: Vec<_> = parsed
                .vms
                .iter()
                .map(|vm| serde_json::to_value(vm).unwrap_or_default())
                .collect();
            let one = if v.len() == 1 {
                v.into_iter().next().unwrap_or_default()
            } else {
                serde_json::Value::Array(v)
            };
            serde_json::to_string_pretty(&one).unwrap_or_default() + "\n"
        }
    };
    print(&out)?;
    Ok(EXIT_CLEAN)
}
