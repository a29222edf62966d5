//! cloud-init's VMware datasource payload: the guestinfo metadata document (vm-operator's
//! `GetCloudInitMetadata`) and user-data from the inline cloud-config.

use super::yaml_out::{Yaml, map, s, strs, to_string};
use super::{Artifact, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{CloudConfig, SecretKeySelector, VirtualMachine};
use crate::resolve::Resolved;
use serde_json::Value;

/// vm-operator's user-data header for inline cloud-config.
pub const USERDATA_HEADER: &str = "## template: jinja\n#cloud-config\n\n";

pub fn metadata(r: &Resolved, opts: &RenderOptions, diags: &mut Vec<Diagnostic>) -> String {
    let mut m: Vec<(&str, Yaml)> = vec![
        ("local-hostname", s(r.fqdn.clone())),
        ("hostname", s(r.fqdn.clone())),
        ("network", super::netplan::network_config(r, opts, diags)),
    ];
    if let Some(id) = &r.instance_id {
        m.push(("instance-id", s(id.value.clone())));
    }
    if !r.public_keys.is_empty() {
        m.push(("public-keys", s(r.public_keys.join("\n"))));
    }
    if let Some(w) = &r.wait_on_network {
        let mut wm = Vec::new();
        if let Some(v4) = w.ipv4 {
            wm.push(("ipv4", Yaml::Bool(v4)));
        }
        if let Some(v6) = w.ipv6 {
            wm.push(("ipv6", Yaml::Bool(v6)));
        }
        m.push(("wait-on-network", map(wm)));
    }
    to_string(&map(m))
}

/// Inline cloud-config -> user-data. Secret references are left to the submitter and said so.
pub fn user_data(cc: &CloudConfig, diags: &mut Vec<Diagnostic>) -> String {
    user_data_with(cc, &|_, _| None, diags)
}

/// Supplies the value of a Secret reference (the selector and the key vm-operator uses when
/// the selector has none), or `None` to leave it out. The submitter passes one; values go
/// through the YAML emitter like any other string, so they cannot change the document.
pub type SecretLookup<'a> = &'a dyn Fn(&SecretKeySelector, &str) -> Option<String>;

/// [`user_data`] with Secret references filled from `secret` where it has a value.
pub fn user_data_with(
    cc: &CloudConfig,
    secret: SecretLookup<'_>,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let base = "spec.bootstrap.cloudInit.cloudConfig";
    let secret_note = |diags: &mut Vec<Diagnostic>, path: String| {
        diags.push(
            Diagnostic::new(
                Code::Placeholder,
                path,
                "a Secret reference cannot be resolved offline; it is left out of this preview",
            )
            .with_help("guestnet submit (or --secret KEY=FILE) supplies Secret values"),
        );
    };
    let mut top: Vec<(&str, Yaml)> = Vec::new();
    if let Some(tz) = &cc.timezone {
        top.push(("timezone", s(tz.clone())));
    }
    if let Some(p) = cc.ssh_pwauth {
        top.push(("ssh_pwauth", Yaml::Bool(p)));
    }
    if let Some(r) = &cc.runcmd {
        top.push(("runcmd", super::yaml_out::from_json_ordered(r)));
    }
    let mut users: Vec<Yaml> = Vec::new();
    if cc.default_user_enabled == Some(true) {
        users.push(s("default"));
    }
    for (i, u) in cc.users.iter().enumerate() {
        let mut m: Vec<(&str, Yaml)> = vec![("name", s(u.name.clone()))];
        let opt_s = |v: &Option<String>| v.as_ref().map(|x| s(x.clone()));
        for (k, v) in [
            ("expiredate", opt_s(&u.expiredate)),
            ("gecos", opt_s(&u.gecos)),
            ("homedir", opt_s(&u.homedir)),
            ("primary_group", opt_s(&u.primary_group)),
            ("selinux_user", opt_s(&u.selinux_user)),
            ("shell", opt_s(&u.shell)),
            ("snapuser", opt_s(&u.snapuser)),
            ("sudo", opt_s(&u.sudo)),
        ] {
            if let Some(v) = v {
                m.push((k, v));
            }
        }
        for (k, v) in [
            ("create_groups", u.create_groups),
            ("lock_passwd", u.lock_passwd),
            ("no_create_home", u.no_create_home),
            ("no_log_init", u.no_log_init),
            ("no_user_group", u.no_user_group),
            ("ssh_redirect_user", u.ssh_redirect_user),
            ("system", u.system),
        ] {
            if let Some(v) = v {
                m.push((k, Yaml::Bool(v)));
            }
        }
        if !u.groups.is_empty() {
            m.push(("groups", strs(u.groups.iter().cloned())));
        }
        if let Some(days) = u.inactive {
            m.push(("inactive", Yaml::Int(days)));
        }
        if let Some(uid) = u.uid {
            m.push(("uid", Yaml::Int(uid)));
        }
        if !u.ssh_authorized_keys.is_empty() {
            m.push((
                "ssh_authorized_keys",
                strs(u.ssh_authorized_keys.iter().cloned()),
            ));
        }
        if !u.ssh_import_id.is_empty() {
            m.push(("ssh_import_id", strs(u.ssh_import_id.iter().cloned())));
        }
        for (k, sel) in [("passwd", &u.passwd), ("hashed_passwd", &u.hashed_passwd)] {
            let Some(sel) = sel else { continue };
            match secret(sel, k) {
                Some(v) => m.push((k, s(v))),
                None => secret_note(diags, format!("{base}.users[{i}].{k}")),
            }
        }
        users.push(map(m));
    }
    if !users.is_empty() {
        top.push(("users", Yaml::Seq(users)));
    }
    let mut files: Vec<Yaml> = Vec::new();
    for (i, f) in cc.write_files.iter().enumerate() {
        let mut m: Vec<(&str, Yaml)> = vec![("path", s(f.path.clone()))];
        match &f.content {
            Some(Value::String(c)) => m.push(("content", s(c.clone()))),
            Some(v) => match serde_json::from_value::<SecretKeySelector>(v.clone())
                .ok()
                .and_then(|sel| secret(&sel, "content"))
            {
                Some(c) => m.push(("content", s(c))),
                None => secret_note(diags, format!("{base}.write_files[{i}].content")),
            },
            None => {}
        }
        for (k, v) in [
            ("encoding", &f.encoding),
            ("owner", &f.owner),
            ("permissions", &f.permissions),
        ] {
            if let Some(v) = v {
                m.push((k, s(v.clone())));
            }
        }
        for (k, v) in [("append", f.append), ("defer", f.defer)] {
            if let Some(v) = v {
                m.push((k, Yaml::Bool(v)));
            }
        }
        files.push(map(m));
    }
    if !files.is_empty() {
        top.push(("write_files", Yaml::Seq(files)));
    }
    format!("{USERDATA_HEADER}{}", to_string(&map(top)))
}

pub fn render(vm: &VirtualMachine, r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut diagnostics = Vec::new();
    let mut artifacts = vec![Artifact {
        name: "metadata.yaml".into(),
        content: metadata(r, opts, &mut diagnostics),
    }];
    if let Some(ci) = vm.cloud_init() {
        if let Some(cc) = &ci.cloud_config {
            artifacts.push(Artifact {
                name: "userdata.yaml".into(),
                content: user_data(cc, &mut diagnostics),
            });
        } else if ci.raw_cloud_config.is_some() {
            diagnostics.push(Diagnostic::new(
                Code::Placeholder,
                "spec.bootstrap.cloudInit.rawCloudConfig",
                "user-data comes from a Secret and cannot be rendered offline",
            ));
        }
    }
    Rendered {
        artifacts,
        diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CloudConfigUser, WriteFile};
    use crate::source::node::NodeKind;
    use crate::source::{Limits, yaml};

    #[test]
    fn secret_values_are_one_scalar_each_and_missing_ones_are_left_out() {
        let sel = |k: &str| SecretKeySelector {
            name: "creds".into(),
            key: Some(k.into()),
        };
        let cc = CloudConfig {
            users: vec![CloudConfigUser {
                name: "ops".into(),
                passwd: Some(sel("pw")),
                hashed_passwd: Some(sel("missing")),
                ..CloudConfigUser::default()
            }],
            write_files: vec![WriteFile {
                path: "/etc/token".into(),
                content: Some(serde_json::json!({"name": "creds", "key": "token"})),
                ..WriteFile::default()
            }],
            ..CloudConfig::default()
        };
        let hostile = "x\nruncmd: [reboot]\n# \"'";
        let lookup = |s: &SecretKeySelector, default: &str| -> Option<String> {
            assert!(matches!(default, "passwd" | "hashed_passwd" | "content"));
            match s.key.as_deref() {
                Some("pw") | Some("token") => Some(hostile.to_string()),
                _ => None,
            }
        };
        let mut diags = Vec::new();
        let text = user_data_with(&cc, &lookup, &mut diags);
        let docs = yaml::parse_documents(&text, &Limits::default()).unwrap();
        let root = &docs[0].root;
        let NodeKind::Map(top) = &root.kind else {
            panic!("{text}")
        };
        let keys: Vec<&str> = top.iter().filter_map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["users", "write_files"], "{text}");
        let NodeKind::Seq(users) = &root.get("users").unwrap().kind else {
            panic!()
        };
        assert_eq!(users[0].get("passwd").unwrap().as_str(), Some(hostile));
        assert!(users[0].get("hashed_passwd").is_none());
        let NodeKind::Seq(files) = &root.get("write_files").unwrap().kind else {
            panic!()
        };
        assert_eq!(files[0].get("content").unwrap().as_str(), Some(hostile));
        // The one left out is said so, without a value.
        assert_eq!(diags.len(), 1);
        assert!(diags[0].path.ends_with("users[0].hashed_passwd"));
        // Without a lookup nothing is filled (the offline preview).
        let offline = user_data(&cc, &mut Vec::new());
        assert!(!offline.contains("passwd") && !offline.contains("content"));
    }
}
