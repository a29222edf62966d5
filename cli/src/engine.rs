//! The batch engine behind `validate`, `render` and `explain`: files stream through it.
//!
//! 1. **Catalog scan.** Network catalogs apply to every file, so files that mention
//!    `guestnet.dev/` are parsed for them first (texts are kept, up to a budget, so that small
//!    batches are read once).
//! 2. **Main pass.** Files are analysed in parallel chunks, document by document; each file's
//!    findings are reported as soon as the file is done, in input order, and its trees are
//!    dropped. What the batch decisions need (names, FQDNs, addresses, MACs with their
//!    positions; requests for derived MACs and allocated addresses) goes into a
//!    [`Planner`]. VMs that need nothing from the batch are rendered right away into a staged
//!    folder.
//! 3. **Plan.** Duplicates (reported at every place), collision-free derived MACs, addresses
//!    allocated from the catalogs (and `--ipam-state`). Folders staged in the main pass are
//!    committed right away unless the plan blocked the VM or changed its values.
//! 4. **Late pass** over the files with cross-file findings or with VMs the plan gave values
//!    to: read again in input order and in chunks, re-resolved, rendered and reported, and
//!    their folders committed, chunk by chunk.
//!
//! Memory is bounded by budgets, not by the batch, except for tens of bytes a file. The
//! planner's tables go to its run store, an unnamed temporary file (`crate::spill`), beyond
//! bounded buffers: the key index (42-byte entries, beyond 32,768 of them), the VM
//! identities and FQDNs (4 KB blocks, beyond 256 KB), the allocation and derived-MAC
//! requests (sorted 1 MB runs). What stays grows by ~35 bytes of path per input
//! (`walk::Inputs`), 8 bytes of origin and 8 of hash per VM, 6 per explicit MAC, at the end
//! ~28 per allocated address and, with derived MACs, ~24 per NIC while they are assigned
//! and 12 per MAC a changed VM gets; when rendering to a folder, ~60 bytes per staged VM
//! folder (`write::StagedSet`). The catalog scan's texts stay within [`TEXT_CACHE_BYTES`]
//! and are released block by block as the main pass takes them; one chunk of files is in
//! flight: no tree, finding or artifact outlives its chunk.

use crate::crd::Crd;
use crate::inputs::{self, ReadOutcome};
use crate::report::{self, Chunk, Format, Reporter};
use crate::sink::{Io, Stream};
use crate::walk::{self, Input, Inputs, WalkOptions};
use crate::write::{OutDir, Staged, StagedSet};
use guestnet_core::batch::{self, Arena, Plan, Planner, Text, VmId, state::IpamState};
use guestnet_core::model::NetworkCatalog;
use guestnet_core::pipeline::{self, CompileOptions, Doc, Input as DocInput, Unit};
use guestnet_core::render::{self, Artifact, Target};
use guestnet_core::resolve::Assigned;
use guestnet_core::{Code, Diagnostic, Severity, explain};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// Exit statuses scripts rely on.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Files analysed per parallel chunk: bounds the memory in flight.
const CHUNK: usize = 256;
/// Texts kept from the catalog scan for the main pass: a 10,000-file fleet (8.5 MB) is read
/// once. Beyond it the main pass reads a file again; the budget is the cache's whole part of
/// a large batch's peak memory, which must not grow with the batch.
const TEXT_CACHE_BYTES: usize = 16 << 20;

/// What a run does with each VM.
#[derive(Debug)]
pub enum Mode {
    Validate {
        crd: Option<Crd>,
    },
    Render {
        targets: Vec<Target>,
        /// Targets named explicitly: when one cannot be rendered for a VM that is an error;
        /// the others (`--target all`) are left out with a warning.
        strict: Vec<Target>,
        /// `None`: one VM's artifacts on stdout.
        out_dir: Option<PathBuf>,
    },
    Explain {
        json: bool,
    },
}

/// Assigns each file to a scope; cross-file checks run within a scope.
pub type ScopeFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Everything that shapes a run besides its mode.
#[derive(Clone)]
pub struct Options {
    pub compile: CompileOptions,
    pub walk: WalkOptions,
    pub format: Format,
    pub color: bool,
    /// Report informational findings too.
    pub info: bool,
    /// Warnings fail the run.
    pub strict: bool,
    pub ipam_state: Option<PathBuf>,
    /// Catalogs that apply besides those found in the inputs.
    pub extra_catalogs: Vec<NetworkCatalog>,
    pub scope: ScopeFn,
    /// Where findings go (stdout for validate, stderr when stdout carries artifacts).
    pub report_to: Stream,
    /// Progress on stderr (interactive runs).
    pub progress: bool,
    /// Print a summary line on stderr (files, VMs, skipped documents, errors, warnings).
    pub summary: bool,
    /// Read the repository's configuration (`.guestnet.yaml`), kustomize patches and,
    /// with `against`, each file's previous revision. `None`: the inputs alone.
    pub repo: Option<RepoOptions>,
    /// What `repo` found for this run's inputs: set by [`run`]; callers leave it `None`.
    pub repo_run: Option<Arc<RepoRun>>,
}

/// How the repository is consulted.
#[derive(Debug, Clone)]
pub struct RepoOptions {
    /// `--config FILE` instead of the nearest `.guestnet.yaml` above each input.
    pub config: Option<PathBuf>,
    /// What the command line fixed, which a configuration may not change.
    pub pinned: crate::repo::Pinned,
    /// `--against REV`: apply vm-operator's update-time rules against that git revision.
    pub against: Option<String>,
}

