//! `guestnet`: validate, render and explain VM Operator VirtualMachine network specs.

use guestnet_cli::engine::{self, EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, Mode};
use guestnet_cli::sink::{Io, Stream};
use guestnet_cli::walk::WalkOptions;
use guestnet_cli::{EXAMPLE, color, completions, inputs, repo, report, rules, schema};

mod submit_cmd;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use guestnet_core::pipeline::CompileOptions;
use guestnet_core::render::gosc::EnvelopeKind;
use guestnet_core::render::{GatewayStyle, Target};
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::{FeatureGates, NetworkProvider};
use guestnet_core::vim25::VimVersion;
use guestnet_core::{Severity, parse};
use report::Format;
use std::io::IsTerminal;
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
    /// Show the resolved configuration and where every value came from.
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
    /// Rewrite VirtualMachines as another apiVersion, or read a guest artifact back into one.
    Convert(ConvertArgs),
    /// Print the embedded example VirtualMachine.
    Example,
    /// Apply specs to vSphere VMs (CustomizeVM_Task, CustomizeGuest_Task, ReconfigVM_Task).
    Submit(submit_cmd::SubmitArgs),
    /// Show a VM's guest customization state (GC_PENDING ... GC_COMPLETE).
    Status(submit_cmd::StatusArgs),
}

#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// A guest artifact's format to read back. Without it the input is VirtualMachine
    /// manifests of any served apiVersion (v1alpha1-v1alpha6; Network catalogs pass through).
    #[arg(long, value_parser = convert_formats())]
    from: Option<String>,
    /// The VirtualMachine apiVersion to write (default v1alpha6, the storage version); `yaml`
    /// and `json` write v1alpha6 in that format.
    #[arg(long, value_enum, default_value = "v1alpha6")]
    to: ConvertTo,
    /// Output format (default yaml).
    #[arg(long, value_enum)]
    format: Option<ConvertFormat>,
    /// Also report informational findings (how the conversion rewrote each field).
    #[arg(long)]
    info: bool,
    /// metadata.name for the VirtualMachine when the input carries none.
    #[arg(long, default_value = "converted")]
    name: String,
    /// Input file, or - for stdin.
    path: String,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum ConvertTo {
    Yaml,
    Json,
    V1alpha1,
    V1alpha2,
    V1alpha3,
    V1alpha4,
    V1alpha5,
    V1alpha6,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum ConvertFormat {
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
    /// vm-operator feature gates, e.g. `VMVlanSubinterface=false,WorkloadIPv6=false`
    /// (vm-operator's names; default: all on), to reproduce the webhook's "not enabled"
    /// rejections.
    #[arg(long, value_name = "NAME=BOOL,...", value_parser = FeatureGates::parse)]
    feature_gates: Option<FeatureGates>,
    /// Skip paths matching this gitignore-style glob (repeatable; relative to the current
    /// directory, a pattern without `/` matches at any depth).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not honour .gitignore and .guestnetignore files in walked directories.
    #[arg(long)]
    no_ignore: bool,
    /// Keep allocated addresses and derived MACs stable across runs in this file (read by
    /// every command, written atomically by `render`).
    #[arg(long, value_name = "FILE")]
    ipam_state: Option<PathBuf>,
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
    /// Targets, comma-separated (`netplan,gosc`), or `all` (what each VM can have; the rest
    /// are warnings).
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    target: Vec<TargetArg>,
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap writes with write!, which reports (does not panic on) a failed stream.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_CLEAN
            });
        }
    };
    let mut io = Io::std();
    let status = match run(cli, &mut io) {
        Ok(code) => code,
        Err(msg) => {
            io.err.write_str(&format!("guestnet: {msg}\n"));
            EXIT_USAGE
        }
    };
    ExitCode::from(io.finish(status))
}

fn run(cli: Cli, io: &mut Io) -> Result<u8, String> {
    color::set(cli.color);
    match cli.cmd {
        Cmd::Validate(a) => validate(a, io),
        Cmd::Render(a) => render_cmd(a, io),
        Cmd::Explain(a) => explain_cmd(a, io),
        Cmd::Schema { kind } => {
            io.out.write_str(&schema::schema_text(kind));
            Ok(EXIT_CLEAN)
        }
        Cmd::Convert(a) => convert_cmd(a, io),
        Cmd::Rules { code, format } => {
            io.out.write_str(&rules::render(code.as_deref(), format)?);
            Ok(EXIT_CLEAN)
        }
        Cmd::Completions { shell } => {
            io.out
                .write_str(&completions::script(shell, Cli::command()));
            Ok(EXIT_CLEAN)
        }
        Cmd::Man => {
            io.out.write_str(&completions::man_page(Cli::command())?);
            Ok(EXIT_CLEAN)
        }
        Cmd::Example => {
            io.out.write_str(EXAMPLE);
            Ok(EXIT_CLEAN)
        }
        Cmd::Submit(a) => submit_cmd::submit(a),
        Cmd::Status(a) => submit_cmd::status(a),
    }
}

