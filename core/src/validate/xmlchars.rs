//! Values that end up in vim25 XML (the gosc target; later vApp/OVF) must consist of
//! characters XML 1.0 can carry at all: no C0 controls other than tab/LF/CR, no U+FFFE/FFFF.
//! Escaping cannot help there (even `&#1;` is not well-formed), so such values are rejected
//! here, before any renderer runs, with the field's position.

use super::Ctx;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{SecretKeySelector, ValueOrSecret};
use crate::vim25::xml::first_illegal_char;

fn check(out: &mut Vec<(String, String, char)>, path: String, v: &str) {
    if let Some(c) = first_illegal_char(v) {
        out.push((path, v.to_string(), c));
    }
}

fn selector(out: &mut Vec<(String, String, char)>, path: &str, s: &Option<SecretKeySelector>) {
    if let Some(s) = s {
        check(out, format!("{path}.name"), &s.name);
        if let Some(k) = &s.key {
            check(out, format!("{path}.key"), k);
        }
    }
}

fn value_or_secret(out: &mut Vec<(String, String, char)>, path: &str, v: &Option<ValueOrSecret>) {
    if let Some(v) = v {
        if let Some(s) = &v.value {
            check(out, format!("{path}.value"), s);
        }
        selector(out, &format!("{path}.from"), &v.from);
    }
}

pub(super) fn check_all(cx: &mut Ctx<'_>) {
    let vm = cx.vm;
    let mut bad = Vec::new();
    let host = vm.network().and_then(|n| n.host_name.as_deref());
    match host {
        Some(h) if !h.is_empty() => check(&mut bad, "spec.network.hostName".into(), h),
        _ => check(&mut bad, "metadata.name".into(), vm.name()),
    }
    if let Some(d) = vm.network().and_then(|n| n.domain_name.as_deref()) {
        check(&mut bad, "spec.network.domainName".into(), d);
    }
    if let Some(b) = vm.bootstrap() {
        if let Some(l) = &b.linux_prep {
            let p = "spec.bootstrap.linuxPrep";
            if let Some(tz) = &l.time_zone {
                check(&mut bad, format!("{p}.timeZone"), tz);
            }
            selector(&mut bad, &format!("{p}.password"), &l.password);
            value_or_secret(&mut bad, &format!("{p}.scriptText"), &l.script_text);
        }
        if let Some(s) = &b.sysprep {
            selector(
                &mut bad,
                "spec.bootstrap.sysprep.rawSysprep",
                &s.raw_sysprep,
            );
            if let Some(sp) = &s.sysprep {
                let p = "spec.bootstrap.sysprep.sysprep";
                if let Some(u) = &sp.user_data {
                    check(&mut bad, format!("{p}.userData.fullName"), &u.full_name);
                    check(&mut bad, format!("{p}.userData.orgName"), &u.org_name);
                    selector(&mut bad, &format!("{p}.userData.productID"), &u.product_id);
                }
                if let Some(g) = &sp.gui_unattended {
                    selector(
                        &mut bad,
                        &format!("{p}.guiUnattended.password"),
                        &g.password,
                    );
                }
                if let Some(r) = &sp.gui_run_once {
                    for (i, c) in r.commands.iter().enumerate() {
                        check(&mut bad, format!("{p}.guiRunOnce.commands[{i}]"), c);
                    }
                }
                if let Some(id) = &sp.identification {
                    let ip = format!("{p}.identification");
                    for (f, v) in [
                        ("domainAdmin", &id.domain_admin),
                        ("domainOU", &id.domain_ou),
                        ("joinWorkgroup", &id.join_workgroup),
                    ] {
                        if let Some(v) = v {
                            check(&mut bad, format!("{ip}.{f}"), v);
                        }
                    }
                    selector(
                        &mut bad,
                        &format!("{ip}.domainAdminPassword"),
                        &id.domain_admin_password,
                    );
                }
                value_or_secret(&mut bad, &format!("{p}.scriptText"), &sp.script_text);
            }
        }
    }
    for (path, value, c) in bad {
        cx.push(
            Diagnostic::invalid(
                Code::UnsafeValue,
                path,
                &value,
                &format!(
                    "contains U+{:04X}, which XML 1.0 cannot carry (vSphere customization specs are XML)",
                    c as u32
                ),
            )
            .with_help("remove control characters other than tab and newline"),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::validate::test_util::{HEAD, run};

    #[test]
    fn control_characters_in_gosc_values_are_rejected() {
        let r = run(&format!(
            "{HEAD}spec:\n  network: {{hostName: win01}}\n  bootstrap:\n    sysprep:\n      sysprep:\n        userData: {{fullName: \"a\\u0001b\", orgName: \"ok & <fine>\"}}\n        guiRunOnce: {{commands: [\"x\\u0002y\", \"tab\\tok\"]}}\n"
        ));
        assert_eq!(
            r,
            vec![
                "GN230 spec.bootstrap.sysprep.sysprep.userData.fullName: Invalid value: \"a\\x01b\": contains U+0001, which XML 1.0 cannot carry (vSphere customization specs are XML)",
                "GN230 spec.bootstrap.sysprep.sysprep.guiRunOnce.commands[0]: Invalid value: \"x\\x02y\": contains U+0002, which XML 1.0 cannot carry (vSphere customization specs are XML)",
            ]
        );
    }
}
