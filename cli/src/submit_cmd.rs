//! `guestnet submit` and `guestnet status`: the command-line face of guestnet-vsphere.
//! Loading and validating the manifests is the same pipeline as `render`; everything
//! vSphere-specific lives in the guestnet-vsphere crate.

use guestnet_cli::{inputs, report};
use guestnet_core::pipeline::{self, CompileOptions, Doc, Input};
use guestnet_core::resolve::MacPolicy;
use guestnet_core::validate::NetworkProvider;
use guestnet_core::{Diagnostic, Severity};
use guestnet_vsphere::connect::{self, Connection, Trust};
use guestnet_vsphere::net::exec::{Env, Outcome, Status};
use guestnet_vsphere::net::find::Finder;
use guestnet_vsphere::net::fleet::{self, FleetOptions};
use guestnet_vsphere::net::observe::observe;
use guestnet_vsphere::net::session::{Log, Session};
use guestnet_vsphere::net::task::{Progress, WaitOptions};
use guestnet_vsphere::plan::{self, GoscMethod, Job, Target};
use guestnet_vsphere::secret::Secret;
use guestnet_vsphere::secrets::{self, Store};
use guestnet_vsphere::status::{GcState, derive};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const EXIT_CLEAN: u8 = 0;
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Where and as whom to connect. Passwords are never arguments: GOVC_PASSWORD, a file, or
/// a prompt.
#[derive(clap::Args, Debug)]
pub struct ConnArgs {
    /// vCenter or ESXi SDK URL, like govc's -u: https://HOST[:PORT][/sdk] (else GOVC_URL).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// libvirt-style URI: vpx://[USER@]VCENTER[:PORT]/DC/[CLUSTER/]HOST[?no_verify=1&auto_answer=1&proxy=...] or esx://HOST.
    #[arg(long, value_name = "URI")]
    connect: Option<String>,
    /// User name (else the URL's, else GOVC_USERNAME).
    #[arg(long)]
    user: Option<String>,
    /// Read the password from this file (else GOVC_PASSWORD, else a prompt on a terminal).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Pin the server certificate's SHA-256 thumbprint (else GOVC_THUMBPRINT).
    #[arg(long, value_name = "SHA256")]
    thumbprint: Option<String>,
    /// Do not verify the server certificate at all (also no_verify=1, GOVC_INSECURE=1).
    #[arg(long)]
    no_verify: bool,
    /// Extra CA certificates (PEM) to trust besides the system's (also GOVC_TLS_CA_CERTS).
    #[arg(long, value_name = "FILE")]
    ca_file: Vec<PathBuf>,
    /// Datacenter to look VMs up in (else GOVC_DATACENTER, or the vpx:// path).
    #[arg(long, value_name = "DC")]
    datacenter: Option<String>,
    /// Print each vSphere call (method and object, never a body) on stderr.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq)]
pub enum OutputFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum MethodArg {
    /// CustomizeVM_Task when the VM is off, CustomizeGuest_Task when it runs.
    Auto,
    CustomizeVm,
    CustomizeGuest,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum MacPolicyArg {
    /// macAddr where given, the VM's MACs in PCI order for the rest.
    Spec,
    /// No MACs at all: adapter settings in PCI order.
    PciOrder,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ProviderArg {
    Vds,
    Nsxt,
    Vpc,
}

#[derive(clap::Args, Debug)]
pub struct SubmitArgs {
    /// VirtualMachine manifests: files, directories (walked) or -; Secret manifests in them
    /// supply Secret references. In a `render --out-dir` tree each `<namespace>/<name>/gosc.xml`
    /// is read back and submitted.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// The vSphere VM (inventory path, instance/BIOS UUID, or name) when PATH holds one
    /// VirtualMachine. Without it each VM is found by its guestnet.dev/vm annotation, else
    /// spec.biosUUID, else metadata.name.
    #[arg(long)]
    vm: Option<String>,
    /// Power the VM on afterwards (when it is off).
    #[arg(long)]
    power_on: bool,
    /// Print the SOAP bodies that would be sent (Secrets masked) and send nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    conn: ConnArgs,
    /// Answer a VM question that blocks a task with its default choice (libvirt's auto_answer=1).
    #[arg(long)]
    auto_answer: bool,
    /// A Secret value: NAME/KEY=FILE (repeatable); also Secret manifests and GUESTNET_SECRET_<NAME>_<KEY>.
    #[arg(long, value_name = "NAME/KEY=FILE")]
    secret: Vec<String>,
    /// Guest user for CustomizeGuest_Task (password: GUESTNET_GUEST_PASSWORD, --guest-password-file, or a prompt).
    #[arg(long)]
    guest_user: Option<String>,
    #[arg(long, value_name = "FILE")]
    guest_password_file: Option<PathBuf>,
    /// Customization method for LinuxPrep/Sysprep specs.
    #[arg(long, value_enum, default_value = "auto")]
    gosc_method: MethodArg,
    /// NIC identity.
    #[arg(long, value_enum, default_value = "spec")]
    mac_policy: MacPolicyArg,
    /// Your cluster's network provider (as for validate).
    #[arg(long, value_enum)]
    provider: Option<ProviderArg>,
    /// VMs submitted at once (vCenter throttles tasks; keep it small).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    parallel: u16,
    /// Record what was applied; a re-run skips VMs whose spec is unchanged.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Apply even VMs the state file says are unchanged.
    #[arg(long)]
    force: bool,
    /// Seconds to wait for each task.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Seconds to wait for VMware Tools before CustomizeGuest_Task.
    #[arg(long, default_value_t = 60)]
    tools_wait: u64,
    /// Summary format.
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The vSphere VM: inventory path, instance/BIOS UUID, or name.
    #[arg(long, required = true)]
    vm: String,
    /// Poll until GC_COMPLETE or GC_FAILED (or --timeout).
    #[arg(long)]
    wait: bool,
    /// Seconds --wait polls for.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
    /// Seconds between polls.
    #[arg(long, default_value_t = 5.0)]
    interval: f64,
    #[command(flatten)]
    conn: ConnArgs,
    #[arg(long, value_enum, default_value = "human")]
    format: OutputFormat,
}

fn env_var(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// A password file's first line; its content never appears in an error.
fn read_password_file(p: &PathBuf, what: &str) -> Result<Secret, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{what} {}: {e}", p.display()))?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(format!("{what} {} is empty", p.display()));
    }
    Ok(Secret::new(line))
}

fn connection(c: &ConnArgs, auto_answer: bool) -> Result<(Connection, Secret), String> {
    let args = connect::Args {
        url: c.url.clone(),
        connect: c.connect.clone(),
        thumbprint: c.thumbprint.clone(),
        no_verify: c.no_verify,
        ca_files: c.ca_file.clone(),
        datacenter: c.datacenter.clone(),
        user: c.user.clone(),
        auto_answer,
    };
    let conn = connect::resolve(&args, &env_var).map_err(|e| e.to_string())?;
    let password = match (&c.password_file, &conn.password) {
        (Some(f), _) => read_password_file(f, "--password-file")?,
        (None, Some(p)) => p.clone(),
        (None, None) if std::io::stdin().is_terminal() => {
            let prompt = format!(
                "Password for {} at {}: ",
                conn.user.as_deref().unwrap_or(""),
                conn.endpoint.host
            );
            Secret::new(
                rpassword::prompt_password(prompt)
                    .map_err(|e| format!("cannot read the password: {e}"))?,
            )
        }
        (None, None) => {
            return Err(
                "no password: set GOVC_PASSWORD, use --password-file FILE, or run on a terminal to be asked".into(),
            );
        }
    };
    if conn.trust == Trust::NoVerify {
        eprintln!(
            "guestnet: warning: TLS certificate verification is off (no_verify): anyone on the network path to {} can read this session, password included",
            conn.endpoint.host
        );
    }
    Ok((conn, password))
}

fn open(conn: &Connection, password: Secret, verbose: bool) -> Result<Session, String> {
    let log: Option<Log> = verbose.then(|| Arc::new(|l: &str| eprintln!("guestnet: {l}")) as Log);
    Session::open(conn, password, Duration::from_secs(300), log)
        .map_err(|e| format!("cannot log in to {}: {e}", conn.endpoint))
}

/// Progress on stderr: a bar for a single VM on a terminal, plain lines otherwise.
struct Term {
    bar: bool,
    last: Mutex<HashMap<(String, String), String>>,
}

impl Progress for Term {
    fn task(&self, vm: &str, what: &str, state: &str, percent: Option<u32>) {
        let key = (vm.to_string(), what.to_string());
        let shown = format!(
            "{state}{}",
            percent.map(|p| format!(" {p}%")).unwrap_or_default()
        );
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(_) => return,
        };
        if last.get(&key) == Some(&shown) {
            return;
        }
        last.insert(key, shown);
        let done = matches!(state, "success" | "error");
        if self.bar {
            let pct = if state == "success" {
                100
            } else {
                percent.unwrap_or(0).min(100)
            };
            let filled = (pct / 5) as usize;
            eprint!(
                "\r{what} [{}{}] {pct:>3}% {state:<8}{}",
                "#".repeat(filled),
                ".".repeat(20 - filled),
                if done { "\n" } else { "" }
            );
        } else {
            eprintln!(
                "{vm}: {what} {state}{}",
                percent.map(|p| format!(" ({p}%)")).unwrap_or_default()
            );
        }
    }

