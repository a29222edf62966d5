//! Bootstrap provider rules (`validateBootstrap`, `validateInlineSysprep`, cloud-config checks).

use super::{Ctx, gates};
use crate::diagnostic::{Code, Diagnostic};
use serde_json::Value;

pub(super) fn check(cx: &mut Ctx<'_>) {
    let Some(b) = cx.vm.bootstrap() else { return };
    let ci = b.cloud_init.is_some();
    let lp = b.linux_prep.is_some();
    let sp = b.sysprep.is_some();
    let va = b.vapp_config.is_some();
    if ci && (lp || sp || va) {
        cx.push(Diagnostic::forbidden(
            Code::BootstrapCombination,
            "spec.bootstrap.cloudInit",
            "CloudInit may not be used with any other bootstrap provider",
        ));
    }
    if lp && (ci || sp) {
        cx.push(Diagnostic::forbidden(
            Code::BootstrapCombination,
            "spec.bootstrap.linuxPrep",
            "LinuxPrep may not be used with either CloudInit or Sysprep bootstrap providers",
        ));
    }
    if sp && (ci || lp) {
        cx.push(Diagnostic::forbidden(
            Code::BootstrapCombination,
            "spec.bootstrap.sysprep",
            "Sysprep may not be used with either CloudInit or LinuxPrep bootstrap providers",
        ));
    }
    if va && ci {
        cx.push(Diagnostic::forbidden(
            Code::BootstrapCombination,
            "spec.bootstrap.vAppConfig",
            "vAppConfig may not be used in conjunction with CloudInit bootstrap provider",
        ));
    }
    if let Some(c) = &b.cloud_init {
        if c.cloud_config.is_some() && c.raw_cloud_config.is_some() {
            cx.push(Diagnostic::invalid(
                Code::CloudInit,
                "spec.bootstrap.cloudInit",
                "cloudInit",
                "cloudConfig and rawCloudConfig are mutually exclusive",
            ));
        }
        if let Some(id) = &c.instance_id
            && (id.is_empty()
                || id
                    .chars()
                    .any(|ch| ch.is_whitespace() || ch.is_control() || ch == '/'))
        {
            cx.push(
                Diagnostic::invalid(
                    Code::CloudInit,
                    "spec.bootstrap.cloudInit.instanceID",
                    id,
                    "instance ID must be a non-empty token without whitespace, control characters or '/'",
                )
                .with_help("cloud-init uses the instance ID as a directory name under /var/lib/cloud/instances"),
            );
        }
        if let Some(cc) = &c.cloud_config {
            check_runcmd(cx, cc.runcmd.as_ref());
            for (i, f) in cc.write_files.iter().enumerate() {
                let p = format!("spec.bootstrap.cloudInit.cloudConfig.write_files[{i}]");
                if f.path.is_empty() {
                    cx.push(Diagnostic::required(
                        Code::CloudInit,
                        format!("{p}.path"),
                        "",
                    ));
                }
                let content_ok = match &f.content {
                    None | Some(Value::String(_)) => true,
                    Some(Value::Object(m)) => m.contains_key("name") && m.len() <= 2,
                    _ => false,
                };
                if !content_ok {
                    cx.push(Diagnostic::invalid(
                        Code::CloudInit,
                        format!(
                            "spec.bootstrap.cloudInit.cloudConfig.write_files[{}]",
                            f.path
                        ),
                        &f.path,
                        "value must be a string, multi-line string, or SecretKeySelector",
                    ));
                }
                if let Some(enc) = &f.encoding {
                    const ENC: &[&str] = &[
                        "b64",
                        "base64",
                        "gz",
                        "gzip",
                        "gz+b64",
                        "gz+base64",
                        "gzip+b64",
                        "gzip+base64",
                        "text/plain",
                    ];
                    if !ENC.contains(&enc.as_str()) {
                        let list: Vec<String> = ENC.iter().map(|e| format!("\"{e}\"")).collect();
                        cx.push(Diagnostic::new(
                            Code::CloudInit,
                            format!("{p}.encoding"),
                            format!(
                                "Unsupported value: \"{enc}\": supported values: {}",
                                list.join(", ")
                            ),
                        ));
                    }
                }
            }
            for (i, u) in cc.users.iter().enumerate() {
                if u.name.is_empty() {
                    cx.push(Diagnostic::required(
                        Code::CloudInit,
                        format!("spec.bootstrap.cloudInit.cloudConfig.users[{i}].name"),
                        "",
                    ));
                }
            }
        }
    }
    if let Some(l) = &b.linux_prep {
        check_linux_prep(cx, l);
    }
    if let Some(s) = &b.sysprep {
        check_sysprep(cx, s);
    }
    if let Some(v) = &b.vapp_config {
        if !v.properties.is_empty() && v.raw_properties.as_deref().is_some_and(|r| !r.is_empty()) {
            cx.push(Diagnostic::invalid(
                Code::VAppConfig,
                "spec.bootstrap.vAppConfig",
                "vAppConfig",
                "properties and rawProperties are mutually exclusive",
            ));
        }
        // The webhook's paths name no list index; the finding is placed at the property.
        for (i, p) in v.properties.iter().enumerate() {
            let at = format!("spec.bootstrap.vAppConfig.properties[{i}]");
            if p.key.is_empty() {
                cx.push(
                    Diagnostic::invalid(
                        Code::VAppConfig,
                        "spec.bootstrap.vAppConfig.properties.key",
                        "key",
                        "key is a required field in vAppConfig Properties",
                    )
                    .located_at(at.clone()),
                );
            }
            if let Some(val) = &p.value
                && val.from.is_some()
                && val.value.is_some()
            {
                cx.push(
                    Diagnostic::invalid(
                        Code::VAppConfig,
                        "spec.bootstrap.vAppConfig.properties.value",
                        "value",
                        "from and value are mutually exclusive",
                    )
                    .located_at(format!("{at}.value")),
                );
            }
        }
    }
}

