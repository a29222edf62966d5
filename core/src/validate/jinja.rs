//! cloud-init renders user-data as a Jinja template when it starts with
//! `## template: jinja`, as vm-operator's (and guestnet's) does. Any `{{ }}`, `{% %}` or
//! `{# #}` in a cloudConfig value is then evaluated in the guest: an intended
//! `{{ v1.local_hostname }}` works, but text that merely looks like a template is replaced,
//! and a broken one makes cloud-init drop the whole user-data. Neither shows up until boot.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use serde_json::Value;

pub(super) fn check(cx: &mut Ctx<'_>) {
    let Some(cc) = cx.vm.cloud_init().and_then(|c| c.cloud_config.as_ref()) else {
        return;
    };
    let Ok(tree) = serde_json::to_value(cc) else {
        return;
    };
    let mut found = Vec::new();
    walk(
        &tree,
        "spec.bootstrap.cloudInit.cloudConfig".into(),
        &mut found,
    );
    for (path, text) in found {
        let (msg, help) = if balanced(&text) {
            (
                "cloud-init evaluates this as Jinja (user-data starts with `## template: jinja`): the guest sees the rendered result, not this text",
                "intended templates are fine; to keep the braces literally write {{ '{{' }} or wrap the text in {% raw %}...{% endraw %}",
            )
        } else {
            (
                "cloud-init renders user-data as Jinja and this delimiter is never closed: the template fails and cloud-init ignores the whole user-data",
                "close the expression, or write the braces as {{ '{{' }} / wrap the text in {% raw %}...{% endraw %}",
            )
        };
        cx.push(Diagnostic::invalid(Code::JinjaText, path, &text, msg).with_help(help));
    }
}

fn is_templated(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// Every opener has its closer after it (a rough check: Jinja's lexer is what decides).
fn balanced(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let close = match after.chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                rest = after;
                continue;
            }
        };
        match after[1..].find(close) {
            Some(j) => rest = &after[1 + j + close.len()..],
            None => return false,
        }
    }
    true
}

fn walk(v: &Value, path: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if is_templated(s) => out.push((path, s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                walk(item, format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn template_text_in_cloud_config_is_flagged() {
        let r = run(&format!(
            "{HEAD}spec:\n  bootstrap:\n    cloudInit:\n      cloudConfig:\n        runcmd: [\"echo {{{{ v1.local_hostname }}}}\", [\"sh\", \"-c\", \"echo {{% broken\"], \"plain ${{HOME}}\"]\n        write_files: [{{path: /etc/x, content: \"a {{# c #}} b\"}}]\n"
        ));
        let codes: Vec<&str> = r
            .iter()
            .map(|l| l.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            codes,
            vec![
                "GN234 spec.bootstrap.cloudInit.cloudConfig.runcmd[0]",
                "GN234 spec.bootstrap.cloudInit.cloudConfig.runcmd[1][2]",
                "GN234 spec.bootstrap.cloudInit.cloudConfig.write_files[0].content",
            ],
            "{r:#?}"
        );
        assert!(r[1].contains("never closed"), "{}", r[1]);
        assert!(!r[0].contains("never closed"), "{}", r[0]);
    }

    #[test]
    fn balance() {
        assert!(balanced("{{ a }} and {% b %} {# c #} {x}"));
        assert!(!balanced("{{ a"));
        assert!(!balanced("{% a }}"));
    }
}
