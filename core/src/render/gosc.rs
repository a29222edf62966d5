//! vSphere guest OS customization: a vim25 `CustomizationSpec` as XML (vm-operator's
//! `bootstrap_linuxprep.go`, `bootstrap_sysprep.go`, `network/gosc.go`, and the
//! `cloudinitprep` mode of `bootstrap_cloudinit.go`), bare or inside the SOAP body of
//! `CustomizeVM_Task`, `CustomizeGuest_Task` or `CreateCustomizationSpec`.
//!
//! What a spec cannot carry is reported (design §4.3): one IPv4 address per adapter, no MTU,
//! no routes, no per-interface search domains, and Linux ignores per-adapter DNS. Elements
//! newer than the requested API version are left out with a warning. Secret references are
//! rendered as `${secret:NAME/KEY}` placeholders the submitter replaces; values are never
//! known offline, so never printed.

use super::{Artifact, RenderOptions, Rendered};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::model::{Provider, SecretKeySelector, ValueOrSecret, VirtualMachine};
use crate::resolve::{Interface, Resolved, Source};
use crate::vim25::VimVersion;
use crate::vim25::customization::{
    AdapterMapping, CustomizationSpec, Envelope, GlobalIpSettings, GuiUnattended, Identification,
    Identity, IpGenerator, IpSettings, Ipv6Generator, Ipv6Spec, LicenseFilePrintData, LinuxPrep,
    Name, Password, Sysprep, UserData, to_xml,
};
use crate::vim25::placeholder::Placeholder;
use serde::Serialize;

/// The artifact's file name.
pub const FILE_NAME: &str = "gosc.xml";

/// `CloudinitPrep.metadata` / `userdata` limit (vim25 doc comment).
pub const CLOUDINIT_MAX_BYTES: usize = 524_288;

/// vm-operator annotation that selects CloudinitPrep instead of guestinfo for CloudInit VMs.
pub const CLOUDINIT_TYPE_ANNOTATION: &str = "vmoperator.vmware.com/cloudinit-type";

/// Managed object placeholders in SOAP envelopes; the submitter substitutes real ids
/// ([`crate::vim25::placeholder`]).
pub const VM_MOREF_PLACEHOLDER: &str = "${vm-moref}";
pub const GUEST_USER_PLACEHOLDER: &str = "${guest-username}";
pub const GUEST_PASSWORD_PLACEHOLDER: &str = "${guest-password}";

/// What wraps the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeKind {
    /// A bare `<CustomizationSpec>` document.
    #[default]
    None,
    CustomizeVm,
    CustomizeGuest,
    CreateSpec,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct GoscOptions {
    pub envelope: EnvelopeKind,
    /// Target vCenter API version; newer elements are dropped with a warning.
    pub api_version: VimVersion,
}

/// `${secret:NAME/KEY}` (or `${secret:NAME}` when the selector has no key), as shown to
/// people; documents carry [`Placeholder::marked`] values, which only the writer turns into
/// this text.
pub fn secret_placeholder(s: &SecretKeySelector) -> String {
    Placeholder::Secret(s.clone()).to_string()
}

/// The selector a placeholder stands for (in text an XML reader decoded).
pub fn parse_secret_placeholder(v: &str) -> Option<SecretKeySelector> {
    let body = v.strip_prefix("${")?.strip_suffix('}')?;
    match Placeholder::parse(body)? {
        Placeholder::Secret(s) => Some(s),
        _ => None,
    }
}

struct Ctx<'a> {
    version: VimVersion,
    diags: Vec<Diagnostic>,
    r: &'a Resolved,
}