fn options(c: &CommonArgs) -> CompileOptions {
    let mut o = CompileOptions::default();
    o.validate.provider = c.provider.map(|p| match p {
        ProviderArg::Vds => NetworkProvider::Vds,
        ProviderArg::Nsxt => NetworkProvider::Nsxt,
        ProviderArg::Vpc => NetworkProvider::Vpc,
    });
    o.validate.features = c.feature_gates.unwrap_or_default();
    o.render.features = o.validate.features;
    o.resolve.mac_policy = match c.mac_policy.unwrap_or(MacPolicyArg::Spec) {
        MacPolicyArg::Spec => MacPolicy::Spec,
        MacPolicyArg::Derive => MacPolicy::Derive,
        MacPolicyArg::PciOrder => MacPolicy::PciOrder,
    };
    o
}

fn engine_options(c: &CommonArgs, format: Format, report_to: Stream) -> engine::Options {
    let tty = match report_to {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    engine::Options {
        compile: options(c),
        walk: WalkOptions {
            excludes: c.exclude.clone(),
            ignore_files: !c.no_ignore,
        },
        format,
        color: color_for(tty),
        info: c.info,
        ipam_state: c.ipam_state.clone(),
        report_to,
        progress: std::io::stderr().is_terminal(),
        repo: Some(engine::RepoOptions {
            config: c.config.clone(),
            pinned: repo::Pinned {
                provider: c.provider.is_some(),
                mac_policy: c.mac_policy.is_some(),
                strict_kinds: c.strict_kinds,
            },
            against: c.against.clone(),
        }),
        ..engine::Options::default()
    }
}

fn color_for(stream_is_tty: bool) -> bool {
    color::enabled(stream_is_tty)
}

fn validate(a: CheckArgs, io: &mut Io) -> Result<u8, String> {
    let mut opts = engine_options(&a.common, a.format, Stream::Stdout);
    opts.strict = a.strict;
    let crd = match &a.crd {
        Some(path) => {
            let src = inputs::read_named(path, opts.compile.limits.max_bytes)?;
            Some(guestnet_cli::crd::Crd::load(&src.text).map_err(|e| format!("{path}: {e}"))?)
        }
        None => None,
    };
    opts.summary = a.summary;
    match engine::run(&a.common.paths, &opts, &Mode::Validate { crd }, io) {
        // Code scanning uploads whatever the step printed: give it a valid log that says
        // the run failed, not an empty file.
        Err(e) if a.format == Format::Sarif => {
            io.out
                .write_str(&report::sarif_failure(&format!("guestnet: {e}")));
            io.err.write_str(&format!("guestnet: {e}\n"));
            Ok(EXIT_USAGE)
        }
        other => other,
    }
}

/// The targets to render and those named explicitly (whose failure stays an error).
fn targets(list: &[TargetArg]) -> (Vec<Target>, Vec<Target>) {
    let mut named: Vec<Target> = Vec::new();
    let mut all = false;
    for t in list {
        let one = match t {
            TargetArg::Netplan => Target::Netplan,
            TargetArg::CloudInit => Target::CloudInit,
            TargetArg::Status => Target::Status,
            TargetArg::Vapp => Target::Vapp,
            TargetArg::Custcfg => Target::Custcfg,
            TargetArg::Vmx => Target::Vmx,
            TargetArg::Gosc => Target::Gosc,
            TargetArg::All => {
                all = true;
                continue;
            }
        };
        if !named.contains(&one) {
            named.push(one);
        }
    }
    if all {
        (Target::ALL.to_vec(), named)
    } else {
        (named.clone(), named)
    }
}

fn render_cmd(a: RenderArgs, io: &mut Io) -> Result<u8, String> {
    let mut opts = engine_options(&a.common, a.format, Stream::Stderr);
    opts.compile.render.gateway_style = match a.netplan_gateway_style {
        GatewayStyleArg::Routes => GatewayStyle::Routes,
        GatewayStyleArg::Gateway4 => GatewayStyle::Gateway4,
    };
    opts.compile.render.custcfg_marker_id = a.custcfg_marker_id.clone();
    opts.compile.render.custcfg_post_gc_status = a.custcfg_post_gc_status;
    opts.compile.render.gosc.api_version = a.api_version;
    opts.compile.render.gosc.envelope = match a.gosc_envelope {
        None => EnvelopeKind::None,
        Some(GoscEnvelopeArg::CustomizeVm) => EnvelopeKind::CustomizeVm,
        Some(GoscEnvelopeArg::CustomizeGuest) => EnvelopeKind::CustomizeGuest,
        Some(GoscEnvelopeArg::CreateSpec) => EnvelopeKind::CreateSpec,
    };
    let (targets, strict) = targets(&a.target);
    let mode = Mode::Render {
        targets,
        strict,
        out_dir: a.out_dir.clone(),
    };
    engine::run(&a.common.paths, &opts, &mode, io)
}

fn explain_cmd(a: ExplainArgs, io: &mut Io) -> Result<u8, String> {
    // `guestnet explain GN201` is a rule lookup, like `rustc --explain E0308`, unless a
    // file of that name exists.
    if let [one] = a.common.paths.as_slice()
        && let Some(code) = rules::lookup(one)
        && !std::path::Path::new(one).exists()
    {
        io.out.write_str(&rules::long(code));
        return Ok(EXIT_CLEAN);
    }
    let opts = engine_options(&a.common, Format::Human, Stream::Stderr);
    let mode = Mode::Explain {
        json: matches!(a.format, ExplainFormat::Json),
    };
    engine::run(&a.common.paths, &opts, &mode, io)
}

fn convert_cmd(a: ConvertArgs, io: &mut Io) -> Result<u8, String> {
    use guestnet_core::model::ApiVersion;
    let (version, format) = match (a.to, a.format) {
        (ConvertTo::Yaml, Some(ConvertFormat::Json))
        | (ConvertTo::Json, Some(ConvertFormat::Yaml)) => {
            return Err(
                "--to yaml|json names the output format; it disagrees with --format".into(),
            );
        }
        (ConvertTo::Yaml, _) => (None, ConvertFormat::Yaml),
        (ConvertTo::Json, _) => (None, ConvertFormat::Json),
        (v, f) => (
            Some(match v {
                ConvertTo::V1alpha1 => ApiVersion::V1alpha1,
                ConvertTo::V1alpha2 => ApiVersion::V1alpha2,
                ConvertTo::V1alpha3 => ApiVersion::V1alpha3,
                ConvertTo::V1alpha4 => ApiVersion::V1alpha4,
                ConvertTo::V1alpha5 => ApiVersion::V1alpha5,
                _ => ApiVersion::V1alpha6,
            }),
            f.unwrap_or(ConvertFormat::Yaml),
        ),
    };
    let src = inputs::read_named(&a.path, guestnet_core::source::Limits::default().max_bytes)?;
    let (docs, mut diags) = match &a.from {
        // VirtualMachine manifests of any served version, to one version.
        None => {
            let r = guestnet_core::convert::rewrite(
                &src.text,
                version.unwrap_or(ApiVersion::HUB),
                &Default::default(),
            );
            (r.documents, r.diagnostics)
        }
        Some(from) => {
            let fmt =
                parse::Format::parse_name(from).ok_or_else(|| format!("unknown format {from}"))?;
            let parsed = parse::parse(fmt, &src.text, &a.name);
            let mut diags = parsed.diagnostics;
            let mut docs = Vec::new();
            for vm in &parsed.vms {
                match version.filter(|v| *v != ApiVersion::HUB) {
                    // The artifact's VM is the model: write it down as asked.
                    Some(v) => {
                        let d = guestnet_core::convert::down(vm, v)?;
                        diags.extend(d.findings);
                        docs.push(d.value);
                    }
                    None => docs.push(serde_json::to_value(vm).map_err(|e| e.to_string())?),
                }
            }
            (docs, diags)
        }
    };
    for d in &mut diags {
        d.file = Some(src.name.clone());
    }
    if !a.info {
        diags.retain(|d| d.severity != Severity::Info);
    }
    if !diags.is_empty() {
        let text = report::render(
            Format::Human,
            &diags,
            &|_| Some(src.text.as_str()),
            color_for(std::io::stderr().is_terminal()),
        );
        io.err.write_str(&text);
    }
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Ok(EXIT_FINDINGS);
    }
    let out = match format {
        ConvertFormat::Yaml => docs
            .iter()
            .map(|d| {
                guestnet_core::render::yaml_out::to_string(
                    &guestnet_core::render::yaml_out::from_json_ordered(d),
                )
            })
            .collect::<Vec<_>>()
            .join("---\n"),
        ConvertFormat::Json => {
            let one = if docs.len() == 1 {
                docs.into_iter().next().unwrap_or_default()
            } else {
                serde_json::Value::Array(docs)
            };
            serde_json::to_string_pretty(&one).unwrap_or_default() + "\n"
        }
    };
    io.out.write_str(&out);
    Ok(EXIT_CLEAN)
}