/// `validateBootstrap`'s LinuxPrep part: the VCD-parity fields exist only with the
/// GuestCustomizationVCDParity gate, and an inline script is either a value or a Secret.
fn check_linux_prep(cx: &mut Ctx<'_>, l: &crate::model::LinuxPrepSpec) {
    let base = "spec.bootstrap.linuxPrep";
    if cx.opts.features.vcd_parity {
        script_text_exclusive(cx, base, l.script_text.as_ref());
    } else {
        for (set, field) in [
            (
                l.expire_password_after_next_login == Some(true),
                "expirePasswordAfterNextLogin",
            ),
            (l.password.is_some(), "password"),
            (l.script_text.is_some(), "scriptText"),
        ] {
            if set {
                cx.push(Diagnostic::forbidden(
                    Code::FeatureGate,
                    format!("{base}.{field}"),
                    gates::VCD_PARITY_NOT_ENABLED,
                ));
            }
        }
    }
}

/// `scriptText` with both `from` and `value`: the webhook reports it at `scriptText.value`.
fn script_text_exclusive(cx: &mut Ctx<'_>, base: &str, st: Option<&crate::model::ValueOrSecret>) {
    if let Some(st) = st
        && st.from.is_some()
        && st.value.is_some()
    {
        let code = if base.starts_with("spec.bootstrap.linuxPrep") {
            Code::LinuxPrep
        } else {
            Code::Sysprep
        };
        cx.push(Diagnostic::invalid(
            code,
            format!("{base}.scriptText.value"),
            "value",
            "from and value are mutually exclusive",
        ));
    }
}

fn check_runcmd(cx: &mut Ctx<'_>, runcmd: Option<&Value>) {
    let Some(r) = runcmd else { return };
    let p = "spec.bootstrap.cloudInit.cloudConfig.runcmds";
    let Value::Array(items) = r else {
        cx.push(Diagnostic::invalid(
            Code::CloudInit,
            p,
            &r.to_string(),
            "value must be a list",
        ));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let ok = match item {
            Value::String(_) => true,
            Value::Array(parts) => parts.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            cx.push(Diagnostic::invalid(
                Code::CloudInit,
                format!("{p}[{i}]"),
                &item.to_string(),
                "value must be a string or list of strings",
            ));
        }
    }
}