impl Ctx<'_> {
    /// Whether an element introduced in `since` may be emitted; warns when not.
    fn allows(&mut self, since: VimVersion, element: &str, path: &str) -> bool {
        if self.version >= since {
            return true;
        }
        self.diags.push(
            Diagnostic::new(
                Code::ApiVersionDropped,
                path,
                format!(
                    "`{element}` needs vSphere API {since}; the gosc target for API {} leaves it out",
                    self.version
                ),
            )
            .with_help("raise --api-version if the vCenter is newer"),
        );
        false
    }

    fn lossy(&mut self, path: String, msg: String) {
        self.diags
            .push(Diagnostic::new(Code::LossyTranslation, path, msg));
    }

    fn secret(&mut self, sel: &SecretKeySelector, path: &str) -> String {
        let placeholder = Placeholder::Secret(sel.clone());
        let p = placeholder.to_string();
        self.diags.push(
            Diagnostic::new(
                Code::LossyTranslation,
                path,
                format!("a Secret value cannot be read offline; the gosc target writes the placeholder {p}"),
            )
            .with_severity(Severity::Info)
            .with_help("guestnet submit (or --secret KEY=FILE) replaces placeholders with the Secret's value"),
        );
        placeholder.marked()
    }

    fn value_or_secret(&mut self, v: &ValueOrSecret, path: &str) -> Option<String> {
        match (&v.value, &v.from) {
            (Some(s), _) => Some(s.clone()),
            (None, Some(sel)) => Some(self.secret(sel, path)),
            (None, None) => None,
        }
    }

    fn int32(&mut self, v: i64, path: &str) -> i32 {
        match i32::try_from(v) {
            Ok(x) => x,
            Err(_) => {
                self.diags.push(Diagnostic::new(
                    Code::GoscLimit,
                    path,
                    format!("{v} does not fit the xsd:int the vim25 field is"),
                ));
                0
            }
        }
    }
}

fn path_of(source: &Source, fallback: String) -> String {
    match source {
        Source::Interface(p) | Source::Global(p) | Source::Spec(p) => p.clone(),
        _ => fallback,
    }
}

fn adapter(cx: &mut Ctx<'_>, f: &Interface, linux: bool) -> IpSettings {
    let p = format!("spec.network.interfaces[{}]", f.index);
    let mut a = IpSettings::default();
    let mut v4 = f.addresses.iter().filter(|c| c.value.is_ipv4());
    if f.dhcp4.value {
        a.ip = IpGenerator::Dhcp;
    } else if let Some(first) = v4.next() {
        a.ip = IpGenerator::Fixed(first.value.addr.to_string());
        a.subnet_mask = first.value.dotted_mask().map(|m| m.to_string());
        if let Some(g) = &f.gateway4 {
            a.gateway = vec![g.value.to_string()];
        }
        for extra in v4 {
            cx.lossy(
                path_of(&extra.source, format!("{p}.addresses")),
                format!(
                    "a CustomizationSpec carries one IPv4 address per adapter; the gosc target drops {} (interface {} keeps {})",
                    extra.value, f.name, first.value
                ),
            );
        }
    } else if cx.version >= VimVersion::V9_1 {
        a.ip = IpGenerator::DisableIpV4;
    } else {
        a.ip = IpGenerator::Dhcp;
        cx.diags.push(
            Diagnostic::new(
                Code::ApiVersionDropped,
                p.clone(),
                format!(
                    "interface {} has no IPv4 address; `CustomizationDisableIpV4` needs vSphere API 9.1.0.0, so the gosc target for API {} asks for DHCPv4 instead",
                    f.name, cx.version
                ),
            )
            .with_help("raise --api-version if the vCenter is 9.1 or newer"),
        );
    }
    let v6: Vec<_> = f.addresses.iter().filter(|c| !c.value.is_ipv4()).collect();
    let mut spec6 = None;
    if f.dhcp6.value {
        spec6 = Some(Ipv6Spec {
            ip: vec![Ipv6Generator::Dhcp],
            gateway: Vec::new(),
        });
    } else if !v6.is_empty() {
        spec6 = Some(Ipv6Spec {
            ip: v6
                .iter()
                .map(|c| Ipv6Generator::Fixed {
                    address: c.value.addr.to_string(),
                    prefix: i32::from(c.value.prefix),
                })
                .collect(),
            gateway: f.gateway6.iter().map(|g| g.value.to_string()).collect(),
        });
    }
    if spec6.is_some() && cx.allows(VimVersion::V4_0, "ipV6Spec", &p) {
        a.ip_v6_spec = spec6;
    }
    a.dns_server_list = f.nameservers.value.clone();
    if linux && !a.dns_server_list.is_empty() {
        cx.lossy(
            path_of(&f.nameservers.source, format!("{p}.nameservers")),
            format!(
                "Linux guest customization ignores per-adapter DNS servers; the gosc target writes them to nicSettingMap[{}] but the guest uses only globalIPSettings",
                f.index
            ),
        );
    }
    if !f.search_domains.value.is_empty() {
        cx.lossy(
            path_of(&f.search_domains.source, format!("{p}.searchDomains")),
            format!(
                "a CustomizationSpec has no per-adapter search domains; the gosc target drops {}",
                f.search_domains.value.join(", ")
            ),
        );
    }
    if let Some(m) = &f.mtu {
        let from = match &m.source {
            Source::Network(n) => format!(" (from network catalog {n})"),
            _ => String::new(),
        };
        cx.lossy(
            path_of(&m.source, format!("{p}.mtu")),
            format!(
                "a CustomizationSpec has no MTU; the gosc target drops mtu {}{from}",
                m.value
            ),
        );
    }
    for (j, rt) in f.routes.iter().enumerate() {
        cx.lossy(
            format!("{p}.routes[{j}]"),
            format!(
                "a CustomizationSpec has no routes; the gosc target drops {} via {}",
                rt.to, rt.via
            ),
        );
    }
    if let Source::Interface(dp) = &f.device_name.source
        && dp.ends_with(".guestDeviceName")
    {
        cx.lossy(
            dp.clone(),
            format!(
                "a CustomizationSpec cannot name the guest device; the gosc target drops guestDeviceName {}",
                f.device_name.value
            ),
        );
    }
    a
}

