//! What the repository says about each input before anything is judged: which
//! `.guestnet.yaml` applies, which files it excludes, the batch scope of each file, the
//! options it sets, the Network catalogs it always loads, and which files kustomizations
//! list as patches. The batch engine asks this per file; nothing here reads manifests.

use crate::config::{Config, Resolver};
use crate::inputs;
use crate::kustomize::Patches;
use crate::paths::absolute;
use crate::walk::Inputs;
use guestnet_core::Diagnostic;
use guestnet_core::model::NetworkCatalog;
use guestnet_core::pipeline::{self, CompileOptions};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Per input file.
#[derive(Debug, Clone)]
pub struct FileSettings {
    pub config: Arc<Config>,
    /// Batch scope (see [`Config::scope`]); empty for the default scope.
    pub scope: String,
    /// Index into [`Plan::options`].
    pub options: usize,
    /// The kustomization that lists this file as a patch.
    pub patch_of: Option<String>,
}

/// Settings for every input, in input order.
#[derive(Debug)]
pub struct Plan {
    /// Per input kept, in input order: its settings, an index into `kinds`. A fleet's files
    /// share a handful of settings; one 64-byte record per file was 6.4 MB at 100,000.
    of_file: Vec<u32>,
    kinds: Vec<FileSettings>,
    /// One set of options per configuration in use.
    pub options: Vec<CompileOptions>,
    /// Catalogs the configurations always load, by scope.
    pub catalogs: Vec<(String, NetworkCatalog)>,
    /// The files they came from (an input among them is not loaded twice).
    pub catalog_files: BTreeSet<PathBuf>,
    pub strict_kinds: bool,
}

/// What the command line fixed, which a configuration file may not change.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pinned {
    pub provider: bool,
    pub mac_policy: bool,
    pub strict_kinds: bool,
}

/// Applies one configuration to the command line's options.
fn options_for(base: &CompileOptions, c: &Config, pinned: Pinned) -> CompileOptions {
    let mut o = base.clone();
    if !pinned.provider && c.provider.is_some() {
        o.validate.provider = c.provider;
    }
    if !pinned.mac_policy
        && let Some(m) = c.mac_policy
    {
        o.resolve.mac_policy = m;
    }
    for (gate, on) in &c.feature_gates {
        // Names were checked when the configuration was read; the command line's win.
        let _ = o.validate.features.set_unless_pinned(gate, *on);
    }
    o.render.features = o.validate.features;
    o
}

/// Resolves configuration for the expanded inputs. Returns the plan for the inputs kept and,
/// per input, whether it is kept (a configuration's `exclude:` drops it).
pub fn plan(
    inputs: &Inputs,
    explicit_config: Option<&Path>,
    base: &CompileOptions,
    pinned: Pinned,
) -> Result<(Plan, Vec<bool>), String> {
    let mut resolver = Resolver::new(explicit_config).map_err(|e| e.to_string())?;
    let mut keep = Vec::with_capacity(inputs.len());
    let mut configs: Vec<Arc<Config>> = Vec::with_capacity(inputs.len());
    for i in 0..inputs.len() {
        let f = inputs.name(i);
        let c = resolver
            .for_path(&f, inputs.is_file(i))
            .map_err(|e| e.to_string())?;
        let kept = f == "-" || !c.excludes(Path::new(&f));
        keep.push(kept);
        if kept {
            configs.push(c);
        }
    }
    let kept = || {
        (0..inputs.len())
            .filter(|&i| keep.get(i) == Some(&true))
            .map(|i| inputs.name(i))
    };
    let patches = Patches::discover(kept());
    let mut options: Vec<CompileOptions> = Vec::new();
    let mut option_of: BTreeMap<usize, usize> = BTreeMap::new();
    let mut catalog_files: Vec<(Arc<Config>, String)> = Vec::new();
    let mut kinds: Vec<FileSettings> = Vec::new();
    let mut kind_of: HashMap<(usize, String, Option<String>), u32> = HashMap::new();
    let mut of_file = Vec::with_capacity(configs.len());
    for (f, c) in kept().zip(&configs) {
        let key = Arc::as_ptr(c) as usize;
        let options_index = *option_of.entry(key).or_insert_with(|| {
            options.push(options_for(base, c, pinned));
            for cat in &c.catalogs {
                catalog_files.push((c.clone(), cat.display().to_string()));
            }
            options.len() - 1
        });
        let scope = if f == "-" {
            String::new()
        } else {
            c.scope(Path::new(&f))
        };
        let patch_of = patches.kustomization_of(&f).map(str::to_string);
        let k = *kind_of
            .entry((key, scope.clone(), patch_of.clone()))
            .or_insert_with(|| {
                kinds.push(FileSettings {
                    config: c.clone(),
                    scope,
                    options: options_index,
                    patch_of,
                });
                u32::try_from(kinds.len() - 1).unwrap_or(u32::MAX)
            });
        of_file.push(k);
    }
    let (catalogs, catalog_files) = always_loaded(&catalog_files, base)?;
    Ok((
        Plan {
            of_file,
            kinds,
            options,
            catalogs,
            catalog_files,
            strict_kinds: pinned.strict_kinds,
        },
        keep,
    ))
}