/// The repository's answer for one run: per-file configuration, scopes, kustomize
/// patches and previous revisions, by input position (the inputs the configuration
/// excludes are dropped when this is made, so positions agree from then on).
#[derive(Debug)]
pub struct RepoRun {
    plan: crate::repo::Plan,
    previous: Vec<Option<String>>,
}

impl RepoRun {
    fn new(inputs: &mut Inputs, r: &RepoOptions, base: &CompileOptions) -> Result<Self, String> {
        let (plan, keep) = crate::repo::plan(inputs, r.config.as_deref(), base, r.pinned)?;
        // The configuration's `exclude:` drops inputs before anything reads them.
        inputs.retain(|i| keep.get(i) == Some(&true));
        let previous = match &r.against {
            Some(rev) => {
                let names: Vec<String> = (0..inputs.len()).map(|i| inputs.name(i)).collect();
                crate::against::previous_texts(&names, rev)?
            }
            None => Vec::new(),
        };
        Ok(RepoRun { plan, previous })
    }
}

impl Options {
    /// What the repository says about input `file` (its position), named `name`.
    fn at<'a>(&'a self, file: usize, name: &'a str) -> At<'a> {
        At {
            opts: self,
            name,
            repo: self.repo_run.as_deref().map(|r| (r, file)),
        }
    }
}

/// What the repository says about one file (see [`Options::at`]).
struct At<'a> {
    opts: &'a Options,
    name: &'a str,
    repo: Option<(&'a RepoRun, usize)>,
}

impl<'a> At<'a> {
    /// The compile options for the file (its configuration's, or the command line's).
    fn compile(&self) -> &'a CompileOptions {
        self.repo
            .and_then(|(r, i)| r.plan.options_of(i))
            .unwrap_or(&self.opts.compile)
    }

    fn scope(&self) -> String {
        match self.repo {
            Some((r, i)) => r.plan.scope_of(i).to_string(),
            None => (self.opts.scope)(self.name),
        }
    }

    /// The kustomization that lists this file as a patch (its documents are not whole).
    fn patch_of(&self) -> Option<String> {
        let (r, i) = self.repo?;
        r.plan.settings(i)?.patch_of.clone()
    }

    /// The file's VirtualMachines at `--against`'s revision.
    fn previous_vms(&self) -> Vec<((String, String), guestnet_core::model::VirtualMachine)> {
        match self.repo.and_then(|(r, i)| r.previous.get(i)) {
            Some(Some(text)) => pipeline::previous_vms(text, &self.opts.compile.limits),
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("format", &self.format)
            .field("info", &self.info)
            .field("strict", &self.strict)
            .finish_non_exhaustive()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            compile: CompileOptions::default(),
            walk: WalkOptions::default(),
            format: Format::Human,
            color: false,
            info: false,
            strict: false,
            ipam_state: None,
            extra_catalogs: Vec::new(),
            scope: Arc::new(|_| String::new()),
            report_to: Stream::Stdout,
            progress: false,
            summary: false,
            repo: None,
            repo_run: None,
        }
    }
}

/// A file as post-processing sees it.
#[derive(Debug, Clone, Copy)]
pub struct FileCtx<'a> {
    /// The input's position.
    pub index: usize,
    pub name: &'a str,
    /// The file's text when it is at hand (inline suppressions read it).
    pub text: Option<&'a str>,
    pub scope: &'a str,
}

/// Every file's findings pass through here before they are reported, in both passes: the one
/// place for per-file policy. Today: the file name, `--info`, position order. Repository
/// configuration (suppressions, severity overrides) hooks in here too.
pub fn postprocess(file: &FileCtx<'_>, diags: &mut Vec<Diagnostic>, opts: &Options) {
    for d in diags.iter_mut() {
        if d.file.is_none() {
            d.file = Some(file.name.to_string());
        }
    }
    // The repository's `guestnet:ignore` comments, rule severities and --strict-kinds.
    if let Some(r) = &opts.repo_run {
        *diags = r.plan.postprocess(
            file.index,
            file.name,
            file.text.unwrap_or(""),
            std::mem::take(diags),
        );
    }
    if !opts.info {
        diags.retain(|d| d.severity != Severity::Info);
    }
    sort_in_file(diags);
}

/// Position order within a file; findings without a position come first (file-level).
fn sort_in_file(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.line.unwrap_or(0), a.column.unwrap_or(0), a.code, &a.path).cmp(&(
            b.line.unwrap_or(0),
            b.column.unwrap_or(0),
            b.code,
            &b.path,
        ))
    });
}

/// Counts that decide the exit status.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    /// I/O problems (unreadable input, failed writes): exit 2.
    pub io: Vec<String>,
    /// Documents that are not guestnet's (for `--summary`).
    pub skipped: usize,
}

impl Tally {
    fn count(&mut self, diags: &[Diagnostic]) {
        for d in diags {
            match d.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => {}
            }
            if d.code == Code::Unreadable {
                self.io.push(format!(
                    "{}: {}",
                    d.file.as_deref().unwrap_or("-"),
                    d.message
                ));
            }
        }
    }

    pub fn status(&self, strict: bool) -> u8 {
        if !self.io.is_empty() {
            EXIT_USAGE
        } else if self.errors > 0 || (strict && self.warnings > 0) {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        }
    }
}

