//! What a document is, before anything tries to read it as a VirtualMachine.
//!
//! A GitOps repository holds far more than VMs: Deployments, ConfigMaps, kustomizations,
//! Helm charts, CI workflows, and vm-operator's own other kinds (VirtualMachineService,
//! VirtualMachineClass...). None of those is guestnet's to judge, so they are *skipped* —
//! counted and listed as `GN407` info findings, never errors unless the user asks
//! (`--strict-kinds` raises `GN407`). Only what guestnet owns is read: vm-operator's
//! `VirtualMachine` and guestnet's own `Network` catalog. A document that plainly means to
//! be one of those but cannot be read (an unknown version, a missing apiVersion) is an
//! error, so a broken VM is never silently skipped.

use crate::model::catalog;
use crate::source::{Node, NodeKind, ScalarKind};
use serde::Serialize;

/// The API group of vm-operator's kinds.
pub const VMOP_GROUP: &str = "vmoperator.vmware.com";
/// The API group of guestnet's own kinds.
pub const GUESTNET_GROUP: &str = "guestnet.dev";

/// Why a document was left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum Skip {
    /// A Kubernetes object of a kind guestnet does not read.
    OtherKind {
        #[serde(rename = "apiVersion")]
        api_version: String,
        kind: String,
    },
    /// YAML that is not a Kubernetes object (values.yaml, Chart.yaml, workflows,
    /// kustomization.yaml without apiVersion, JSON 6902 patch lists).
    NotKubernetes,
    /// A Helm (Go) template: not YAML until Helm renders it.
    HelmTemplate,
    /// A patch listed in a kustomization (not a whole object); set by front ends that
    /// see the kustomization, since the patch file alone does not say it is one.
    KustomizePatch { kustomization: String },
}

impl Skip {
    /// The one-line reason shown in `GN407`.
    pub fn describe(&self) -> String {
        match self {
            Skip::OtherKind { api_version, kind } => {
                format!("skipped {api_version}/{kind}: not a kind guestnet reads")
            }
            Skip::NotKubernetes => {
                "skipped: not a Kubernetes object (no apiVersion and kind)".to_string()
            }
            Skip::HelmTemplate => {
                "skipped: a Helm template (Go template actions), not YAML until rendered"
                    .to_string()
            }
            Skip::KustomizePatch { kustomization } => {
                format!("skipped: a kustomize patch listed in {kustomization}, not a whole object")
            }
        }
    }

    /// Short label for summaries.
    pub fn label(&self) -> &'static str {
        match self {
            Skip::OtherKind { .. } => "other kind",
            Skip::NotKubernetes => "not Kubernetes",
            Skip::HelmTemplate => "Helm template",
            Skip::KustomizePatch { .. } => "kustomize patch",
        }
    }
}

/// What [`classify`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// A vm-operator VirtualMachine (any version: the reader decides if it can read it).
    VirtualMachine,
    /// guestnet's Network catalog.
    Network,
    /// guestnet's to read, but it cannot be: the message says why (`GN005`).
    Unsupported(String),
    /// Not guestnet's.
    Skipped(Skip),
    /// An empty document (a trailing `---`, a file of comments): nothing at all.
    Empty,
}

fn str_field<'a>(root: &'a Node, key: &str) -> &'a str {
    root.get(key).and_then(Node::as_str).unwrap_or("")
}

/// Decides what one parsed document is, from its apiVersion and kind.
pub fn classify(root: &Node) -> Class {
    let NodeKind::Map(_) = &root.kind else {
        return match &root.kind {
            NodeKind::Scalar(s, ScalarKind::Plain)
                if s.is_empty() || &**s == "~" || &**s == "null" =>
            {
                Class::Empty
            }
            _ => Class::Skipped(Skip::NotKubernetes),
        };
    };
    let api = str_field(root, "apiVersion");
    let kind = str_field(root, "kind");
    let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
    if group == VMOP_GROUP {
        return if kind == "VirtualMachine" || kind.is_empty() {
            Class::VirtualMachine
        } else {
            Class::Skipped(Skip::OtherKind {
                api_version: api.to_string(),
                kind: kind.to_string(),
            })
        };
    }
    if group == GUESTNET_GROUP {
        return if api == catalog::API_VERSION && kind == catalog::KIND {
            Class::Network
        } else {
            Class::Unsupported(format!(
                "unsupported apiVersion/kind {api}/{kind}: guestnet.dev has {}/{}",
                catalog::API_VERSION,
                catalog::KIND
            ))
        };
    }
    if api.is_empty() {
        // Without an apiVersion, a document that says it is a VirtualMachine, or carries
        // a VM's network or bootstrap spec, is a VM with a mistake, not someone else's file.
        let looks_like_vm = kind == "VirtualMachine"
            || root
                .get("spec")
                .is_some_and(|s| s.get("network").is_some() || s.get("bootstrap").is_some());
        if looks_like_vm {
            return Class::Unsupported("apiVersion is missing".to_string());
        }
        return Class::Skipped(Skip::NotKubernetes);
    }
    if kind.is_empty() {
        // Chart.yaml (`apiVersion: v2`) and other files that borrow the key.
        return Class::Skipped(Skip::NotKubernetes);
    }
    Class::Skipped(Skip::OtherKind {
        api_version: api.to_string(),
        kind: kind.to_string(),
    })
}

/// Helm's own template vocabulary: an action that starts with one of these is Helm's, even
/// inside a quoted string (vm-operator's vApp templates use `.V1alphaN` and `V1alphaN_*`).
const HELM_WORDS: &[&str] = &[
    ".Values",
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    ".Template",
    "$.Values",
    "include ",
    "template ",
    "tpl ",
    "toYaml ",
    "define ",
];