    fn line(&self, vm: &str, msg: &str) {
        if self.bar {
            eprintln!();
        }
        eprintln!("{vm}: {msg}");
    }
}

/// Loads the manifests: VirtualMachines (validated and resolved, batch-checked), Secret
/// manifests, and findings for VMs that cannot be submitted.
struct Loaded {
    jobs: Vec<Job>,
    invalid: Vec<Outcome>,
    manifests: Vec<secrets::SecretManifest>,
}

fn load(a: &SubmitArgs, opts: &CompileOptions) -> Result<Loaded, String> {
    let files =
        guestnet_cli::walk::expand(&a.paths, &Default::default()).map_err(|e| e.to_string())?;
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut sources: Vec<inputs::Source> = Vec::new();
    for f in files.iter() {
        match inputs::read_input(&f, opts.limits.max_bytes) {
            inputs::ReadOutcome::Text(s) => sources.push(s),
            inputs::ReadOutcome::Bad(d) => {
                return Err(format!("{}: {}", f.name(), d.message));
            }
            // A path that is not a regular file (a FIFO, a link a walk does not follow).
            inputs::ReadOutcome::Skip(_) => {}
        }
    }
    let mut manifests = Vec::new();
    let mut per_file: Vec<Vec<Doc>> = Vec::new();
    for src in &sources {
        match pipeline::load(&src.text, &opts.limits) {
            Err(mut e) => {
                e.file = Some(src.name.clone());
                diags.push(e);
                per_file.push(Vec::new());
            }
            Ok(docs) => {
                let mut keep = Vec::new();
                for d in docs {
                    match secrets::manifest_from_node(&d.root) {
                        Some(Ok(m)) => manifests.push(m),
                        Some(Err(e)) => return Err(format!("{}: {e}", src.name)),
                        None => keep.push(d),
                    }
                }
                per_file.push(keep);
            }
        }
    }
    let catalogs = pipeline::catalogs(per_file.iter().flatten());
    let mut units = Vec::new();
    for (src, docs) in sources.iter().zip(per_file) {
        for d in docs {
            if matches!(d.input, Some(Input::VirtualMachine(..))) {
                units.push((src.name.clone(), pipeline::analyze(d, &catalogs, opts)));
            }
        }
    }
    for path in rendered_specs(&a.paths)? {
        let mut r = read_rendered(&path, &catalogs, opts)?;
        diags.append(&mut r.diagnostics);
        units.extend(r.units.into_iter().map(|u| (r.file.clone(), u)));
    }
    pipeline::plan_named(&mut units, &catalogs, opts);
    let explicit = a.vm.as_deref();
    if explicit.is_some() && units.len() != 1 {
        return Err(format!(
            "--vm names one VM, but the input holds {} VirtualMachines; omit --vm to submit each to the VM named by its guestnet.dev/vm annotation, spec.biosUUID or metadata.name",
            units.len()
        ));
    }
    let mut jobs = Vec::new();
    let mut invalid = Vec::new();
    for (file, u) in units {
        let Some(vm) = u.vm.clone() else { continue };
        let key = format!(
            "{}/{}",
            vm.metadata.namespace.as_deref().unwrap_or("default"),
            vm.name()
        );
        let errors: Vec<Diagnostic> = u
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .cloned()
            .map(|mut d| {
                d.file = Some(file.clone());
                d
            })
            .collect();
        let job = match (&u.resolved, errors.is_empty()) {
            (Some(r), true) => Job {
                key,
                file: file.clone(),
                target: Target::for_vm(&vm, explicit),
                resolved: r.clone(),
                vm,
            },
            _ => {
                let first = errors
                    .first()
                    .map(|d| format!("{} {}: {}", d.code, d.path, d.message))
                    .unwrap_or_default();
                diags.extend(errors.iter().cloned());
                let fake = Job {
                    key,
                    file: file.clone(),
                    target: Target::for_vm(&vm, explicit),
                    resolved: guestnet_core::resolve::resolve(
                        &vm,
                        guestnet_core::model::ApiVersion::V1alpha6,
                        &[],
                    ),
                    vm,
                };
                invalid.push(Outcome::new(
                    &fake,
                    Status::Failed,
                    format!(
                        "the spec has {} error(s) (first: {first}); nothing was sent (see guestnet validate {file})",
                        errors.len()
                    ),
                ));
                continue;
            }
        };
        jobs.push(job);
    }
    if !diags.is_empty() {
        let text_of = |name: &str| {
            sources
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.text.as_str())
        };
        eprint!(
            "{}",
            report::render(
                report::Format::Human,
                &diags,
                &text_of,
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            )
        );
    }
    if jobs.is_empty() && invalid.is_empty() {
        return Err("no VirtualMachine in the input".into());
    }
    Ok(Loaded {
        jobs,
        invalid,
        manifests,
    })
}