/// How a file's text is obtained again after the main pass.
struct Texts {
    inputs: Arc<Inputs>,
    stdin: Option<String>,
    limit: usize,
}

impl Texts {
    fn read(&self, i: usize) -> Result<String, Diagnostic> {
        let Some(input) = self.inputs.get(i) else {
            return Err(Diagnostic::new(Code::Unreadable, "", "no such input"));
        };
        if let Input::Stdin = &input {
            return self.stdin.clone().ok_or_else(|| {
                inputs::unreadable("-", &std::io::Error::other("stdin was not read"))
            });
        }
        match inputs::read_input(&input, self.limit) {
            ReadOutcome::Text(s) => Ok(s.text),
            ReadOutcome::Bad(d) | ReadOutcome::Skip(d) => Err(d),
        }
    }
}

fn hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// One VM's part in the main pass.
#[derive(Debug)]
struct VmOut {
    doc: usize,
    facts: batch::VmFacts,
    staged: Option<Staged>,
    artifacts: Option<Vec<Artifact>>,
    explain: Option<Explained>,
}

#[derive(Debug, Clone)]
enum Explained {
    Text(String),
    Json(serde_json::Value),
}

/// One file's part in the main pass.
#[derive(Debug, Default)]
struct FileOut {
    scope: String,
    chunk: Chunk,
    tally: Tally,
    /// The file could not be read or parsed as a whole.
    failed: bool,
    hash: u64,
    vms: Vec<VmOut>,
    write_errors: Vec<String>,
    stdin_text: Option<String>,
}

struct Ctx<'a> {
    opts: &'a Options,
    mode: &'a Mode,
    /// Every catalog of the run (the planner allocates from them).
    catalogs: &'a [NetworkCatalog],
    /// The catalogs each batch scope sees: its own and the default scope's.
    by_scope: &'a HashMap<String, Vec<NetworkCatalog>>,
    out: Option<&'a OutDir>,
}

impl Ctx<'_> {
    fn catalogs_in(&self, scope: &str) -> &[NetworkCatalog] {
        self.by_scope
            .get(scope)
            .map(Vec::as_slice)
            .unwrap_or(self.catalogs)
    }

    fn render(
        &self,
        vm: &guestnet_core::model::VirtualMachine,
        r: &guestnet_core::resolve::Resolved,
    ) -> Option<render::Rendered> {
        match self.mode {
            Mode::Render {
                targets, strict, ..
            } => Some(render::render_targets(
                targets,
                strict,
                vm,
                r,
                &self.opts.compile.render,
            )),
            _ => None,
        }
    }

    fn explain(&self, file: &str, u: &Unit) -> Option<Explained> {
        let (Mode::Explain { json }, Some(r)) = (self.mode, &u.resolved) else {
            return None;
        };
        // Sources named as the user wrote them (a converted version's own fields).
        let r = &explain::in_source(r, &u.paths);
        Some(if *json {
            Explained::Json(serde_json::json!({
                "file": file, "document": u.index + 1, "resolved": explain::json(r)
            }))
        } else {
            Explained::Text(format!(
                "# {file} (document {})\n{}\n",
                u.index + 1,
                explain::text(r)
            ))
        })
    }

    /// What the batch needs from an analysed VM (`None` when the unit is no VM), located in
    /// its document.
    fn facts(
        &self,
        u: &Unit,
        scope: &str,
        policy: guestnet_core::resolve::MacPolicy,
    ) -> Option<batch::VmFacts> {
        let vm = u.vm.as_ref()?;
        let root = u.root.as_ref();
        Some(batch::facts(
            vm,
            u.resolved.as_ref(),
            self.catalogs_in(scope),
            policy,
            &|p| root.map(|r| r.locate(p, false)).unwrap_or_default(),
        ))
    }

    /// Renders (when rendering) and stages one analysed VM; findings go to `diags`.
    fn finish_vm(
        &self,
        file: &str,
        u: &Unit,
        facts: &batch::VmFacts,
        diags: &mut Vec<Diagnostic>,
        write_errors: &mut Vec<String>,
    ) -> (Option<Staged>, Option<Vec<Artifact>>) {
        let (Some(vm), Some(r)) = (&u.vm, &u.resolved) else {
            return (None, None);
        };
        let Some(mut rendered) = self.render(vm, r) else {
            return (None, None);
        };
        for d in &mut rendered.diagnostics {
            u.locate(d);
            d.document = u32::try_from(u.index).ok();
        }
        let failed = rendered
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error);
        diags.append(&mut rendered.diagnostics);
        if failed || rendered.artifacts.is_empty() {
            return (None, None);
        }
        match self.out {
            None => (None, Some(rendered.artifacts)),
            Some(out) => {
                let files: Vec<(&str, &[u8])> = rendered
                    .artifacts
                    .iter()
                    .map(|a| (a.name.as_str(), a.content.as_bytes()))
                    .collect();
                match out.stage(&facts.namespace, &facts.name, &files) {
                    Ok(s) => (Some(s), None),
                    Err(e) => {
                        write_errors.push(format!("{file}: {e}"));
                        (None, None)
                    }
                }
            }
        }
    }
}

