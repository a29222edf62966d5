//! Names the Kubernetes API server checks before any webhook runs: the VM's own
//! `metadata.name`/`namespace`, and the names of the Secrets it refers to. A manifest that
//! fails these never reaches vm-operator, and a Secret reference that no Secret can have
//! never resolves; guestnet says so at the field, not at apply time. Secret names and keys
//! also end up inside `${secret:NAME/KEY}` placeholders, whose grammar relies on them.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{SecretKeySelector, ValueOrSecret};

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const CONFIG_KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

fn is_label_body(l: &str) -> bool {
    !l.is_empty()
        && l.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !l.starts_with('-')
        && !l.ends_with('-')
}

/// Kubernetes `IsDNS1123Subdomain`.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label_body)
}

/// Kubernetes `IsDNS1123Label`.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_label_body(s)
}

/// Kubernetes `IsConfigMapKey` (Secret data keys).
pub fn is_config_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && s != "."
        && s != ".."
        && !s.starts_with("..")
}

fn subdomain(cx: &mut Ctx<'_>, code: Code, path: String, v: &str) {
    if v.len() > 253 {
        cx.push(Diagnostic::invalid(
            code,
            path,
            v,
            "must be no more than 253 characters",
        ));
    } else if !is_dns1123_subdomain(v) {
        cx.push(Diagnostic::invalid(code, path, v, SUBDOMAIN_MSG));
    }
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let meta = &cx.vm.metadata;
    match (meta.name.as_deref(), meta.generate_name.as_deref()) {
        (Some(n), _) => subdomain(cx, Code::ObjectName, "metadata.name".into(), n),
        (None, Some(_)) => {}
        (None, None) => cx.push(Diagnostic::new(
            Code::ObjectName,
            "metadata.name",
            "Required value: name or generateName is required",
        )),
    }
    if let Some(ns) = meta.namespace.as_deref() {
        if ns.len() > 63 {
            cx.push(Diagnostic::invalid(
                Code::ObjectName,
                "metadata.namespace",
                ns,
                "must be no more than 63 characters",
            ));
        } else if !is_dns1123_label(ns) {
            cx.push(Diagnostic::invalid(
                Code::ObjectName,
                "metadata.namespace",
                ns,
                LABEL_MSG,
            ));
        }
    }
    for (path, sel) in secret_refs(cx) {
        check_selector(cx, &path, &sel);
    }
    // `rawProperties` is a Secret's name itself.
    let raw = cx
        .vm
        .bootstrap()
        .and_then(|b| b.vapp_config.as_ref())
        .and_then(|v| v.raw_properties.clone());
    if let Some(raw) = raw.filter(|r| !r.is_empty()) {
        subdomain(
            cx,
            Code::SecretReference,
            "spec.bootstrap.vAppConfig.rawProperties".into(),
            &raw,
        );
    }
}

fn check_selector(cx: &mut Ctx<'_>, path: &str, sel: &SecretKeySelector) {
    if sel.name.is_empty() {
        cx.push(Diagnostic::new(
            Code::SecretReference,
            format!("{path}.name"),
            "Required value: the Secret's name",
        ));
    } else {
        subdomain(cx, Code::SecretReference, format!("{path}.name"), &sel.name);
    }
    if let Some(k) = sel.key.as_deref()
        && !is_config_key(k)
    {
        cx.push(Diagnostic::invalid(
            Code::SecretReference,
            format!("{path}.key"),
            k,
            if k.len() > 253 {
                "must be no more than 253 characters"
            } else {
                CONFIG_KEY_MSG
            },
        ));
    }
}

/// Every Secret reference in the VM, with its field path.
fn secret_refs(cx: &Ctx<'_>) -> Vec<(String, SecretKeySelector)> {
    let mut out = Vec::new();
    let Some(b) = cx.vm.bootstrap() else {
        return out;
    };
    let mut add = |path: String, sel: &Option<SecretKeySelector>| {
        if let Some(s) = sel {
            out.push((path, s.clone()));
        }
    };
    let from = |v: &Option<ValueOrSecret>| v.as_ref().and_then(|v| v.from.clone());
    let base = "spec.bootstrap";
    if let Some(ci) = &b.cloud_init {
        add(
            format!("{base}.cloudInit.rawCloudConfig"),
            &ci.raw_cloud_config,
        );
        if let Some(cc) = &ci.cloud_config {
            for (i, u) in cc.users.iter().enumerate() {
                let p = format!("{base}.cloudInit.cloudConfig.users[{i}]");
                add(format!("{p}.passwd"), &u.passwd);
                add(format!("{p}.hashed_passwd"), &u.hashed_passwd);
            }
            for (i, f) in cc.write_files.iter().enumerate() {
                // `content` is a string or a `{name, key}` Secret reference.
                if let Some(serde_json::Value::Object(m)) = &f.content {
                    let sel = SecretKeySelector {
                        name: m
                            .get("name")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string(),
                        key: m.get("key").and_then(|v| v.as_str()).map(str::to_string),
                    };
                    add(
                        format!("{base}.cloudInit.cloudConfig.write_files[{i}].content"),
                        &Some(sel),
                    );
                }
            }
        }
    }
    if let Some(lp) = &b.linux_prep {
        add(format!("{base}.linuxPrep.password"), &lp.password);
        add(
            format!("{base}.linuxPrep.scriptText.from"),
            &from(&lp.script_text),
        );
    }
    if let Some(sp) = &b.sysprep {
        add(format!("{base}.sysprep.rawSysprep"), &sp.raw_sysprep);
        if let Some(s) = &sp.sysprep {
            let p = format!("{base}.sysprep.sysprep");
            if let Some(g) = &s.gui_unattended {
                add(format!("{p}.guiUnattended.password"), &g.password);
            }
            if let Some(id) = &s.identification {
                add(
                    format!("{p}.identification.domainAdminPassword"),
                    &id.domain_admin_password,
                );
            }
            if let Some(u) = &s.user_data {
                add(format!("{p}.userData.productID"), &u.product_id);
            }
            add(format!("{p}.scriptText.from"), &from(&s.script_text));
        }
    }
    if let Some(va) = &b.vapp_config {
        for (i, prop) in va.properties.iter().enumerate() {
            add(
                format!("{base}.vAppConfig.properties[{i}].value.from"),
                &from(&prop.value),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_name_rules() {
        for ok in ["a", "web-01", "a.b-c.d", &"a".repeat(253)] {
            assert!(is_dns1123_subdomain(ok), "{ok}");
        }
        for bad in [
            "",
            "Web",
            "-a",
            "a-",
            "a..b",
            "../..",
            "a/b",
            "a_b",
            &"a".repeat(254),
        ] {
            assert!(!is_dns1123_subdomain(bad), "{bad}");
        }
        assert!(is_dns1123_label("default"));
        assert!(!is_dns1123_label("a.b"));
        for ok in ["password", "KEY_NAME", "key.name", ".hidden", "a-b"] {
            assert!(is_config_key(ok), "{ok}");
        }
        for bad in ["", ".", "..", "..a", "a/b", "a}", "a b", "a\nb"] {
            assert!(!is_config_key(bad), "{bad}");
        }
    }
}