/// The `gosc.xml` files of `render --out-dir` trees (`<dir>/<namespace>/<name>/gosc.xml`)
/// under the given paths, sorted.
fn rendered_specs(paths: &[String]) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(&p, out)?;
            } else if name == guestnet_core::render::gosc::FILE_NAME {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        let path = std::path::Path::new(p);
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.file_name().and_then(|n| n.to_str())
            == Some(guestnet_core::render::gosc::FILE_NAME)
        {
            out.push(path.to_path_buf());
        }
    }
    Ok(out)
}

/// What one rendered `gosc.xml` yields.
struct Rendered {
    file: String,
    units: Vec<pipeline::Unit>,
    diagnostics: Vec<Diagnostic>,
}

/// A rendered `gosc.xml` read back with the gosc target's own reverse parser (Secret
/// placeholders become references again) and compiled like a manifest; the folder names
/// are its name and namespace.
fn read_rendered(
    path: &std::path::Path,
    catalogs: &[guestnet_core::model::NetworkCatalog],
    opts: &CompileOptions,
) -> Result<Rendered, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let dir_name = |p: Option<&std::path::Path>| {
        p.and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .map(str::to_string)
    };
    let name = dir_name(path.parent()).unwrap_or_else(|| "rendered".into());
    let namespace = dir_name(path.parent().and_then(|d| d.parent()));
    let parsed = guestnet_core::parse::parse(guestnet_core::parse::Format::Gosc, &text, &name);
    let mut diags: Vec<Diagnostic> = parsed
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|mut d| {
            d.file = Some(file.clone());
            d
        })
        .collect();
    let mut units = Vec::new();
    for mut vm in parsed.vms {
        if vm.metadata.namespace.is_none() {
            vm.metadata.namespace = namespace.clone();
        }
        let yaml = guestnet_core::parse::to_yaml(&vm);
        match pipeline::load(&yaml, &opts.limits) {
            Ok(docs) => units.extend(
                docs.into_iter()
                    .map(|d| pipeline::analyze(d, catalogs, opts)),
            ),
            Err(mut e) => {
                e.file = Some(file.clone());
                diags.push(e);
            }
        }
    }
    Ok(Rendered {
        file,
        units,
        diagnostics: diags,
    })
}