fn nic_setting_map(cx: &mut Ctx<'_>, linux: bool) -> Vec<AdapterMapping> {
    let r = cx.r;
    let all_macs = r.interfaces.iter().all(|f| f.mac.is_some());
    if !r.interfaces.is_empty() && !all_macs {
        let with: Vec<&str> = r
            .interfaces
            .iter()
            .filter(|f| f.mac.is_some())
            .map(|f| f.name.as_str())
            .collect();
        let without: Vec<&str> = r
            .interfaces
            .iter()
            .filter(|f| f.mac.is_none())
            .map(|f| f.name.as_str())
            .collect();
        let d = if with.is_empty() {
            Diagnostic::new(
                Code::LossyTranslation,
                "spec.network.interfaces",
                "no MAC address is known: the gosc target omits macAddress and vSphere applies the adapter settings in PCI slot order",
            )
            .with_severity(Severity::Info)
            .with_help("set macAddr on every interface (or let the submitter read the VM's MACs) to bind settings to NICs")
        } else {
            Diagnostic::new(
                Code::LossyTranslation,
                "spec.network.interfaces",
                format!(
                    "interface(s) {} have no MAC address: the gosc target omits macAddress for every adapter, including {}, so vSphere applies the settings in PCI slot order",
                    without.join(", "),
                    with.join(", ")
                ),
            )
            .with_help("set macAddr on every interface or on none")
        };
        cx.diags.push(d);
    }
    for v in &r.vlans {
        cx.lossy(
            "spec.network.vlans".into(),
            format!(
                "a CustomizationSpec has no VLAN devices; the gosc target drops vlan {} (id {} on {})",
                v.name, v.id, v.link
            ),
        );
    }
    r.interfaces
        .iter()
        .map(|f| AdapterMapping {
            mac_address: if all_macs {
                f.mac.as_ref().map(|m| m.value.clone())
            } else {
                None
            },
            adapter: adapter(cx, f, linux),
        })
        .collect()
}

fn global(r: &Resolved) -> GlobalIpSettings {
    GlobalIpSettings {
        dns_suffix_list: r.search_domains.value.clone(),
        dns_server_list: r.nameservers.value.clone(),
    }
}