/// Main pass over one file.
fn process_file(
    ctx: &Ctx<'_>,
    index: usize,
    input: &Input,
    cached: Option<ReadOutcome>,
) -> FileOut {
    let opts = ctx.opts;
    let name = input.name();
    let at = opts.at(index, &name);
    let scope = at.scope();
    let fopts = at.compile();
    let patch_of = at.patch_of();
    let previous = at.previous_vms();
    let mut out = FileOut {
        scope: scope.clone(),
        ..FileOut::default()
    };
    let outcome = match cached {
        Some(c) => c,
        None => inputs::read_input(input, opts.compile.limits.max_bytes),
    };
    let text = match outcome {
        ReadOutcome::Text(s) => Ok(s.text),
        ReadOutcome::Bad(d) => {
            out.failed = true;
            Err(d)
        }
        ReadOutcome::Skip(d) => Err(d),
    };
    let text = match text {
        Ok(t) => t,
        Err(d) => {
            let mut diags = vec![d];
            let fc = FileCtx {
                index,
                name: &name,
                text: None,
                scope: &scope,
            };
            postprocess(&fc, &mut diags, opts);
            out.tally.count(&diags);
            out.chunk = report::format_chunk(opts.format, &diags, None, opts.color);
            return out;
        }
    };
    out.hash = hash(&text);
    let mut diags: Vec<Diagnostic> = Vec::new();
    let mut vms: Vec<VmOut> = Vec::new();
    let policy = fopts.resolve.mac_policy;
    let mut skipped = 0usize;
    let loaded = pipeline::load_each(&text, &fopts.limits, &mut |mut doc: Doc| {
        let index = doc.index;
        let doc_no = u32::try_from(index).ok();
        // A kustomize patch is a fragment of another document, not a whole object.
        if let Some(k) = &patch_of {
            doc.skip(guestnet_core::classify::Skip::KustomizePatch {
                kustomization: k.clone(),
            });
        }
        if doc.skipped().is_some() {
            skipped += 1;
        }
        if let Some(DocInput::Network(_)) = doc.input {
            diags.extend(doc.diagnostics.into_iter().map(|mut d| {
                d.document = doc_no;
                d
            }));
            return;
        }
        let mut u = pipeline::analyze(doc, ctx.catalogs_in(&scope), fopts);
        // --against: the VM exists in the cluster as it was at that revision.
        crate::against::apply(&mut u, &previous, fopts);
        let mut found = u.diagnostics.clone();
        if let (Mode::Validate { crd: Some(crd) }, Some(root)) = (ctx.mode, &u.root) {
            found.extend(crd.check(root));
        }
        for d in &mut found {
            d.document = doc_no;
        }
        diags.append(&mut found);
        let Some(facts) = ctx.facts(&u, &scope, policy) else {
            return;
        };
        // A VM that waits for an allocated address is rendered after the plan.
        let (staged, artifacts, explained) = if facts.needs_allocation() {
            (None, None, None)
        } else {
            let (s, a) = ctx.finish_vm(&name, &u, &facts, &mut diags, &mut out.write_errors);
            (s, a, ctx.explain(&name, &u))
        };
        vms.push(VmOut {
            doc: index,
            facts,
            staged,
            artifacts,
            explain: explained,
        });
    });
    if let Err(mut e) = loaded {
        // The file is unusable as a whole: nothing from it is rendered.
        e.document = None;
        diags = vec![e];
        out.failed = true;
        for v in vms.drain(..) {
            if let (Some(s), Some(o)) = (v.staged, ctx.out) {
                o.discard(s);
            }
        }
    }
    let fc = FileCtx {
        index,
        name: &name,
        text: Some(&text),
        scope: &scope,
    };
    postprocess(&fc, &mut diags, opts);
    out.tally.count(&diags);
    out.tally.skipped = skipped;
    out.chunk = report::format_chunk(opts.format, &diags, Some(&text), opts.color);
    out.vms = vms;
    if matches!(input, Input::Stdin) {
        out.stdin_text = Some(text);
    }
    out
}

/// Texts read by the catalog scan, kept for the main pass, by input position, from the
/// first input on until the budget is spent.
///
/// The texts go back to back into an [`Arena`] of [`CACHE_BLOCK`]-byte pages, and the main
/// pass drops each page as soon as it is past it. The memory a drained page held goes back to
/// the system or to the planner, which grows while the cache drains. Kept as one allocation
/// per text, the drained cache stayed resident in the malloc arenas beside the planner (25–30
/// MB of a 100,000-file run's peak RSS); kept in one buffer released at the end, the whole
/// budget added to the planner's growth until then (55 MB heap peak).
struct TextCache {
    texts: Arena,
    /// Per input: its text in `texts`.
    at: Vec<Option<Text>>,
    spent: usize,
    /// Until the budget is spent.
    open: bool,
    /// What reading stdin gave (it cannot be read twice), at its position.
    stdin: Option<(usize, ReadOutcome)>,
}

/// The cache's unit of allocation and release.
const CACHE_BLOCK: usize = 2 << 20;

impl TextCache {
    fn new() -> TextCache {
        TextCache {
            texts: Arena::with_page(CACHE_BLOCK),
            at: Vec::new(),
            spent: 0,
            open: true,
            stdin: None,
        }
    }