/// Whether `text` is a Go template (a Helm chart's `templates/*.yaml`) rather than YAML:
/// an action `{{` outside a quoted or block scalar, or a Helm-vocabulary action anywhere.
/// vm-operator's vApp property templates live inside quoted or block scalars and use their
/// own vocabulary, so a VirtualMachine with vApp templates is not mistaken for one.
pub fn is_go_template(text: &str) -> bool {
    // Every action starts with `{{`: most manifests have none, and one search over the
    // text is far cheaper than the line-by-line scan (6% of a batch's time before).
    if !text.contains("{{") {
        return false;
    }
    let mut block_indent: Option<usize> = None;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if let Some(bi) = block_indent {
            if trimmed.is_empty() || indent > bi {
                if has_helm_action(line) {
                    return true;
                }
                continue;
            }
            block_indent = None;
        }
        if trimmed.starts_with('#') {
            continue;
        }
        if unquoted_action(line) || has_helm_action(line) {
            return true;
        }
        if opens_block_scalar(trimmed) {
            block_indent = Some(indent);
        }
    }
    false
}

fn has_helm_action(line: &str) -> bool {
    let mut rest = line;
    while let Some(i) = rest.find("{{") {
        let after = rest[i + 2..].trim_start_matches('-').trim_start();
        if HELM_WORDS.iter().any(|w| after.starts_with(w)) {
            return true;
        }
        rest = &rest[i + 2..];
    }
    false
}

/// `{{` outside single or double quotes, before any comment.
fn unquoted_action(line: &str) -> bool {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(0);
        match quote {
            Some(q) => {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'#' if i == 0 || b.get(i - 1).is_some_and(u8::is_ascii_whitespace) => {
                    return false;
                }
                b'{' if b.get(i + 1) == Some(&b'{') => return true,
                _ => {}
            },
        }
        i += 1;
    }
    false
}

/// `key: |`, `key: >-`, `- |+2`: the following more-indented lines are scalar text.
fn opens_block_scalar(trimmed: &str) -> bool {
    let body = trimmed.split(" #").next().unwrap_or(trimmed).trim_end();
    let token_start = body.rfind([' ', '\t']).map(|i| i + 1).unwrap_or(0);
    let (before, token) = body.split_at(token_start);
    let mut chars = token.chars();
    let header = matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '-' | '+') || c.is_ascii_digit());
    let before = before.trim_end();
    header && (before.is_empty() || before.ends_with(':') || before.ends_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::yaml::{Limits, parse_documents};

    fn class(y: &str) -> Class {
        let docs = parse_documents(y, &Limits::default()).unwrap();
        let Some(d) = docs.first() else {
            return Class::Empty;
        };
        classify(&d.root)
    }

    #[test]
    fn kinds() {
        assert_eq!(
            class("apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\n"),
            Class::VirtualMachine
        );
        assert_eq!(
            class("apiVersion: vmoperator.vmware.com/v1alpha5\nkind: VirtualMachineService\n"),
            Class::Skipped(Skip::OtherKind {
                api_version: "vmoperator.vmware.com/v1alpha5".into(),
                kind: "VirtualMachineService".into()
            })
        );
        assert_eq!(
            class("apiVersion: guestnet.dev/v1alpha1\nkind: Network\n"),
            Class::Network
        );
        assert!(matches!(
            class("apiVersion: guestnet.dev/v1alpha1\nkind: Subnet\n"),
            Class::Unsupported(_)
        ));
        assert!(matches!(
            class("apiVersion: v1\nkind: ConfigMap\n"),
            Class::Skipped(Skip::OtherKind { .. })
        ));
        assert!(matches!(
            class("apiVersion: kubevirt.io/v1\nkind: VirtualMachine\n"),
            Class::Skipped(Skip::OtherKind { .. })
        ));
        assert_eq!(
            class("replicaCount: 2\n"),
            Class::Skipped(Skip::NotKubernetes)
        );
        assert_eq!(
            class("apiVersion: v2\nname: chart\n"),
            Class::Skipped(Skip::NotKubernetes)
        );
        assert_eq!(
            class("- op: replace\n  path: /spec\n"),
            Class::Skipped(Skip::NotKubernetes)
        );
        assert_eq!(class("~\n"), Class::Empty);
        assert!(matches!(
            class("kind: VirtualMachine\n"),
            Class::Unsupported(_)
        ));
        assert!(matches!(
            class("metadata: {name: x}\nspec:\n  network: {}\n"),
            Class::Unsupported(_)
        ));
    }

    #[test]
    fn helm_templates_are_recognised() {
        assert!(is_go_template("metadata:\n  name: {{ .Release.Name }}\n"));
        assert!(is_go_template(
            "{{- if .Values.enabled }}\napiVersion: v1\n{{- end }}\n"
        ));
        assert!(is_go_template("  image: \"{{ .Values.image }}\"\n"));
        assert!(is_go_template(
            "  labels:\n    {{- include \"x.labels\" . | nindent 4 }}\n"
        ));
        // vm-operator vApp templates are quoted and use their own vocabulary.
        assert!(!is_go_template(
            "      - {key: ip0, value: {value: \"{{ V1alpha1_FirstIP }}\"}}\n"
        ));
        assert!(!is_go_template(
            "      value: '{{ if V1alpha6_FirstIP }}x{{ end }}'\n"
        ));
        assert!(!is_go_template(
            "    value: |\n      {{ V1alpha6_FirstIP }}\n    next: 1\n"
        ));
        assert!(!is_go_template("a: b # {{ not a template }}\n"));
        assert!(!is_go_template("apiVersion: v1\nkind: ConfigMap\n"));
    }
}