fn linux_prep(cx: &mut Ctx<'_>, vm: &VirtualMachine) -> LinuxPrep {
    let base = "spec.bootstrap.linuxPrep";
    let r = cx.r;
    let mut l = LinuxPrep {
        host_name: Name::Fixed(r.host_name.value.clone()),
        domain: r
            .domain_name
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default(),
        ..LinuxPrep::default()
    };
    let Some(lp) = vm.bootstrap().and_then(|b| b.linux_prep.as_ref()) else {
        // vm-operator's implicit LinuxPrep for Linux guests without a bootstrap section.
        if r.provider == Provider::None
            && cx.allows(VimVersion::V4_0, "hwClockUTC", "spec.bootstrap")
        {
            l.hw_clock_utc = Some(true);
        }
        return l;
    };
    if let Some(tz) = lp.time_zone.as_ref().filter(|t| !t.is_empty())
        && cx.allows(VimVersion::V4_0, "timeZone", &format!("{base}.timeZone"))
    {
        l.time_zone = Some(tz.clone());
    }
    if let Some(b) = lp.hardware_clock_is_utc
        && cx.allows(
            VimVersion::V4_0,
            "hwClockUTC",
            &format!("{base}.hardwareClockIsUTC"),
        )
    {
        l.hw_clock_utc = Some(b);
    }
    if let Some(st) = &lp.script_text {
        let p = format!("{base}.scriptText");
        if cx.allows(VimVersion::V7_0, "scriptText", &p) {
            l.script_text = cx.value_or_secret(st, &p);
        }
    }
    if lp.expire_password_after_next_login == Some(true)
        && cx.allows(
            VimVersion::V9_1,
            "resetPassword",
            &format!("{base}.expirePasswordAfterNextLogin"),
        )
    {
        l.reset_password = Some(true);
    }
    if let Some(pw) = &lp.password {
        let p = format!("{base}.password");
        if cx.allows(VimVersion::V9_1, "password", &p) {
            l.password = Some(Password {
                value: cx.secret(pw, &p),
                plain_text: true,
            });
        }
    }
    l
}

fn sysprep(cx: &mut Ctx<'_>, sp: &crate::model::Sysprep) -> Sysprep {
    let base = "spec.bootstrap.sysprep.sysprep";
    let r = cx.r;
    let mut out = Sysprep::default();
    let gu = sp.gui_unattended.clone().unwrap_or_default();
    out.gui_unattended = GuiUnattended {
        password: gu.password.as_ref().map(|pw| Password {
            value: cx.secret(pw, &format!("{base}.guiUnattended.password")),
            plain_text: true,
        }),
        time_zone: cx.int32(
            gu.time_zone.unwrap_or(85),
            &format!("{base}.guiUnattended.timeZone"),
        ),
        auto_logon: gu.auto_logon.unwrap_or(false),
        auto_logon_count: cx.int32(
            gu.auto_logon_count.unwrap_or(0),
            &format!("{base}.guiUnattended.autoLogonCount"),
        ),
    };
    let ud = sp.user_data.clone().unwrap_or_default();
    out.user_data = UserData {
        full_name: ud.full_name,
        org_name: ud.org_name,
        computer_name: Name::Fixed(r.host_name.value.clone()),
        product_id: ud
            .product_id
            .as_ref()
            .map(|s| cx.secret(s, &format!("{base}.userData.productID")))
            .unwrap_or_default(),
    };
    out.gui_run_once = sp
        .gui_run_once
        .as_ref()
        .map(|g| g.commands.clone())
        .unwrap_or_default();
    if let Some(id) = &sp.identification {
        let p = format!("{base}.identification");
        let non_empty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
        out.identification = Identification {
            join_workgroup: non_empty(&id.join_workgroup),
            join_domain: r.domain_name.as_ref().map(|d| d.value.clone()),
            domain_admin: non_empty(&id.domain_admin),
            domain_admin_password: id.domain_admin_password.as_ref().map(|s| Password {
                value: cx.secret(s, &format!("{p}.domainAdminPassword")),
                plain_text: true,
            }),
            domain_ou: None,
        };
        if let Some(ou) = non_empty(&id.domain_ou)
            && cx.allows(VimVersion::V8_0_2, "domainOU", &format!("{p}.domainOU"))
        {
            out.identification.domain_ou = Some(ou);
        }
    }
    if sp.identification.is_none()
        && let Some(d) = &r.domain_name
    {
        cx.lossy(
            "spec.network.domainName".into(),
            format!(
                "Sysprep joins a domain only through identification; without spec.bootstrap.sysprep.sysprep.identification the gosc target does not carry domain {}",
                d.value
            ),
        );
    }
    if let Some(l) = &sp.license_file_print_data {
        out.license_file_print_data = Some(LicenseFilePrintData {
            auto_mode: l.auto_mode.clone(),
            auto_users: l
                .auto_users
                .map(|n| cx.int32(n, &format!("{base}.licenseFilePrintData.autoUsers"))),
        });
    }
    if let Some(st) = &sp.script_text {
        let p = format!("{base}.scriptText");
        if cx.allows(VimVersion::V9_1, "scriptText", &p) {
            out.script_text = cx.value_or_secret(st, &p);
        }
    }
    if sp.expire_password_after_next_login == Some(true)
        && cx.allows(
            VimVersion::V9_1,
            "resetPassword",
            &format!("{base}.expirePasswordAfterNextLogin"),
        )
    {
        out.reset_password = Some(true);
    }
    out
}