fn print_stdout(s: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

fn summary_line(o: &Outcome) -> String {
    let vm = match (&o.vm, &o.vm_name) {
        (Some(id), Some(n)) => format!("{id} ({n})"),
        (Some(id), None) => id.clone(),
        _ => "-".into(),
    };
    let detail = match o.status {
        Status::Applied => o.steps.join(", "),
        Status::DryRun => format!(
            "would send {}",
            o.requests
                .iter()
                .map(|r| r.method)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => o.message.clone(),
    };
    format!("{:<8} {}  {vm}  {detail}\n", o.status.as_str(), o.key)
}

pub fn submit(a: SubmitArgs) -> Result<u8, String> {
    let mut opts = CompileOptions::default();
    opts.validate.provider = a.provider.map(|p| match p {
        ProviderArg::Vds => NetworkProvider::Vds,
        ProviderArg::Nsxt => NetworkProvider::Nsxt,
        ProviderArg::Vpc => NetworkProvider::Vpc,
    });
    opts.resolve.mac_policy = match a.mac_policy {
        MacPolicyArg::Spec => MacPolicy::Spec,
        MacPolicyArg::PciOrder => MacPolicy::PciOrder,
    };
    let loaded = load(&a, &opts)?;
    let mut store = Store {
        manifests: loaded.manifests,
        env: Box::new(env_var),
        ..Store::default()
    };
    for s in &a.secret {
        let (name, key, file) = secrets::parse_secret_arg(s)?;
        let v = std::fs::read(&file)
            .map_err(|e| format!("--secret {name}/{key}: {}: {e}", file.display()))?;
        store.files.insert((name, key), v);
    }
    let guest_password = match (&a.guest_user, &a.guest_password_file) {
        (None, _) => None,
        (Some(_), Some(f)) => Some(read_password_file(f, "--guest-password-file")?),
        (Some(u), None) => match env_var("GUESTNET_GUEST_PASSWORD").filter(|p| !p.is_empty()) {
            Some(p) => Some(Secret::new(p)),
            None if std::io::stdin().is_terminal() => Some(Secret::new(
                rpassword::prompt_password(format!("Guest password for {u}: "))
                    .map_err(|e| format!("cannot read the guest password: {e}"))?,
            )),
            None => None,
        },
    };
    let (conn, password) = connection(&a.conn, a.auto_answer)?;
    let session = open(&conn, password, a.conn.verbose)?;
    let result = (|| {
        let finder = Finder::new(&session, &conn).map_err(|e| e.to_string())?;
        let single = loaded.jobs.len() == 1;
        let term = Term {
            bar: single && std::io::stderr().is_terminal(),
            last: Mutex::new(HashMap::new()),
        };
        let env = Env {
            session: &session,
            finder: &finder,
            server: session.server(),
            plan: plan::Options {
                power_on: a.power_on,
                use_macs: matches!(a.mac_policy, MacPolicyArg::Spec),
                method: match a.gosc_method {
                    MethodArg::Auto => GoscMethod::Auto,
                    MethodArg::CustomizeVm => GoscMethod::CustomizeVm,
                    MethodArg::CustomizeGuest => GoscMethod::CustomizeGuest,
                },
                render: opts.render.clone(),
                guest_user: a.guest_user.clone(),
                guest_password,
            },
            secrets: &store,
            wait: WaitOptions {
                timeout: Duration::from_secs(a.timeout),
                poll: Duration::from_millis(500),
                auto_answer: conn.auto_answer,
            },
            tools_wait: Duration::from_secs(a.tools_wait),
            dry_run: a.dry_run,
            progress: &term,
        };
        let total = loaded.jobs.len();
        let count = AtomicUsize::new(0);
        let human = a.format == OutputFormat::Human;
        let done = |o: &Outcome| {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            if !single && !a.dry_run {
                eprintln!("[{n}/{total}] {}: {}", o.key, o.status.as_str());
            }
        };
        let fo = FleetOptions {
            parallel: usize::from(a.parallel),
            state: a.state.clone(),
            force: a.force,
        };
        let report = fleet::run(&env, &loaded.jobs, &fo, &done)?;
        let mut all = loaded.invalid.clone();
        all.extend(report.outcomes);
        let mut out = String::new();
        if human {
            for o in &all {
                for (i, r) in o.requests.iter().enumerate() {
                    out.push_str(&format!(
                        "<!-- guestnet submit --dry-run: {} -> {} ({}), request {} of {}: {} -->\n",
                        o.key,
                        o.vm.as_deref().unwrap_or("?"),
                        o.vm_name.as_deref().unwrap_or("?"),
                        i + 1,
                        o.requests.len(),
                        r.method
                    ));
                    out.push_str(&r.body);
                }
            }
            if a.conn.verbose {
                for o in &all {
                    for n in &o.notes {
                        eprintln!("{}: {n}", o.key);
                    }
                }
            }
            for o in &all {
                out.push_str(&summary_line(o));
            }
            let n = |s: Status| all.iter().filter(|o| o.status == s).count();
            out.push_str(&format!(
                "{} VM(s): {} applied, {} failed, {} skipped{}\n",
                all.len(),
                n(Status::Applied),
                n(Status::Failed),
                n(Status::Skipped),
                if a.dry_run {
                    format!(", {} dry-run (nothing sent)", n(Status::DryRun))
                } else {
                    String::new()
                }
            ));
        } else {
            let v = serde_json::json!({
                "server": session.url(),
                "dryRun": a.dry_run,
                "vms": all,
            });
            out = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n";
        }
        print_stdout(&out)?;
        if let Some(e) = report.state_error {
            eprintln!("guestnet: {e}");
            return Ok(EXIT_USAGE);
        }
        Ok(if all.iter().any(|o| o.status == Status::Failed) {
            EXIT_FAILED
        } else {
            EXIT_CLEAN
        })
    })();
    session.logout();
    result
}

pub fn status(a: StatusArgs) -> Result<u8, String> {
    if !(a.interval > 0.0 && a.interval.is_finite()) {
        return Err("--interval must be a positive number of seconds".into());
    }
    let (conn, password) = connection(&a.conn, false)?;
    let session = open(&conn, password, a.conn.verbose)?;
    let result = (|| {
        let finder = Finder::new(&session, &conn).map_err(|e| e.to_string())?;
        let vm = finder
            .find(&session, &Target::parse(&a.vm))
            .map_err(|e| e.to_string())?;
        let start = Instant::now();
        let mut last: Option<GcState> = None;
        loop {
            let (info, observed) = observe(&session, &vm).map_err(|e| e.to_string())?;
            let st = derive(&observed);
            let timed_out = start.elapsed() >= Duration::from_secs(a.timeout);
            let finished = !a.wait || st.state.is_final() || timed_out;
            if a.format == OutputFormat::Human && last != Some(st.state) {
                print_stdout(&format!(
                    "{} ({}): {}: {}\n",
                    info.name,
                    vm.value,
                    st.state.as_str(),
                    st.reason
                ))?;
            }
            last = Some(st.state);
            if finished {
                if a.format == OutputFormat::Json {
                    let v = serde_json::json!({
                        "vm": vm.value,
                        "name": info.name,
                        "state": st.state,
                        "reason": st.reason,
                        "events": observed.events,
                        "gcStatus": observed.gc_status,
                        "pendingCustomization": observed.pending.is_some(),
                    });
                    print_stdout(
                        &(serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n"),
                    )?;
                }
                if a.wait && !st.state.is_final() {
                    eprintln!(
                        "guestnet: still {} after {} s",
                        st.state.as_str(),
                        a.timeout
                    );
                    return Ok(EXIT_FAILED);
                }
                return Ok(if st.state == GcState::Failed {
                    EXIT_FAILED
                } else {
                    EXIT_CLEAN
                });
            }
            std::thread::sleep(Duration::from_secs_f64(a.interval));
        }
    })();
    session.logout();
    result
}