    fn offer(&mut self, index: usize, input: &Input, outcome: Option<ReadOutcome>) {
        if matches!(input, Input::Stdin) {
            self.stdin = outcome.map(|o| (index, o));
            if self.open {
                self.at.push(None);
            }
            return;
        }
        if !self.open {
            return;
        }
        let text = match outcome {
            Some(ReadOutcome::Text(s)) => s.text,
            _ => {
                self.at.push(None);
                return;
            }
        };
        if self.spent + text.len() > TEXT_CACHE_BYTES {
            self.open = false;
            return;
        }
        self.spent += text.len();
        let t = self.texts.intern(&text);
        self.at.push(Some(t));
    }

    /// Input `index`'s text; inputs are taken in order, so every page before this text's
    /// is done with and dropped.
    fn take(&mut self, index: usize, input: &Input) -> Option<ReadOutcome> {
        if self.stdin.as_ref().is_some_and(|(i, _)| *i == index) {
            return self.stdin.take().map(|(_, o)| o);
        }
        let slot = self.at.get(index).copied().flatten();
        let text = slot.map(|t| self.texts.get(t).to_string());
        if let Some(t) = slot {
            self.texts.release_before(t);
        }
        if !self.at.is_empty() && index + 1 >= self.at.len() {
            self.texts = Arena::with_page(CACHE_BLOCK);
            self.at = Vec::new();
        }
        Some(ReadOutcome::Text(inputs::Source {
            name: input.name(),
            text: text?,
        }))
    }
}

/// Parses the files that mention catalogs; keeps texts for the main pass within a budget.
fn scan_catalogs(inputs: &Inputs, opts: &Options) -> (Vec<(String, NetworkCatalog)>, TextCache) {
    let limit = opts.compile.limits.max_bytes;
    let mut cats: Vec<(String, NetworkCatalog)> = opts
        .extra_catalogs
        .iter()
        .map(|c| (String::new(), c.clone()))
        .collect();
    if let Some(r) = &opts.repo_run {
        // Catalogs the configurations always load (also for one staged file), by scope.
        cats.extend(r.plan.catalogs.iter().cloned());
    }
    let mut cache = TextCache::new();
    for chunk in chunks(inputs) {
        let got: Vec<(Option<ReadOutcome>, Vec<NetworkCatalog>)> = chunk
            .par_iter()
            .map(|(_, input)| {
                if matches!(input, Input::Skipped { .. }) {
                    return (None, Vec::new());
                }
                let s = match inputs::read_input(input, limit) {
                    ReadOutcome::Text(s) => s,
                    // Stdin cannot be read twice: keep what reading it gave.
                    other if matches!(input, Input::Stdin) => return (Some(other), Vec::new()),
                    _ => return (None, Vec::new()),
                };
                let mut found = Vec::new();
                if s.text.contains("guestnet.dev/")
                    && !opts
                        .repo_run
                        .as_ref()
                        .is_some_and(|r| r.plan.catalogs_loaded(&input.name()))
                {
                    let _ = pipeline::load_each(&s.text, &opts.compile.limits, &mut |d| {
                        if let Some(DocInput::Network(c)) = d.input {
                            found.push(*c);
                        }
                    });
                }
                (Some(ReadOutcome::Text(s)), found)
            })
            .collect();
        for ((text, found), (index, input)) in got.into_iter().zip(&chunk) {
            if !found.is_empty() {
                let name = input.name();
                let scope = opts.at(*index, &name).scope();
                cats.extend(found.into_iter().map(|c| (scope.clone(), c)));
            }
            cache.offer(*index, input, text);
        }
    }
    (cats, cache)
}

/// The inputs in chunks of [`CHUNK`], each input with its position: only one chunk's paths
/// are materialised at a time.
fn chunks(inputs: &Inputs) -> impl Iterator<Item = Vec<(usize, Input)>> + '_ {
    (0..inputs.len()).step_by(CHUNK).map(|start| {
        let end = (start + CHUNK).min(inputs.len());
        (start..end)
            .filter_map(|i| Some((i, inputs.get(i)?)))
            .collect()
    })
}