fn cloudinit_prep(cx: &mut Ctx<'_>, vm: &VirtualMachine, opts: &RenderOptions) -> Option<Identity> {
    let base = "spec.bootstrap.cloudInit";
    if cx.version < VimVersion::V7_0_3 {
        cx.diags.push(
            Diagnostic::new(
                Code::ApiVersionDropped,
                base,
                format!(
                    "`CustomizationCloudinitPrep` needs vSphere API {}; the gosc target cannot render a spec for API {}",
                    VimVersion::V7_0_3,
                    cx.version
                ),
            )
            .with_severity(Severity::Error)
            .with_help(
                "vCenter before 7.0.3 takes cloud-init data as guestinfo (the cloud-init target)",
            ),
        );
        return None;
    }
    let metadata = super::cloudinit::metadata(cx.r, opts, &mut cx.diags);
    let ci = vm.cloud_init();
    let userdata = match ci {
        Some(c) => match (&c.cloud_config, &c.raw_cloud_config) {
            (Some(cc), _) => Some(super::cloudinit::user_data(cc, &mut cx.diags)),
            (None, Some(sel)) => Some(cx.secret(sel, &format!("{base}.rawCloudConfig"))),
            (None, None) => None,
        },
        None => None,
    };
    let mut ok = true;
    for (what, v) in [
        ("metadata", Some(&metadata)),
        ("userdata", userdata.as_ref()),
    ] {
        if let Some(v) = v
            && v.len() > CLOUDINIT_MAX_BYTES
        {
            cx.diags.push(Diagnostic::new(
                Code::GoscLimit,
                base,
                format!(
                    "CloudinitPrep {what} is {} bytes; vSphere accepts at most {CLOUDINIT_MAX_BYTES}",
                    v.len()
                ),
            ));
            ok = false;
        }
    }
    ok.then_some(Identity::CloudinitPrep { metadata, userdata })
}

/// Whether vm-operator would send this VM a CustomizationSpec at all.
pub fn used_by(vm: &VirtualMachine, p: Provider) -> bool {
    match p {
        Provider::LinuxPrep | Provider::Sysprep => true,
        Provider::None => !vm.is_windows(),
        Provider::CloudInit => {
            vm.metadata
                .annotations
                .get(CLOUDINIT_TYPE_ANNOTATION)
                .map(String::as_str)
                == Some("cloudinitprep")
        }
        Provider::VAppConfig => false,
    }
}