fn check_sysprep(cx: &mut Ctx<'_>, s: &crate::model::SysprepSpec) {
    match (&s.sysprep, &s.raw_sysprep) {
        (Some(_), Some(_)) => cx.push(Diagnostic::invalid(
            Code::Sysprep,
            "spec.bootstrap.sysprep",
            "sysPrep",
            "sysprep and rawSysprep are mutually exclusive",
        )),
        (None, None) => cx.push(Diagnostic::invalid(
            Code::Sysprep,
            "spec.bootstrap.sysprep",
            "sysPrep",
            "either sysprep or rawSysprep must be provided",
        )),
        _ => {}
    }
    let Some(sp) = &s.sysprep else { return };
    // `validateInlineSysprep` reports at `spec.bootstrap.sysprep.sysprep` with the section's
    // name as the value; the finding is placed at the section itself.
    let base = "spec.bootstrap.sysprep.sysprep";
    let named = |sel: &Option<crate::model::SecretKeySelector>| {
        sel.as_ref().is_some_and(|s| !s.name.is_empty())
    };
    if let Some(g) = &sp.gui_unattended
        && g.auto_logon == Some(true)
    {
        let at = format!("{base}.guiUnattended");
        if g.auto_logon_count.unwrap_or(0) == 0 {
            cx.push(
                Diagnostic::invalid(
                    Code::Sysprep,
                    base,
                    "guiUnattended",
                    "autoLogon requires autoLogonCount to be specified",
                )
                .located_at(at.clone()),
            );
        }
        if !named(&g.password) {
            cx.push(
                Diagnostic::invalid(
                    Code::Sysprep,
                    base,
                    "guiUnattended",
                    "autoLogon requires password selector to be set",
                )
                .located_at(at),
            );
        }
    }
    if let Some(tz) = sp.gui_unattended.as_ref().and_then(|g| g.time_zone)
        && tz < 0
    {
        cx.push(Diagnostic::invalid_int(
            Code::Sysprep,
            format!("{base}.guiUnattended.timeZone"),
            tz,
            &format!("{base}.guiUnattended.timeZone in body should be greater than or equal to 0"),
        ));
    }
    let domain = cx
        .vm
        .network()
        .and_then(|n| n.domain_name.as_deref())
        .unwrap_or("");
    if let Some(id) = &sp.identification {
        let at = format!("{base}.identification");
        let set = |v: &Option<String>| v.as_deref().is_some_and(|w| !w.is_empty());
        let wg = set(&id.join_workgroup);
        let ident = |detail: &str| {
            Diagnostic::invalid(Code::Sysprep, base, "identification", detail)
                .located_at(at.clone())
        };
        if !domain.is_empty() && wg {
            cx.push(ident(
                "spec.network.domainName and joinWorkgroup are mutually exclusive",
            ));
        }
        if !domain.is_empty() && (!set(&id.domain_admin) || !named(&id.domain_admin_password)) {
            cx.push(ident(
                "spec.network.domainName requires domainAdmin and domainAdminPassword selector to be set",
            ));
        }
        if wg && (set(&id.domain_admin) || id.domain_admin_password.is_some() || set(&id.domain_ou))
        {
            cx.push(ident(
                "joinWorkgroup and domainAdmin/domainAdminPassword/domainOU are mutually exclusive",
            ));
        }
    }
    if cx.opts.features.vcd_parity {
        script_text_exclusive(cx, base, sp.script_text.as_ref());
    } else {
        // Reported at `spec.bootstrap.sysprep.<field>`, one level up, as the webhook does.
        for (set, field) in [
            (
                sp.expire_password_after_next_login == Some(true),
                "expirePasswordAfterNextLogin",
            ),
            (sp.script_text.is_some(), "scriptText"),
        ] {
            if set {
                cx.push(
                    Diagnostic::forbidden(
                        Code::FeatureGate,
                        format!("spec.bootstrap.sysprep.{field}"),
                        gates::VCD_PARITY_NOT_ENABLED,
                    )
                    .located_at(format!("{base}.{field}")),
                );
            }
        }
    }
    match &sp.user_data {
        None => cx.push(
            Diagnostic::required(Code::Sysprep, format!("{base}.userData"), "")
                .with_help("Sysprep needs userData.fullName and userData.orgName"),
        ),
        Some(u) => {
            for (v, f) in [(&u.full_name, "fullName"), (&u.org_name, "orgName")] {
                if v.is_empty() {
                    cx.push(Diagnostic::invalid(
                        Code::Sysprep,
                        format!("{base}.userData.{f}"),
                        "",
                        &format!("{base}.userData.{f} in body should be at least 1 chars long"),
                    ));
                }
            }
        }
    }
    if let Some(l) = &sp.license_file_print_data
        && l.auto_mode != "perSeat"
        && l.auto_mode != "perServer"
    {
        cx.push(Diagnostic::new(
            Code::Sysprep,
            format!("{base}.licenseFilePrintData.autoMode"),
            format!(
                "Unsupported value: \"{}\": supported values: \"perSeat\", \"perServer\"",
                l.auto_mode
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn combinations() {
        let r = run(&format!(
            "{HEAD}spec:\n  bootstrap:\n    cloudInit: {{}}\n    linuxPrep: {{}}\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN130 spec.bootstrap.cloudInit: Forbidden: CloudInit may not be used with any other bootstrap provider",
                "GN130 spec.bootstrap.linuxPrep: Forbidden: LinuxPrep may not be used with either CloudInit or Sysprep bootstrap providers",
            ]
        );
    }

    #[test]
    fn sysprep_rules() {
        let r = run(&format!(
            "{HEAD}spec:\n  network: {{hostName: win01, domainName: corp.local}}\n  bootstrap:\n    sysprep:\n      sysprep:\n        guiUnattended: {{autoLogon: true}}\n        identification: {{joinWorkgroup: wg}}\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN132 spec.bootstrap.sysprep.sysprep: Invalid value: \"guiUnattended\": autoLogon requires autoLogonCount to be specified",
                "GN132 spec.bootstrap.sysprep.sysprep: Invalid value: \"guiUnattended\": autoLogon requires password selector to be set",
                "GN132 spec.bootstrap.sysprep.sysprep: Invalid value: \"identification\": spec.network.domainName and joinWorkgroup are mutually exclusive",
                "GN132 spec.bootstrap.sysprep.sysprep: Invalid value: \"identification\": spec.network.domainName requires domainAdmin and domainAdminPassword selector to be set",
                "GN132 spec.bootstrap.sysprep.sysprep.userData: Required value",
            ]
        );
    }
}