/// Expands the paths and runs the batch. Returns the exit status (before stream health).
pub fn run(paths: &[String], opts: &Options, mode: &Mode, io: &mut Io) -> Result<u8, String> {
    let mut inputs = walk::expand(paths, &opts.walk).map_err(|e| e.to_string())?;
    let mut with_repo;
    let opts = match &opts.repo {
        Some(r) => {
            let run = RepoRun::new(&mut inputs, r, &opts.compile)?;
            with_repo = opts.clone();
            with_repo.repo_run = Some(Arc::new(run));
            &with_repo
        }
        None => opts,
    };
    if inputs.is_empty() {
        return Err("no .yaml, .yml or .json files found".into());
    }
    let state = match &opts.ipam_state {
        Some(p) if p.exists() => {
            let src = inputs::read_named(&p.display().to_string(), opts.compile.limits.max_bytes)?;
            Some(IpamState::parse(&src.text).map_err(|d| {
                format!(
                    "{}:{}:{}: {}",
                    p.display(),
                    d.line.unwrap_or(1),
                    d.column.unwrap_or(1),
                    d.message
                )
            })?)
        }
        _ => None,
    };
    let out_dir = match mode {
        Mode::Render {
            out_dir: Some(d), ..
        } => Some(OutDir::open(d).map_err(|e| e.to_string())?),
        _ => None,
    };
    let inputs = Arc::new(inputs);
    let (scoped, mut cache) = scan_catalogs(&inputs, opts);
    let catalogs: Vec<NetworkCatalog> = scoped.iter().map(|(_, c)| c.clone()).collect();
    let mut by_scope: HashMap<String, Vec<NetworkCatalog>> = HashMap::new();
    // Without catalogs every scope sees none (`Ctx::catalogs_in` falls back to the empty
    // list): no lookup per file.
    if !scoped.is_empty() {
        for i in 0..inputs.len() {
            let name = inputs.name(i);
            let s = opts.at(i, &name).scope();
            if let std::collections::hash_map::Entry::Vacant(e) = by_scope.entry(s) {
                let seen = crate::repo::catalogs_for(&scoped, e.key());
                e.insert(seen);
            }
        }
    }
    let ctx = Ctx {
        opts,
        mode,
        catalogs: &catalogs,
        by_scope: &by_scope,
        out: out_dir.as_ref(),
    };
    let mut reporter = Reporter::new(opts.format);
    reporter.begin(io.sink(opts.report_to));
    let mut planner = Planner::new(&catalogs, opts.compile.resolve.mac_policy);
    // The planner asks for the names of the files its findings name; it keeps none.
    let names = Arc::clone(&inputs);
    planner.name_files(Box::new(move |f| names.name(f as usize)));
    planner.spill_to(Box::new(crate::spill::TempRuns::default()));
    if opts.ipam_state.is_some() && matches!(mode, Mode::Render { .. }) {
        planner.record_state();
    }
    let mut tally = Tally::default();
    let mut hashes: Vec<u64> = Vec::with_capacity(inputs.len());
    let mut staged = StagedSet::default();
    let mut stdout_vm: Option<(VmId, Vec<Artifact>)> = None;
    let mut vm_count = 0usize;
    let mut explained: BTreeMap<VmId, Explained> = BTreeMap::new();
    let mut stdin_text: Option<String> = None;
    let mut write_errors: Vec<String> = Vec::new();
    let mut done = 0usize;
    for chunk in chunks(&inputs) {
        let cached: Vec<Option<ReadOutcome>> = chunk
            .iter()
            .map(|(index, input)| cache.take(*index, input))
            .collect();
        let results: Vec<FileOut> = chunk
            .par_iter()
            .zip(cached.into_par_iter())
            .map(|((index, input), text)| process_file(&ctx, *index, input, text))
            .collect();
        for f in results {
            // Files are added once each, in input order: a FileId is the input's position,
            // which the late pass uses to find a VM's file again (`Plan::origin`).
            let fid = planner.add_unnamed_file(&f.scope);
            hashes.push(f.hash);
            if f.failed {
                planner.mark_incomplete();
            }
            if f.stdin_text.is_some() {
                stdin_text = f.stdin_text;
            }
            reporter.emit(io.sink(opts.report_to), &f.chunk);
            tally.errors += f.tally.errors;
            tally.warnings += f.tally.warnings;
            tally.skipped += f.tally.skipped;
            tally.io.extend(f.tally.io);
            write_errors.extend(f.write_errors);
            for v in f.vms {
                let id = planner.add_vm(fid, v.doc, v.facts);
                vm_count += 1;
                if let Some(s) = v.staged {
                    staged.push(id, &s);
                }
                if let Some(a) = v.artifacts
                    && stdout_vm.is_none()
                {
                    stdout_vm = Some((id, a));
                }
                if let Some(e) = v.explain {
                    explained.insert(id, e);
                }
            }
            done += 1;
        }
        if opts.progress && inputs.len() >= 1000 {
            io.err
                .write_str(&format!("\rguestnet: {done}/{} files", inputs.len()));
            io.err.flush();
        }
    }
    if opts.progress && inputs.len() >= 1000 {
        io.err.write_str("\n");
    }
    drop(cache);
    let plan = planner.finish(state.as_ref());
    if let Some(e) = &plan.spill_error {
        // The duplicate check is incomplete: nothing of this batch may be trusted or kept.
        if let Some(o) = &out_dir {
            for (_, s) in staged.drain() {
                o.discard(s);
            }
        }
        return Err(format!("the batch's cross-file check failed: {e}"));
    }
    // Folders of the main pass: final now unless the plan blocked the VM (an error finding)
    // or changed its values (it is redone below). Committed here so that none is held.
    for (id, s) in staged.drain() {
        let Some(o) = &out_dir else {
            continue;
        };
        if plan.blocked.contains(&id) || plan.changed.contains(&id) {
            o.discard(s);
        } else if let Err(e) = o.commit(s) {
            write_errors.push(e.to_string());
        }
    }
    drop(staged);
    let texts = Texts {
        inputs,
        stdin: stdin_text,
        limit: opts.compile.limits.max_bytes,
    };
    let late = Late {
        ctx: &ctx,
        plan: &plan,
        texts: &texts,
        hashes: &hashes,
    };
    late.run(
        &mut reporter,
        io,
        &mut tally,
        &mut explained,
        &mut stdout_vm,
        &mut write_errors,
    );
    if let (Some(p), Mode::Render { .. }) = (&opts.ipam_state, mode)
        && let Err(e) = crate::write::write_file_atomic(p, plan.state.to_json().as_bytes())
    {
        write_errors.push(e.to_string());
    }
    reporter.end(io.sink(opts.report_to));
    if opts.summary {
        io.err.write_str(&format!(
            "{}\n",
            report::summary_line(&report::Summary {
                files: texts.inputs.len(),
                vms: vm_count,
                skipped: tally.skipped,
                errors: tally.errors,
                warnings: tally.warnings,
            })
        ));
    }
    if let Mode::Explain { json } = mode {
        let mut text = String::new();
        if *json {
            let v: Vec<serde_json::Value> = explained
                .into_values()
                .filter_map(|e| match e {
                    Explained::Json(v) => Some(v),
                    Explained::Text(_) => None,
                })
                .collect();
            text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        } else {
            for e in explained.into_values() {
                if let Explained::Text(t) = e {
                    text.push_str(&t);
                }
            }
        }
        io.out.write_str(&text);
    }
    if let Mode::Render { out_dir: None, .. } = mode {
        if vm_count != 1 {
            return Err(format!(
                "{vm_count} VirtualMachine(s): stdout takes the artifacts of one; use --out-dir DIR"
            ));
        }
        if let Some((id, arts)) = stdout_vm
            && !plan.blocked.contains(&id)
        {
            print_artifacts(io, &arts);
        }
    }
    for e in &write_errors {
        io.err.write_str(&format!("guestnet: {e}\n"));
    }
    if !write_errors.is_empty() {
        return Ok(EXIT_USAGE);
    }
    Ok(tally.status(opts.strict))
}

