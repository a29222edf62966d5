//! What a repository asks of the findings: inline `# guestnet:ignore GN142 reason`
//! comments and per-rule severity overrides. A pure pass over one file's diagnostics, so
//! the CLI, the batch engine and the browser apply exactly the same policy.
//!
//! A comment suppresses the named codes
//! - on its own line, when it trails content (`gateway4: 10.0.1.1  # guestnet:ignore GN201 lab`);
//! - for the whole document, when it stands alone before the document's first key;
//! - on the next content line, when it stands alone anywhere else.

use crate::diagnostic::{Code, Diagnostic, Severity};
use std::collections::BTreeMap;

/// Per-rule severity: `None` turns the rule off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulePolicy {
    pub overrides: BTreeMap<Code, Option<Severity>>,
}

impl RulePolicy {
    pub fn is_empty(&self) -> bool {
        self.overrides.is_empty()
    }
}

/// A parsed `guestnet:ignore` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ignore {
    codes: Vec<String>,
    /// Inclusive 1-based line range it applies to.
    lines: (u32, u32),
}

/// Drops suppressed findings and applies the policy's severities.
pub fn postprocess(text: &str, diags: Vec<Diagnostic>, policy: &RulePolicy) -> Vec<Diagnostic> {
    let ignores = if text.contains("guestnet:ignore") {
        ignores(text)
    } else {
        Vec::new()
    };
    diags
        .into_iter()
        .filter(|d| {
            let Some(line) = d.line else { return true };
            !ignores.iter().any(|ig| {
                ig.lines.0 <= line
                    && line <= ig.lines.1
                    && ig.codes.iter().any(|c| c == d.code.as_str())
            })
        })
        .filter_map(|mut d| match policy.overrides.get(&d.code) {
            None => Some(d),
            Some(None) => None,
            Some(Some(sev)) => {
                d.severity = *sev;
                Some(d)
            }
        })
        .collect()
}

fn is_code(tok: &str) -> bool {
    let b = tok.as_bytes();
    b.len() == 5
        && tok.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("GN"))
        && b.iter().skip(2).all(u8::is_ascii_digit)
}

/// The codes of a `guestnet:ignore` comment on this line, and whether the comment stands
/// alone on its line.
fn comment_codes(line: &str) -> Option<(Vec<String>, bool)> {
    let at = line.find("guestnet:ignore")?;
    let before = line.get(..at)?.trim_end();
    let hash = before.strip_suffix('#')?;
    let standalone = hash.trim().is_empty();
    let rest = line.get(at + "guestnet:ignore".len()..)?;
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let mut codes = Vec::new();
    for tok in rest.split_whitespace() {
        let parts: Vec<&str> = tok.split(',').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() || !parts.iter().all(|p| is_code(p)) {
            break;
        }
        codes.extend(parts.iter().map(|p| p.to_ascii_uppercase()));
    }
    Some((codes, standalone))
}

fn ignores(text: &str) -> Vec<Ignore> {
    let lines: Vec<&str> = text.lines().collect();
    let n = u32::try_from(lines.len()).unwrap_or(u32::MAX);
    // Document ranges: a `---` line starts a new one.
    let mut doc_start = 1u32;
    let mut doc_of: Vec<u32> = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if l.starts_with("---") {
            doc_start = no;
        }
        doc_of.push(doc_start);
    }
    let doc_end = |start: u32| -> u32 {
        lines
            .iter()
            .enumerate()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .find(|(_, l)| l.starts_with("---"))
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .unwrap_or(n)
    };
    let is_content = |l: &str| {
        let t = l.trim();
        !(t.is_empty() || t.starts_with('#') || t.starts_with("---") || t.starts_with('%'))
    };
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((codes, standalone)) = comment_codes(l) else {
            continue;
        };
        if codes.is_empty() {
            continue;
        }
        let no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if !standalone {
            out.push(Ignore {
                codes,
                lines: (no, no),
            });
            continue;
        }
        let start = doc_of.get(i).copied().unwrap_or(1);
        let first = usize::try_from(start.saturating_sub(1)).unwrap_or(0);
        let in_header = lines
            .get(first..i)
            .is_some_and(|before| !before.iter().any(|b| is_content(b)));
        if in_header {
            out.push(Ignore {
                codes,
                lines: (start, doc_end(start)),
            });
        } else if let Some(next) = lines
            .iter()
            .enumerate()
            .skip(i + 1)
            .find(|(_, l)| is_content(l))
            .map(|(j, _)| u32::try_from(j + 1).unwrap_or(u32::MAX))
        {
            out.push(Ignore {
                codes,
                lines: (next, next),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(code: Code, line: u32) -> Diagnostic {
        let mut d = Diagnostic::new(code, "p", "m");
        d.line = Some(line);
        d
    }

    #[test]
    fn comments_on_the_line_the_next_line_and_the_document() {
        let text = "\
# guestnet:ignore GN216 networks come from the cluster
apiVersion: vmoperator.vmware.com/v1alpha6
kind: VirtualMachine
spec:
  network:
    interfaces:
    - name: eth0
      gateway4: 10.0.1.1   # guestnet:ignore GN201 lab network, gateway is routed
      # guestnet:ignore GN204,GN210
      nameservers: [1.1.1.1, 1.0.0.1, 8.8.8.8, 8.8.4.4]
---
kind: VirtualMachine
spec: {}
";
        let diags = vec![
            d(Code::UnknownNetwork, 7),
            d(Code::GatewayOutsideSubnet, 8),
            d(Code::Gateway4, 8),
            d(Code::TooManyNameservers, 10),
            d(Code::UnknownNetwork, 13),
        ];
        let got: Vec<(Code, u32)> = postprocess(text, diags, &RulePolicy::default())
            .iter()
            .map(|d| (d.code, d.line.unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![(Code::Gateway4, 8), (Code::UnknownNetwork, 13)],
            "other codes and other documents keep their findings"
        );
    }

    #[test]
    fn lookalikes_do_not_suppress() {
        let text = "a: \"guestnet:ignore GN201\"\nb: 1 # guestnet:ignoreGN201\nc: 1 # guestnet:ignore reason only\n";
        let diags = vec![
            d(Code::GatewayOutsideSubnet, 1),
            d(Code::GatewayOutsideSubnet, 2),
            d(Code::GatewayOutsideSubnet, 3),
        ];
        assert_eq!(postprocess(text, diags, &RulePolicy::default()).len(), 3);
    }

    #[test]
    fn overrides_change_severity_or_drop() {
        let mut p = RulePolicy::default();
        p.overrides
            .insert(Code::NetworkProvider, Some(Severity::Error));
        p.overrides.insert(Code::TooManyNameservers, None);
        let out = postprocess(
            "",
            vec![
                d(Code::NetworkProvider, 1),
                d(Code::TooManyNameservers, 2),
                d(Code::HostName, 3),
            ],
            &p,
        );
        let got: Vec<(Code, Severity)> = out.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(
            got,
            vec![
                (Code::NetworkProvider, Severity::Error),
                (Code::HostName, Severity::Error)
            ]
        );
    }
}