/// The Network catalogs of the configurations' `catalogs:` entries (files or folders),
/// with the scope of the file each comes from. Their other documents are not judged here:
/// they are judged when they are inputs themselves.
type Loaded = (Vec<(String, NetworkCatalog)>, BTreeSet<PathBuf>);

fn always_loaded(
    entries: &[(Arc<Config>, String)],
    base: &CompileOptions,
) -> Result<Loaded, String> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (config, path) in entries {
        let files = crate::walk::expand(std::slice::from_ref(path), &Default::default())
            .map_err(|e| format!("catalogs in {}: {e}", shown(config)))?;
        for i in 0..files.len() {
            if files.is_skipped(i) {
                continue;
            }
            let f = files.name(i);
            if !seen.insert(absolute(Path::new(&f))) {
                continue;
            }
            let src = inputs::read_named(&f, base.limits.max_bytes)?;
            let Ok(docs) = pipeline::load(&src.text, &base.limits) else {
                continue;
            };
            let scope = config.scope(Path::new(&f));
            out.extend(
                pipeline::catalogs(&docs)
                    .into_iter()
                    .map(|c| (scope.clone(), c)),
            );
        }
    }
    Ok((out, seen))
}

fn shown(c: &Config) -> String {
    c.path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "--config".into())
}

/// Catalogs visible from one scope: its own and the default scope's.
pub fn catalogs_for<'a>(all: &'a [(String, NetworkCatalog)], scope: &str) -> Vec<NetworkCatalog> {
    let mut v: Vec<&'a NetworkCatalog> = all
        .iter()
        .filter(|(s, _)| s == scope)
        .map(|(_, c)| c)
        .collect();
    if !scope.is_empty() {
        v.extend(all.iter().filter(|(s, _)| s.is_empty()).map(|(_, c)| c));
    }
    v.into_iter().cloned().collect()
}

impl Plan {
    /// The settings of kept input `file` (its position among the inputs kept).
    pub fn settings(&self, file: usize) -> Option<&FileSettings> {
        self.kinds.get(*self.of_file.get(file)? as usize)
    }

    /// Suppressions and rule policy over the findings of kept input `file`, named `name`.
    pub fn postprocess(
        &self,
        file: usize,
        name: &str,
        text: &str,
        diags: Vec<Diagnostic>,
    ) -> Vec<Diagnostic> {
        match self.settings(file) {
            Some(s) => s.config.postprocess(name, text, diags, self.strict_kinds),
            None => diags,
        }
    }

    pub fn options_of(&self, file: usize) -> Option<&CompileOptions> {
        self.settings(file)
            .and_then(|s| self.options.get(s.options))
    }

    /// Whether the configurations already load the input named `name`.
    pub fn catalogs_loaded(&self, name: &str) -> bool {
        self.catalog_files.contains(&absolute(Path::new(name)))
    }

    pub fn scope_of(&self, file: usize) -> &str {
        self.settings(file).map(|s| s.scope.as_str()).unwrap_or("")
    }
}