/// One artifact as it is; several each under a `# file: NAME` header line, so none is lost.
fn print_artifacts(io: &mut Io, arts: &[Artifact]) {
    if let [one] = arts {
        io.out.write_str(&one.content);
        return;
    }
    for a in arts {
        io.out.write_str(&format!("# file: {}\n", a.name));
        io.out.write_str(&a.content);
        if !a.content.ends_with('\n') {
            io.out.write_str("\n");
        }
    }
}

/// One VM redone by the late pass: its staged folder, its artifacts (for stdout), its
/// explanation.
type Redone = (
    VmId,
    Option<Staged>,
    Option<Vec<Artifact>>,
    Option<Explained>,
);

/// What one file gives the late pass: its report chunk and the VMs redone in it.
#[derive(Default)]
struct LateFile {
    chunk: Chunk,
    tally: Tally,
    vms: Vec<Redone>,
    write_errors: Vec<String>,
}

/// The late pass: after the plan, the files with cross-file findings or with VMs the plan gave
/// values to (allocated addresses, MACs that moved) are read again, in input order and in
/// chunks like the main pass; their VMs are re-resolved and rendered, their findings reported
/// and their folders committed as each chunk is done, so nothing accumulates over the batch.
struct Late<'a> {
    ctx: &'a Ctx<'a>,
    plan: &'a Plan,
    texts: &'a Texts,
    hashes: &'a [u64],
}