/// The CustomizationSpec for a resolved VM, or `None` with the reason in the diagnostics.
pub fn spec(
    vm: &VirtualMachine,
    r: &Resolved,
    opts: &RenderOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<CustomizationSpec> {
    let mut cx = Ctx {
        version: opts.gosc.api_version,
        diags: Vec::new(),
        r,
    };
    let sp_spec = vm.bootstrap().and_then(|b| b.sysprep.as_ref());
    let spec = match (r.provider, sp_spec) {
        (Provider::CloudInit, _) => {
            cloudinit_prep(&mut cx, vm, opts).map(|identity| CustomizationSpec {
                identity,
                ..CustomizationSpec::default()
            })
        }
        (Provider::Sysprep, Some(s)) => {
            let identity = match (&s.sysprep, &s.raw_sysprep) {
                (Some(inline), _) => Some(Identity::Sysprep(Box::new(sysprep(&mut cx, inline)))),
                (None, Some(raw)) => {
                    let v = cx.secret(raw, "spec.bootstrap.sysprep.rawSysprep");
                    Some(Identity::SysprepText(v))
                }
                (None, None) => None,
            };
            identity.map(|identity| CustomizationSpec {
                identity,
                global_ip_settings: global(r),
                nic_setting_map: nic_setting_map(&mut cx, false),
                ..CustomizationSpec::default()
            })
        }
        _ if r.windows && r.provider != Provider::LinuxPrep => {
            cx.diags.push(
                Diagnostic::new(
                    Code::TargetUnused,
                    "spec.bootstrap",
                    "a Windows VM without spec.bootstrap.sysprep gets no CustomizationSpec from vm-operator, and a Sysprep identity needs userData; the gosc target renders nothing",
                )
                .with_help("add spec.bootstrap.sysprep to customize a Windows guest"),
            );
            None
        }
        _ => {
            let identity = Identity::LinuxPrep(linux_prep(&mut cx, vm));
            Some(CustomizationSpec {
                identity,
                global_ip_settings: global(r),
                nic_setting_map: nic_setting_map(&mut cx, true),
                ..CustomizationSpec::default()
            })
        }
    };
    let failed = cx.diags.iter().any(|d| d.severity == Severity::Error);
    diags.append(&mut cx.diags);
    spec.filter(|_| !failed)
}

fn envelope(
    spec_owner: &Resolved,
    s: &CustomizationSpec,
    opts: &RenderOptions,
    diags: &mut Vec<Diagnostic>,
) -> Option<Envelope> {
    Some(match opts.gosc.envelope {
        EnvelopeKind::None => Envelope::Bare,
        EnvelopeKind::CustomizeVm => Envelope::CustomizeVm {
            vm: Placeholder::VmMoref.marked(),
        },
        EnvelopeKind::CustomizeGuest => {
            if opts.gosc.api_version < VimVersion::V6_8_7 {
                diags.push(
                    Diagnostic::new(
                        Code::ApiVersionDropped,
                        "spec.bootstrap",
                        format!(
                            "CustomizeGuest_Task needs vSphere API {}; API {} has no such method",
                            VimVersion::V6_8_7,
                            opts.gosc.api_version
                        ),
                    )
                    .with_severity(Severity::Error)
                    .with_help("use --gosc-envelope customize-vm on a powered-off VM"),
                );
                return None;
            }
            diags.push(
                Diagnostic::new(
                    Code::LossyTranslation,
                    "spec.bootstrap",
                    format!(
                        "CustomizeGuest_Task authenticates in the guest; the gosc target writes the placeholders {GUEST_USER_PLACEHOLDER} and {GUEST_PASSWORD_PLACEHOLDER}"
                    ),
                )
                .with_severity(Severity::Info),
            );
            Envelope::CustomizeGuest {
                vm: Placeholder::VmMoref.marked(),
                username: Placeholder::GuestUsername.marked(),
                password: Placeholder::GuestPassword.marked(),
            }
        }
        EnvelopeKind::CreateSpec => {
            let windows = matches!(s.identity, Identity::Sysprep(_) | Identity::SysprepText(_));
            let r = spec_owner;
            let ns = r.namespace.as_deref().unwrap_or("default");
            Envelope::CreateSpec {
                name: r.name.clone(),
                description: format!("guestnet: VirtualMachine {ns}/{}", r.name),
                kind: if windows { "Windows" } else { "Linux" }.into(),
            }
        }
    })
}

pub fn render(vm: &VirtualMachine, r: &Resolved, opts: &RenderOptions) -> Rendered {
    let mut diagnostics = Vec::new();
    let Some(s) = spec(vm, r, opts, &mut diagnostics) else {
        return Rendered {
            artifacts: Vec::new(),
            diagnostics,
        };
    };
    let Some(env) = envelope(r, &s, opts, &mut diagnostics) else {
        return Rendered {
            artifacts: Vec::new(),
            diagnostics,
        };
    };
    match to_xml(&s, &env) {
        Ok(content) => Rendered {
            artifacts: vec![Artifact {
                name: FILE_NAME.into(),
                content,
            }],
            diagnostics,
        },
        Err(e) => {
            diagnostics.push(Diagnostic::new(
                Code::UnsafeValue,
                "spec",
                format!(
                    "the value for `{}` contains U+{:04X}, which XML 1.0 cannot carry; the gosc target renders nothing",
                    e.element, e.ch as u32
                ),
            ));
            Rendered {
                artifacts: Vec::new(),
                diagnostics,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ApiVersion;
    use crate::resolve::resolve;
    use crate::validate::test_util::{HEAD, vm};

    /// Renders without validation, so that inputs vm-operator would reject (and that other
    /// front ends may still produce) exercise the renderer's own reporting.
    fn render_raw(y: &str, version: VimVersion) -> Rendered {
        let v = vm(y);
        let r = resolve(&v, ApiVersion::V1alpha6, &[]);
        let mut opts = RenderOptions::default();
        opts.gosc.api_version = version;
        render(&v, &r, &opts)
    }

    fn codes(out: &Rendered) -> Vec<String> {
        out.diagnostics
            .iter()
            .map(|d| format!("{} {} {}", d.code, d.severity, d.path))
            .collect()
    }

    #[test]
    fn every_lossy_value_is_named() {
        let out = render_raw(
            &format!(
                "{HEAD}spec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces:\n    - name: eth0\n      macAddr: \"00:50:56:00:00:01\"\n      guestDeviceName: ens192\n      addresses: [10.0.0.5/24, 10.0.0.6/24]\n      mtu: 1400\n      nameservers: [10.0.0.53]\n      searchDomains: [example.com]\n      routes: [{{to: 10.1.0.0/16, via: 10.0.0.254}}]\n    vlans: [{{name: v7, id: 7, link: eth0}}]\n"
            ),
            VimVersion::NEWEST,
        );
        assert_eq!(out.artifacts.len(), 1);
        assert_eq!(
            codes(&out),
            vec![
                "GN301 warning spec.network.vlans",
                "GN301 warning spec.network.interfaces[0].addresses[1]",
                "GN301 warning spec.network.interfaces[0].nameservers",
                "GN301 warning spec.network.interfaces[0].searchDomains",
                "GN301 warning spec.network.interfaces[0].mtu",
                "GN301 warning spec.network.interfaces[0].routes[0]",
                "GN301 warning spec.network.interfaces[0].guestDeviceName",
            ]
        );
        assert!(
            out.diagnostics
                .iter()
                .all(|d| d.message.contains("gosc target"))
        );
        // The dropped values really are absent, the kept ones present.
        let x = &out.artifacts[0].content;
        assert!(x.contains("<ipAddress>10.0.0.5</ipAddress>") && !x.contains("10.0.0.6"));
        assert!(x.contains("<dnsServerList>10.0.0.53</dnsServerList>"));
    }

    #[test]
    fn api_version_drops_newer_elements() {
        let y = format!(
            "{HEAD}spec:\n  bootstrap:\n    linuxPrep:\n      timeZone: Etc/UTC\n      scriptText: {{value: 'echo hi'}}\n  network:\n    interfaces: [{{name: eth0, dhcp4: true}}]\n"
        );
        let old = render_raw(&y, VimVersion([6, 7, 0, 0]));
        assert!(!old.artifacts[0].content.contains("scriptText"));
        assert!(
            old.artifacts[0]
                .content
                .contains("<timeZone>Etc/UTC</timeZone>")
        );
        assert_eq!(
            codes(&old)
                .into_iter()
                .filter(|c| c.starts_with("GN310"))
                .collect::<Vec<_>>(),
            vec!["GN310 warning spec.bootstrap.linuxPrep.scriptText"]
        );
        let new = render_raw(&y, VimVersion::V7_0);
        assert!(
            new.artifacts[0]
                .content
                .contains("<scriptText>echo hi</scriptText>")
        );
    }

    #[test]
    fn refusals_render_nothing() {
        // CustomizeGuest_Task does not exist before 6.8.7.
        let v = vm(&format!(
            "{HEAD}spec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    interfaces: [{{name: eth0, dhcp4: true}}]\n"
        ));
        let r = resolve(&v, ApiVersion::V1alpha6, &[]);
        let mut opts = RenderOptions::default();
        opts.gosc.api_version = VimVersion([6, 5, 0, 0]);
        opts.gosc.envelope = EnvelopeKind::CustomizeGuest;
        let out = render(&v, &r, &opts);
        assert!(out.artifacts.is_empty());
        assert!(codes(&out).contains(&"GN310 error spec.bootstrap".to_string()));

        // CloudinitPrep user-data over 512 KiB.
        let big = "x".repeat(CLOUDINIT_MAX_BYTES);
        let out = render_raw(
            &format!(
                "{HEAD}spec:\n  bootstrap:\n    cloudInit:\n      cloudConfig:\n        write_files: [{{path: /a, content: {big}}}]\n"
            ),
            VimVersion::NEWEST,
        );
        assert!(out.artifacts.is_empty());
        assert!(codes(&out).contains(&"GN311 error spec.bootstrap.cloudInit".to_string()));

        // An int the vim25 xsd:int cannot hold.
        let out = render_raw(
            &format!(
                "{HEAD}spec:\n  bootstrap:\n    sysprep:\n      sysprep:\n        userData: {{fullName: a, orgName: b}}\n        guiUnattended: {{autoLogonCount: 4294967296}}\n  network: {{hostName: w1}}\n"
            ),
            VimVersion::NEWEST,
        );
        assert!(out.artifacts.is_empty());
        assert!(codes(&out).iter().any(|c| c.starts_with("GN311 error")));

        // A Windows guest without Sysprep: vm-operator sends nothing, neither do we.
        let out = render_raw(
            &format!(
                "{HEAD}spec:\n  guestID: windows2019srv_64Guest\n  network: {{hostName: w1}}\n"
            ),
            VimVersion::NEWEST,
        );
        assert!(out.artifacts.is_empty());
        assert!(out.diagnostics.iter().all(|d| d.severity == Severity::Info));
    }

    #[test]
    fn hostile_host_name_is_escaped_and_round_trips() {
        // vm-operator's host name rule lets `<` and `>` through (symbols); `&` and `]]>` are
        // rejected by validation (GN120), so render an unvalidated VM to prove the escaping.
        let host = "a<b>&c]]>d\"'";
        let y = format!(
            "{HEAD}spec:\n  bootstrap: {{linuxPrep: {{}}}}\n  network:\n    hostName: {}\n    interfaces: [{{name: eth0, dhcp4: true}}]\n",
            crate::render::yaml_out::quote(host)
        );
        for env in [EnvelopeKind::None, EnvelopeKind::CustomizeVm] {
            let v = vm(&y);
            let r = resolve(&v, ApiVersion::V1alpha6, &[]);
            let mut opts = RenderOptions::default();
            opts.gosc.envelope = env;
            let x = render(&v, &r, &opts).artifacts[0].content.clone();
            assert!(x.contains("<name>a&lt;b&gt;&amp;c]]&gt;d\"'</name>"), "{x}");
            let back = crate::parse::gosc::parse(&x, "my-vm");
            assert_eq!(
                back.vms[0].network().unwrap().host_name.as_deref(),
                Some(host)
            );
        }
    }

    #[test]
    fn placeholders_round_trip() {
        for (name, key) in [("s", None), ("s-1.x", Some("k_2.y"))] {
            let sel = SecretKeySelector {
                name: name.into(),
                key: key.map(str::to_string),
            };
            assert_eq!(
                parse_secret_placeholder(&secret_placeholder(&sel)),
                Some(sel)
            );
        }
        assert_eq!(parse_secret_placeholder("${secret:}"), None);
        assert_eq!(parse_secret_placeholder("${secret:a/}"), None);
        assert_eq!(parse_secret_placeholder("hunter2"), None);
    }
}
