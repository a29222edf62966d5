//! Repository configuration, `.guestnet.yaml`: what a repository tells guestnet once so
//! that a pre-commit run on one staged file, an editor and CI all judge the same way.
//!
//! Found upward from each input path (the nearest one wins), or named with `--config`.
//! Relative paths and patterns in it are relative to the file's folder. The file is read
//! with guestnet's own tolerant loader, so a typo in it gets a line:column and a "did you
//! mean" like any manifest.

use crate::paths::{absolute, relative_to};
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use guestnet_core::resolve::MacPolicy;
use guestnet_core::source::{Node, de, yaml};
use guestnet_core::suppress::RulePolicy;
use guestnet_core::validate::NetworkProvider;
use guestnet_core::{Code, Diagnostic, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file name looked for in every folder from an input up to the root.
pub const FILE_NAME: &str = ".guestnet.yaml";

/// `.guestnet.yaml` as written. Its JSON Schema (`schemas/guestnet-config.schema.json`)
/// is generated from this type.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "guestnet repository configuration (.guestnet.yaml)")]
pub struct ConfigFile {
    /// The cluster's network provider (`vds`, `nsxt` or `vpc`): provider-dependent rules
    /// become the webhook's errors. `--provider` overrides it.
    #[serde(default)]
    pub provider: Option<String>,
    /// NIC identity (`spec`, `derive` or `pci-order`); `--mac-policy` overrides it.
    #[serde(default)]
    pub mac_policy: Option<String>,
    /// vm-operator feature gates as the cluster has them, by vm-operator's names
    /// (`MutableNetworks: true`, `VMResize: true`...). Absent gates are off.
    #[serde(default)]
    pub feature_gates: BTreeMap<String, bool>,
    /// Files or folders whose Network catalogs are always loaded, so a run on one staged
    /// file sees the same networks as a run on the whole repository.
    #[serde(default)]
    pub catalogs: Vec<String>,
    /// Glob patterns (relative to this file's folder) of paths never read: `charts/**`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Per-rule severity: `error`, `warning`, `info`, or `off` to disable the rule.
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// Batch scopes: folder patterns such as `clusters/*`. Cross-file checks (duplicate
    /// addresses, MACs, names) and Network catalogs apply within one scope: the same VM in
    /// `clusters/dev` and `clusters/prod` is not a duplicate.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Documents guestnet does not read (other kinds, non-Kubernetes YAML, Helm templates,
    /// kustomize patches) fail instead of being skipped, like `--strict-kinds`.
    #[serde(default)]
    pub strict_kinds: bool,
}

/// A loaded configuration, ready to answer questions about paths and findings.
#[derive(Debug)]
pub struct Config {
    /// The file it came from (`None`: the built-in defaults).
    pub path: Option<PathBuf>,
    /// Where relative paths and patterns start.
    pub dir: PathBuf,
    pub provider: Option<NetworkProvider>,
    pub mac_policy: Option<MacPolicy>,
    pub feature_gates: BTreeMap<String, bool>,
    pub catalogs: Vec<PathBuf>,
    exclude: GlobSet,
    scopes: Vec<GlobMatcher>,
    pub policy: RulePolicy,
    pub strict_kinds: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .build()
}

impl Config {
    /// The configuration used when there is no file.
    pub fn defaults(dir: PathBuf) -> Config {
        Config {
            path: None,
            dir,
            provider: None,
            mac_policy: None,
            feature_gates: BTreeMap::new(),
            catalogs: Vec::new(),
            exclude: GlobSet::empty(),
            scopes: Vec::new(),
            policy: RulePolicy::default(),
            strict_kinds: false,
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            source: e,
        })?;
        let abs = absolute(path);
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(&text, &path.display().to_string(), dir, Some(abs))
    }

    /// Parses configuration text; `name` is how errors name the file.
    pub fn parse(
        text: &str,
        name: &str,
        dir: PathBuf,
        path: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let fail = |diags: Vec<Diagnostic>| ConfigError::Invalid(describe(name, &diags));
        let docs = yaml::parse_documents(text, &Default::default()).map_err(|d| fail(vec![d]))?;
        let null = Node {
            kind: guestnet_core::source::NodeKind::Scalar(
                "".into(),
                guestnet_core::source::ScalarKind::Plain,
            ),
            span: Default::default(),
        };
        let root = docs.first().map(|d| &d.root).unwrap_or(&null);
        let sink = de::Sink::default();
        let file: ConfigFile = de::from_node(root, &sink).map_err(|d| fail(vec![d]))?;
        let mut problems: Vec<Diagnostic> = sink
            .diagnostics
            .into_inner()
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        let mut bad = |path: String, msg: String| {
            let span = root.locate(&path, false);
            problems.push(Diagnostic::new(Code::WrongType, path, msg).with_span(span));
        };
        let provider = file.provider.as_deref().and_then(|p| match p {
            "vds" => Some(NetworkProvider::Vds),
            "nsxt" => Some(NetworkProvider::Nsxt),
            "vpc" => Some(NetworkProvider::Vpc),
            other => {
                bad(
                    "provider".into(),
                    format!("{other:?} is not vds, nsxt or vpc"),
                );
                None
            }
        });
        let mac_policy = file.mac_policy.as_deref().and_then(|p| {
            let m = MacPolicy::parse(p);
            if m.is_none() {
                bad(
                    "macPolicy".into(),
                    format!("{p:?} is not spec, derive or pci-order"),
                );
            }
            m
        });
        // Gate names as `--feature-gates` takes them (an unknown one is a typo).
        for (gate, on) in &file.feature_gates {
            if let Err(e) = guestnet_core::validate::FeatureGates::default().set(gate, *on) {
                bad(format!("featureGates.{gate}"), e);
            }
        }
        let mut policy = RulePolicy::default();
        for (code, setting) in &file.rules {
            let path = format!("rules.{code}");
            let Some(c) = Code::ALL.iter().find(|c| c.as_str() == code) else {
                bad(
                    path,
                    format!("{code} is not a guestnet rule (see `guestnet rules`)"),
                );
                continue;
            };
            let sev = match setting.as_str() {
                "off" => None,
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                other => {
                    bad(
                        path,
                        format!("{other:?} is not error, warning, info or off"),
                    );
                    continue;
                }
            };
            policy.overrides.insert(*c, sev);
        }
        let mut exclude = GlobSetBuilder::new();
        for (i, p) in file.exclude.iter().enumerate() {
            match glob(p) {
                Ok(g) => {
                    exclude.add(g);
                }
                Err(e) => bad(format!("exclude[{i}]"), e.kind().to_string()),
            }
        }
        let mut scopes = Vec::new();
        for (i, p) in file.scopes.iter().enumerate() {
            match glob(p) {
                Ok(g) => scopes.push(g.compile_matcher()),
                Err(e) => bad(format!("scopes[{i}]"), e.kind().to_string()),
            }
        }
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let exclude = exclude
            .build()
            .map_err(|e| ConfigError::Invalid(format!("{name}: exclude: {e}")))?;
        let catalogs = file.catalogs.iter().map(|c| dir.join(c)).collect();
        Ok(Config {
            path,
            dir,
            provider,
            mac_policy,
            feature_gates: file.feature_gates,
            catalogs,
            exclude,
            scopes,
            policy,
            strict_kinds: file.strict_kinds,
        })
    }

    /// The folders of `file` below this configuration's folder, shortest first
    /// (`clusters`, `clusters/dev`, `clusters/dev/vms`), and the file itself last.
    fn prefixes(&self, file: &Path) -> Vec<String> {
        let Some(rel) = relative_to(&absolute(file), &self.dir) else {
            return Vec::new();
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        (1..=parts.len()).map(|n| parts[..n].join("/")).collect()
    }

    /// Whether an `exclude` pattern covers the file or one of its folders.
    pub fn excludes(&self, file: &Path) -> bool {
        !self.exclude.is_empty() && self.prefixes(file).iter().any(|p| self.exclude.is_match(p))
    }

    /// The batch scope of a file: the first of its folders that a `scopes` pattern
    /// matches, as a path from the configuration's folder; empty for the default scope.
    pub fn scope(&self, file: &Path) -> String {
        if self.scopes.is_empty() {
            return String::new();
        }
        let prefixes = self.prefixes(file);
        let folders = prefixes.len().saturating_sub(1);
        prefixes
            .into_iter()
            .take(folders)
            .find(|p| self.scopes.iter().any(|m| m.is_match(p)))
            .map(|p| format!("{}/{p}", self.dir.display()))
            .unwrap_or_default()
    }

    /// The rule policy, with `GN407` raised to an error under strict kinds.
    pub fn policy(&self, strict_kinds: bool) -> RulePolicy {
        let mut p = self.policy.clone();
        if strict_kinds || self.strict_kinds {
            p.overrides
                .entry(Code::Skipped)
                .or_insert(Some(Severity::Error));
        }
        p
    }

    /// Inline suppressions and this configuration's rule policy over one file's findings.
    pub fn postprocess(
        &self,
        _file: &str,
        text: &str,
        diags: Vec<Diagnostic>,
        strict_kinds: bool,
    ) -> Vec<Diagnostic> {
        guestnet_core::suppress::postprocess(text, diags, &self.policy(strict_kinds))
    }
}

/// `file:line:col: message (help)` lines for configuration errors.
fn describe(name: &str, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| {
            let at = match (d.line, d.column) {
                (Some(l), Some(c)) => format!("{name}:{l}:{c}"),
                _ => name.to_string(),
            };
            let what = d.webhook_text();
            match &d.help {
                Some(h) => format!("{at}: {what} ({h})"),
                None => format!("{at}: {what}"),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Finds and caches the configuration of every input.
#[derive(Debug)]
pub struct Resolver {
    explicit: Option<Arc<Config>>,
    by_dir: BTreeMap<PathBuf, Arc<Config>>,
    default: Arc<Config>,
    /// The directory part of the last file looked up, as written, and its configuration:
    /// a walk gives a directory's files one after another, so most lookups end here
    /// without making the path absolute (half of the lookup's cost at fleet size).
    last: Option<(String, Arc<Config>)>,
}

impl Resolver {
    /// `explicit` is `--config FILE`: then it applies to every input.
    pub fn new(explicit: Option<&Path>) -> Result<Resolver, ConfigError> {
        let cwd = absolute(Path::new("."));
        Ok(Resolver {
            explicit: explicit.map(Config::load).transpose()?.map(Arc::new),
            by_dir: BTreeMap::new(),
            default: Arc::new(Config::defaults(cwd)),
            last: None,
        })
    }

    /// The configuration for an input path (`-` is looked up from the working directory).
    /// `is_file` says the walk already knows the path is a file, which saves a `stat` per
    /// input: at fleet size that was one system call in six.
    pub fn for_path(&mut self, input: &str, is_file: bool) -> Result<Arc<Config>, ConfigError> {
        if let Some(c) = &self.explicit {
            return Ok(c.clone());
        }
        let (dir_as_written, _) = crate::paths::dir_as_written(input);
        if is_file
            && let Some((dir, c)) = &self.last
            && dir == dir_as_written
        {
            return Ok(c.clone());
        }
        let config = self.lookup(input, is_file)?;
        if is_file {
            self.last = Some((dir_as_written.to_string(), config.clone()));
        }
        Ok(config)
    }

    fn lookup(&mut self, input: &str, is_file: bool) -> Result<Arc<Config>, ConfigError> {
        let abs = absolute(Path::new(if input == "-" { "." } else { input }));
        let start = if input != "-" && (is_file || !abs.is_dir()) {
            abs.parent().map(Path::to_path_buf).unwrap_or(abs)
        } else {
            abs
        };
        let mut visited = Vec::new();
        let mut found = None;
        for dir in start.ancestors() {
            if let Some(c) = self.by_dir.get(dir) {
                found = Some(c.clone());
                break;
            }
            visited.push(dir.to_path_buf());
            let candidate = dir.join(FILE_NAME);
            if candidate.is_file() {
                found = Some(Arc::new(Config::load(&candidate)?));
                break;
            }
        }
        let config = found.unwrap_or_else(|| self.default.clone());
        for d in visited {
            self.by_dir.insert(d, config.clone());
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, ".guestnet.yaml", PathBuf::from("/repo"), None)
    }

    #[test]
    fn full_config() {
        let c = parse(
            "provider: vds\nmacPolicy: derive\nfeatureGates: {MutableNetworks: true}\ncatalogs: [networks/]\nexclude: ['charts/**', legacy]\nrules: {GN204: off, GN142: error}\nscopes: ['clusters/*']\n",
        )
        .unwrap();
        assert_eq!(c.provider, Some(NetworkProvider::Vds));
        assert_eq!(c.mac_policy, Some(MacPolicy::Derive));
        assert_eq!(c.feature_gates.get("MutableNetworks"), Some(&true));
        assert_eq!(c.catalogs, vec![PathBuf::from("/repo/networks/")]);
        assert!(c.excludes(Path::new("/repo/charts/web/templates/vm.yaml")));
        assert!(c.excludes(Path::new("/repo/legacy/vm.yaml")));
        assert!(!c.excludes(Path::new("/repo/clusters/legacy.yaml")));
        assert_eq!(
            c.scope(Path::new("/repo/clusters/dev/vms/web.yaml")),
            "/repo/clusters/dev"
        );
        assert_eq!(c.scope(Path::new("/repo/clusters/web.yaml")), "");
        assert_eq!(c.scope(Path::new("/elsewhere/clusters/dev/x.yaml")), "");
        assert_eq!(
            c.policy.overrides.get(&Code::TooManyNameservers),
            Some(&None)
        );
        assert_eq!(
            c.policy(true).overrides.get(&Code::Skipped),
            Some(&Some(Severity::Error))
        );
    }

    #[test]
    fn mistakes_have_positions() {
        let Err(ConfigError::Invalid(e)) =
            parse("provider: vds\nexclud: [x]\nrules: {GN999: off, GN201: fatal}\n")
        else {
            panic!("accepted")
        };
        assert!(
            e.contains(
                ".guestnet.yaml:2:1: exclud: unknown field `exclud` (did you mean `exclude`?)"
            ),
            "{e}"
        );
        assert!(
            e.contains(".guestnet.yaml:3:16: rules.GN999: GN999 is not a guestnet rule"),
            "{e}"
        );
        assert!(
            e.contains("\"fatal\" is not error, warning, info or off"),
            "{e}"
        );
        assert!(parse("").is_ok());
    }
}