impl Late<'_> {
    fn run(
        &self,
        reporter: &mut Reporter,
        io: &mut Io,
        tally: &mut Tally,
        explained: &mut BTreeMap<VmId, Explained>,
        stdout_vm: &mut Option<(VmId, Vec<Artifact>)>,
        write_errors: &mut Vec<String>,
    ) {
        let opts = self.ctx.opts;
        // (file, document, VM) to redo, and (file, finding) to report, both in file order.
        let mut redo: Vec<(usize, usize, VmId)> = self
            .plan
            .changed
            .iter()
            .filter(|id| !self.plan.blocked.contains(id))
            .filter_map(|id| {
                let (fi, doc) = self.plan.origin(id)?;
                Some((fi as usize, doc, id))
            })
            .collect();
        redo.sort_unstable();
        let mut found: Vec<(usize, &Diagnostic, VmId)> = self
            .plan
            .findings
            .iter()
            .filter_map(|(vm, d)| Some((self.plan.origin(*vm)?.0 as usize, d, *vm)))
            .collect();
        // Stable: the plan's order (VM, position) within a file.
        found.sort_by_key(|(fi, _, _)| *fi);
        let mut files: Vec<usize> = redo
            .iter()
            .map(|r| r.0)
            .chain(found.iter().map(|f| f.0))
            .collect();
        files.sort_unstable();
        files.dedup();
        for chunk in files.chunks(CHUNK) {
            let done: Vec<LateFile> = chunk
                .par_iter()
                .map(|&fi| {
                    let redo = batch::run_of(&redo, fi, |r| r.0);
                    self.file(fi, redo, batch::run_of(&found, fi, |f| f.0))
                })
                .collect();
            for f in done {
                reporter.emit(io.sink(opts.report_to), &f.chunk);
                tally.errors += f.tally.errors;
                tally.warnings += f.tally.warnings;
                tally.io.extend(f.tally.io);
                write_errors.extend(f.write_errors);
                for (id, s, arts, e) in f.vms {
                    if let (Some(s), Some(o)) = (s, self.ctx.out)
                        && let Err(e) = o.commit(s)
                    {
                        write_errors.push(e.to_string());
                    }
                    if let Some(a) = arts {
                        *stdout_vm = Some((id, a));
                    }
                    if let Some(e) = e {
                        explained.insert(id, e);
                    }
                }
            }
        }
    }

    /// One file of the late pass: `redo` are its (file, document, VM) to re-resolve, `found`
    /// its cross-file findings.
    fn file(
        &self,
        fi: usize,
        redo: &[(usize, usize, VmId)],
        found: &[(usize, &Diagnostic, VmId)],
    ) -> LateFile {
        let ctx = self.ctx;
        let mut out = LateFile::default();
        let name = self.texts.inputs.name(fi);
        let mut diags: Vec<Diagnostic> = found
            .iter()
            .map(|(_, d, vm)| {
                let mut d = (*d).clone();
                d.document = self
                    .plan
                    .origin(*vm)
                    .and_then(|(_, doc)| u32::try_from(doc).ok());
                d
            })
            .collect();
        let text = match self.texts.read(fi) {
            Ok(t) => Some(t),
            Err(d) => {
                if !redo.is_empty() {
                    diags.push(d);
                }
                None
            }
        };
        match &text {
            Some(t) if !redo.is_empty() && self.hashes.get(fi) != Some(&hash(t)) => {
                diags.push(inputs::unreadable(
                    &name,
                    &std::io::Error::other("the file changed during the run; run again"),
                ));
            }
            Some(t) if !redo.is_empty() => {
                self.redo(t, fi, &name, redo, &mut diags, &mut out);
            }
            _ => {}
        }
        let scope = ctx.opts.at(fi, &name).scope();
        let fc = FileCtx {
            index: fi,
            name: &name,
            text: text.as_deref(),
            scope: &scope,
        };
        postprocess(&fc, &mut diags, ctx.opts);
        out.tally.count(&diags);
        out.chunk = report::format_chunk(ctx.opts.format, &diags, text.as_deref(), ctx.opts.color);
        out
    }

    /// Re-resolves and renders the VMs of one file with the values the plan gave them.
    fn redo(
        &self,
        text: &str,
        fi: usize,
        name: &str,
        redo: &[(usize, usize, VmId)],
        diags: &mut Vec<Diagnostic>,
        out: &mut LateFile,
    ) {
        let ctx = self.ctx;
        let wanted: HashMap<usize, VmId> = redo.iter().map(|r| (r.1, r.2)).collect();
        let empty = Assigned::default();
        let at = ctx.opts.at(fi, name);
        let fopts = at.compile();
        let scope = at.scope();
        let previous = at.previous_vms();
        let _ = pipeline::load_each(text, &fopts.limits, &mut |doc: Doc| {
            let Some(&id) = wanted.get(&doc.index) else {
                return;
            };
            let assigned = self.plan.assigned(id);
            let a = assigned.as_ref().unwrap_or(&empty);
            let mut u = pipeline::analyze_assigned(doc, ctx.catalogs_in(&scope), fopts, a);
            crate::against::apply(&mut u, &previous, fopts);
            let Some(facts) = ctx.facts(&u, &scope, fopts.resolve.mac_policy) else {
                return;
            };
            let (s, arts) = ctx.finish_vm(name, &u, &facts, diags, &mut out.write_errors);
            out.vms.push((id, s, arts, ctx.explain(name, &u)));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Option<ReadOutcome> {
        Some(ReadOutcome::Text(inputs::Source {
            name: String::new(),
            text: s.into(),
        }))
    }

    fn file(n: &str) -> Input {
        Input::File {
            path: n.into(),
            walked: true,
        }
    }

    fn got(o: Option<ReadOutcome>) -> Option<String> {
        match o {
            Some(ReadOutcome::Text(s)) => Some(s.text),
            _ => None,
        }
    }

    #[test]
    fn text_cache_gives_back_texts_until_the_budget_and_then_releases_its_buffer() {
        let mut c = TextCache::new();
        let big = "x".repeat(TEXT_CACHE_BYTES - 10);
        c.offer(0, &file("a"), text("é: 1\n"));
        c.offer(1, &file("b"), None); // unreadable: read again by the main pass
        c.offer(2, &Input::Stdin, text("from stdin"));
        c.offer(3, &file("c"), text(&big));
        c.offer(4, &file("d"), text("does not fit"));
        c.offer(5, &file("e"), text("f")); // the budget was spent: nothing after it
        assert_eq!(got(c.take(0, &file("a"))).as_deref(), Some("é: 1\n"));
        assert!(c.take(1, &file("b")).is_none());
        assert_eq!(got(c.take(2, &Input::Stdin)).as_deref(), Some("from stdin"));
        assert_eq!(
            c.texts.page_capacities().len(),
            2,
            "the large text took a block of its own"
        );
        assert_eq!(got(c.take(3, &file("c"))).map(|t| t.len()), Some(big.len()));
        assert!(
            c.texts.page_capacities().is_empty(),
            "released after the last text"
        );
        assert!(c.take(4, &file("d")).is_none());
        assert!(c.take(5, &file("e")).is_none());
    }

    #[test]
    fn text_cache_drops_each_block_once_the_main_pass_is_past_it() {
        let mut c = TextCache::new();
        let mb = "y".repeat(CACHE_BLOCK / 2);
        for i in 0..6 {
            c.offer(i, &file("f"), text(&mb));
        }
        assert_eq!(c.texts.page_capacities().len(), 3);
        for i in 0..4 {
            assert_eq!(got(c.take(i, &file("f"))).map(|t| t.len()), Some(mb.len()));
        }
        let held: Vec<bool> = c.texts.page_capacities().iter().map(|&b| b > 0).collect();
        assert_eq!(
            held,
            [false, true, true],
            "block 0 is done once text 2 (block 1) is taken"
        );
        assert!(got(c.take(4, &file("f"))).is_some());
        assert!(got(c.take(5, &file("f"))).is_some());
        assert!(c.texts.page_capacities().is_empty());
    }
}
