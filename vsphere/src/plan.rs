//! What guestnet will send to one VM, decided before anything is sent: the MACs bound, the
//! method chosen by bootstrap provider and power state, every Secret found, and every body
//! written twice — once to send, once with Secrets masked for `--dry-run` and logs.
//!
//! | provider | VM | method |
//! |---|---|---|
//! | LinuxPrep, Sysprep, none (Linux) | powered off | `CustomizeVM_Task` |
//! | LinuxPrep, Sysprep, none (Linux) | powered on | `CustomizeGuest_Task` on the guest customization manager |
//! | CloudInit | any | `ReconfigVM_Task` extraConfig `guestinfo.metadata`/`userdata` (+ `.encoding`) |
//! | CloudInit + annotation `cloudinit-type: cloudinitprep` | as LinuxPrep | CloudinitPrep spec |
//! | vAppConfig (alone or with the above) | any | `ReconfigVM_Task` vAppConfig edits keyed by the VM's own property keys |
//!
//! Secrets are filled structurally: the model says which fields are Secret references, and
//! exactly those fields of the typed spec get the value. No text is searched for
//! `${secret:…}`, so no user value can forge a reference, and values are escaped by the
//! same writer as everything else.

use crate::bind::{Bound, bind};
use crate::secret::Secret;
use crate::secrets::{SecretSource, decode_base64_gzip, env_name, utf8};
use crate::soap::{self, BodyError, MoRef, Request, VAppEdit};
use crate::vm::{VmInfo, customize_guest_supported};
use guestnet_core::diagnostic::Severity;
use guestnet_core::model::{Provider, SecretKeySelector, ValueOrSecret, VirtualMachine};
use guestnet_core::render::encode::gzip_base64;
use guestnet_core::render::gosc::CLOUDINIT_TYPE_ANNOTATION;
use guestnet_core::render::{RenderOptions, cloudinit, gosc, vapp};
use guestnet_core::resolve::Resolved;
use guestnet_core::vim25::VimVersion;
use guestnet_core::vim25::customization::{CustomizationSpec, Envelope, Identity, to_xml};
use std::cell::RefCell;

/// Annotation naming the vSphere VM a manifest is for (inventory path, UUID or name).
pub const VM_ANNOTATION: &str = "guestnet.dev/vm";

/// How a VM is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `DC0/vm/web01` or `/DC0/vm/web01`.
    Path(String),
    /// Instance or BIOS UUID.
    Uuid(String),
    Name(String),
}

impl Target {
    pub fn parse(s: &str) -> Target {
        let s = s.trim();
        if is_uuid(s) {
            Target::Uuid(s.to_ascii_lowercase())
        } else if s.contains('/') {
            Target::Path(s.trim_start_matches('/').to_string())
        } else {
            Target::Name(s.to_string())
        }
    }

    /// `--vm`, else the `guestnet.dev/vm` annotation, else `spec.biosUUID`, else the name.
    pub fn for_vm(vm: &VirtualMachine, explicit: Option<&str>) -> Target {
        if let Some(e) = explicit {
            return Target::parse(e);
        }
        if let Some(a) = vm.metadata.annotations.get(VM_ANNOTATION) {
            return Target::parse(a);
        }
        if let Some(u) = vm.spec.bios_uuid.as_deref().filter(|u| is_uuid(u)) {
            return Target::Uuid(u.to_ascii_lowercase());
        }
        Target::Name(vm.name().to_string())
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Path(p) => write!(f, "path {p}"),
            Target::Uuid(u) => write!(f, "UUID {u}"),
            Target::Name(n) => write!(f, "name {n}"),
        }
    }
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// One VirtualMachine to submit.
#[derive(Debug, Clone)]
pub struct Job {
    /// `namespace/name`: the key in summaries and the state file.
    pub key: String,
    pub file: String,
    pub vm: VirtualMachine,
    pub resolved: Resolved,
    pub target: Target,
}

/// What the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub api_version: VimVersion,
    pub guest_customization_manager: Option<MoRef>,
}

/// Which customization method to use for a GOSC spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GoscMethod {
    /// By power state: `CustomizeVM_Task` when off, `CustomizeGuest_Task` when on.
    #[default]
    Auto,
    CustomizeVm,
    CustomizeGuest,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub power_on: bool,
    /// `false` for `--mac-policy pci-order`: adapters by PCI order, no MACs.
    pub use_macs: bool,
    pub method: GoscMethod,
    pub render: RenderOptions,
    pub guest_user: Option<String>,
    pub guest_password: Option<Secret>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CustomizeVm,
    CustomizeGuest,
    ReconfigGuestinfo,
    ReconfigVApp,
    PowerOn,
}

impl Kind {
    pub fn method(self) -> &'static str {
        match self {
            Kind::CustomizeVm => "CustomizeVM_Task",
            Kind::CustomizeGuest => "CustomizeGuest_Task",
            Kind::ReconfigGuestinfo | Kind::ReconfigVApp => "ReconfigVM_Task",
            Kind::PowerOn => "PowerOnVM_Task",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::CustomizeVm => "customize the powered-off VM (CustomizeVM_Task)",
            Kind::CustomizeGuest => "customize the running guest (CustomizeGuest_Task)",
            Kind::ReconfigGuestinfo => {
                "set guestinfo.metadata/userdata for cloud-init (ReconfigVM_Task extraConfig)"
            }
            Kind::ReconfigVApp => "edit vApp properties (ReconfigVM_Task vAppConfig)",
            Kind::PowerOn => "power on (PowerOnVM_Task)",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub kind: Kind,
    /// The request to send (holds Secret values: never print it).
    pub request: Request,
    /// The same body with Secrets masked: what `--dry-run` prints.
    pub shown: String,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub bound: Bound,
    /// Warnings from rendering (lossy translations) worth showing.
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether the guest must be checked for running VMware Tools before sending.
    pub fn needs_tools(&self) -> bool {
        self.steps.iter().any(|s| s.kind == Kind::CustomizeGuest)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Bind(#[from] crate::bind::BindError),
    #[error(
        "{field} refers to Secret {name} key {key}, which is not in the batch's Secret manifests (namespace {namespace}), a --secret {name}/{key}=FILE or ${env}; nothing was sent"
    )]
    MissingSecret {
        field: String,
        namespace: String,
        name: String,
        key: String,
        env: String,
    },
    #[error("{0}; nothing was sent")]
    Refused(String),
    #[error("{0}")]
    Body(#[from] BodyError),
}

/// The masked stand-in for a Secret value.
pub fn mask(name: &str, key: &str) -> String {
    format!("********(secret {name}/{key})")
}

/// Looks up Secret values for one VM; in masked mode returns stand-ins (after checking
/// that the value exists, so a dry run fails exactly where a real run would).
struct Fill<'a> {
    namespace: String,
    src: &'a dyn SecretSource,
    masked: bool,
    missing: RefCell<Option<PlanError>>,
}

impl Fill<'_> {
    fn get(
        &self,
        sel: &SecretKeySelector,
        default_keys: &[&str],
        field: &str,
    ) -> Result<String, PlanError> {
        let keys: Vec<&str> = match sel.key.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => vec![k],
            None => default_keys.to_vec(),
        };
        for k in &keys {
            if let Some(v) = self.src.get(&self.namespace, &sel.name, k) {
                if self.masked {
                    return Ok(mask(&sel.name, k));
                }
                return utf8(&sel.name, k, v)
                    .map(|s| s.expose().to_string())
                    .map_err(|e| PlanError::Refused(format!("{field}: {e}")));
            }
        }
        let key = keys.first().copied().unwrap_or("(none)").to_string();
        Err(PlanError::MissingSecret {
            field: field.to_string(),
            namespace: self.namespace.clone(),
            env: env_name(&sel.name, &key),
            name: sel.name.clone(),
            key,
        })
    }

    /// Like [`get`](Self::get), for renderer callbacks that cannot return errors: the
    /// first failure is kept and reported after the call.
    fn lookup(&self, sel: &SecretKeySelector, default_key: &str, field: &str) -> Option<String> {
        match self.get(sel, &[default_key], field) {
            Ok(v) => Some(v),
            Err(e) => {
                self.missing.borrow_mut().get_or_insert(e);
                None
            }
        }
    }

    fn check(&self) -> Result<(), PlanError> {
        match self.missing.borrow_mut().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn value_or_secret(
        &self,
        v: &ValueOrSecret,
        default_key: &str,
        field: &str,
    ) -> Result<Option<String>, PlanError> {
        match (&v.value, &v.from) {
            (Some(s), _) => Ok(Some(s.clone())),
            (None, Some(sel)) => self.get(sel, &[default_key], field).map(Some),
            (None, None) => Ok(None),
        }
    }

    /// rawCloudConfig / rawSysprep: decoded like vm-operator's TryToDecodeBase64Gzip.
    fn raw_text(
        &self,
        sel: &SecretKeySelector,
        default_keys: &[&str],
        field: &str,
    ) -> Result<String, PlanError> {
        if self.masked {
            return self.get(sel, default_keys, field);
        }
        let v = self.get(sel, default_keys, field)?;
        let bytes = decode_base64_gzip(v.as_bytes())
            .map_err(|e| PlanError::Refused(format!("{field}: {e}")))?;
        String::from_utf8(bytes).map_err(|_| {
            PlanError::Refused(format!("{field}: the decoded Secret is not UTF-8 text"))
        })
    }
}

fn refused_by(diags: &[guestnet_core::Diagnostic], what: &str) -> PlanError {
    let why = diags
        .iter()
        .find(|d| d.severity == Severity::Error)
        .or_else(|| diags.first())
        .map(|d| format!("{} ({}: {})", d.message, d.code, d.path))
        .unwrap_or_else(|| "no reason given".into());
    PlanError::Refused(format!("the {what} renders nothing: {why}"))
}

fn warnings(diags: &[guestnet_core::Diagnostic]) -> impl Iterator<Item = String> + '_ {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| format!("{}: {} ({})", d.path, d.message, d.code))
}

/// Puts the Secret values into exactly the fields the VirtualMachine declares as Secret
/// references.
fn fill_spec(
    spec: &mut CustomizationSpec,
    vm: &VirtualMachine,
    fill: &Fill<'_>,
) -> Result<(), PlanError> {
    let b = vm.bootstrap();
    match &mut spec.identity {
        Identity::LinuxPrep(l) => {
            let lp = b.and_then(|b| b.linux_prep.as_ref());
            if let (Some(sel), Some(pw)) =
                (lp.and_then(|l| l.password.as_ref()), l.password.as_mut())
            {
                pw.value = fill.get(sel, &["password"], "spec.bootstrap.linuxPrep.password")?;
            }
            if let (Some(st), Some(t)) = (
                lp.and_then(|l| l.script_text.as_ref()),
                l.script_text.as_mut(),
            ) && st.from.is_some()
                && let Some(v) =
                    fill.value_or_secret(st, "script_text", "spec.bootstrap.linuxPrep.scriptText")?
            {
                *t = v;
            }
        }
        Identity::Sysprep(sp) => {
            let Some(inline) = b
                .and_then(|b| b.sysprep.as_ref())
                .and_then(|s| s.sysprep.as_ref())
            else {
                return Ok(());
            };
            let base = "spec.bootstrap.sysprep.sysprep";
            if let (Some(sel), Some(pw)) = (
                inline
                    .gui_unattended
                    .as_ref()
                    .and_then(|g| g.password.as_ref()),
                sp.gui_unattended.password.as_mut(),
            ) {
                pw.value = fill.get(
                    sel,
                    &["password"],
                    &format!("{base}.guiUnattended.password"),
                )?;
            }
            if let (Some(sel), Some(pw)) = (
                inline
                    .identification
                    .as_ref()
                    .and_then(|i| i.domain_admin_password.as_ref()),
                sp.identification.domain_admin_password.as_mut(),
            ) {
                pw.value = fill.get(
                    sel,
                    &["domain_admin_password"],
                    &format!("{base}.identification.domainAdminPassword"),
                )?;
            }
            if let Some(sel) = inline
                .user_data
                .as_ref()
                .and_then(|u| u.product_id.as_ref())
            {
                sp.user_data.product_id =
                    fill.get(sel, &["product_id"], &format!("{base}.userData.productID"))?;
            }
            if let (Some(st), Some(t)) = (inline.script_text.as_ref(), sp.script_text.as_mut())
                && st.from.is_some()
                && let Some(v) =
                    fill.value_or_secret(st, "script_text", &format!("{base}.scriptText"))?
            {
                *t = v;
            }
        }
        Identity::SysprepText(v) => {
            if let Some(sel) = b
                .and_then(|b| b.sysprep.as_ref())
                .and_then(|s| s.raw_sysprep.as_ref())
            {
                *v = fill.raw_text(sel, &["unattend"], "spec.bootstrap.sysprep.rawSysprep")?;
            }
        }
        Identity::CloudinitPrep { userdata, .. } => {
            if let Some(ci) = vm.cloud_init() {
                if let Some(cc) = &ci.cloud_config {
                    let text = cloudinit::user_data_with(
                        cc,
                        &|sel, k| fill.lookup(sel, k, "spec.bootstrap.cloudInit.cloudConfig"),
                        &mut Vec::new(),
                    );
                    fill.check()?;
                    *userdata = Some(text);
                } else if let Some(sel) = &ci.raw_cloud_config {
                    *userdata = Some(fill.raw_text(
                        sel,
                        &["user-data", "value"],
                        "spec.bootstrap.cloudInit.rawCloudConfig",
                    )?);
                }
            }
        }
    }
    Ok(())
}

struct Ctx<'a> {
    job: &'a Job,
    vm: &'a VmInfo,
    moref: &'a MoRef,
    server: &'a Server,
    opts: &'a Options,
    r: &'a Resolved,
    ropts: &'a RenderOptions,
}

fn gosc_step(
    cx: &Ctx<'_>,
    fill: &Fill<'_>,
    notes: &mut Vec<String>,
) -> Result<(Kind, Request), PlanError> {
    let mut diags = Vec::new();
    let Some(mut spec) = gosc::spec(&cx.job.vm, cx.r, cx.ropts, &mut diags) else {
        return Err(refused_by(&diags, "customization spec"));
    };
    if !fill.masked {
        notes.extend(warnings(&diags));
    }
    fill_spec(&mut spec, &cx.job.vm, fill)?;
    let guest = match cx.opts.method {
        GoscMethod::Auto => cx.vm.powered_on(),
        GoscMethod::CustomizeVm => false,
        GoscMethod::CustomizeGuest => true,
    };
    let vm_id = cx.moref.value.clone();
    if !guest {
        let body = to_xml(&spec, &Envelope::CustomizeVm { vm: vm_id }).map_err(BodyError::from)?;
        return Ok((
            Kind::CustomizeVm,
            Request {
                method: "CustomizeVM_Task",
                body,
                idempotent: false,
            },
        ));
    }
    if cx.server.guest_customization_manager.is_none() {
        return Err(PlanError::Refused(format!(
            "the VM is powered on, so its guest would be customized in place with CustomizeGuest_Task, but this server (API {}) has no guest customization manager (vSphere 7.0 Update 2 or newer has it); power the VM off to customize it with CustomizeVM_Task",
            cx.server.api_version
        )));
    }
    if !customize_guest_supported(&cx.vm.guest_id) {
        return Err(PlanError::Refused(format!(
            "CustomizeGuest_Task supports only RHEL 6.8+/7.4+, CentOS 7.4+, SUSE 11 SP4/12 SP3+ and Ubuntu 16.04+ LTS guests; this VM's guestId is {:?}; power it off to customize it with CustomizeVM_Task",
            cx.vm.guest_id
        )));
    }
    let (Some(user), Some(pw)) = (&cx.opts.guest_user, &cx.opts.guest_password) else {
        return Err(PlanError::Refused(
            "CustomizeGuest_Task logs in to the running guest: give --guest-user and the guest password (GUESTNET_GUEST_PASSWORD or --guest-password-file)".into(),
        ));
    };
    let password = if fill.masked {
        "********(guest password)".to_string()
    } else {
        pw.expose().to_string()
    };
    let body = to_xml(
        &spec,
        &Envelope::CustomizeGuest {
            vm: vm_id,
            username: user.clone(),
            password,
        },
    )
    .map_err(BodyError::from)?;
    // core writes the manager's usual id; use the one this server announced.
    let body = match &cx.server.guest_customization_manager {
        Some(m) if m.value != "GuestCustomizationManager" => body.replacen(
            ">GuestCustomizationManager</_this>",
            &format!(
                ">{}</_this>",
                guestnet_core::render::encode::xml_escape(&m.value)
            ),
            1,
        ),
        _ => body,
    };
    Ok((
        Kind::CustomizeGuest,
        Request {
            method: "CustomizeGuest_Task",
            body,
            idempotent: false,
        },
    ))
}

fn guestinfo_step(cx: &Ctx<'_>, fill: &Fill<'_>) -> Result<(Kind, Request), PlanError> {
    let mut diags = Vec::new();
    let metadata = cloudinit::metadata(cx.r, cx.ropts, &mut diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(refused_by(&diags, "cloud-init metadata"));
    }
    let ci = cx.job.vm.cloud_init();
    let userdata = match ci {
        Some(c) => match (&c.cloud_config, &c.raw_cloud_config) {
            (Some(cc), _) => {
                let t = cloudinit::user_data_with(
                    cc,
                    &|sel, k| fill.lookup(sel, k, "spec.bootstrap.cloudInit.cloudConfig"),
                    &mut Vec::new(),
                );
                fill.check()?;
                Some(t)
            }
            (None, Some(sel)) => Some(fill.raw_text(
                sel,
                &["user-data", "value"],
                "spec.bootstrap.cloudInit.rawCloudConfig",
            )?),
            (None, None) => None,
        },
        None => None,
    };
    // The same keys and encoding as the vmx target's guestinfo lines. Without user-data the
    // keys are set empty, which vSphere treats as removal, so an old user-data cannot linger.
    let mut extra = vec![
        (
            "guestinfo.metadata".to_string(),
            gzip_base64(metadata.as_bytes()),
        ),
        (
            "guestinfo.metadata.encoding".to_string(),
            "gzip+base64".to_string(),
        ),
    ];
    match userdata {
        Some(u) => {
            extra.push(("guestinfo.userdata".into(), gzip_base64(u.as_bytes())));
            extra.push(("guestinfo.userdata.encoding".into(), "gzip+base64".into()));
        }
        None => {
            extra.push(("guestinfo.userdata".into(), String::new()));
            extra.push(("guestinfo.userdata.encoding".into(), String::new()));
        }
    }
    Ok((
        Kind::ReconfigGuestinfo,
        soap::reconfig_vm(cx.moref, &extra, &[], None)?,
    ))
}

fn vapp_step(
    cx: &Ctx<'_>,
    fill: &Fill<'_>,
    notes: &mut Vec<String>,
) -> Result<Option<(Kind, Request)>, PlanError> {
    let Some(cfg) = cx.job.vm.bootstrap().and_then(|b| b.vapp_config.as_ref()) else {
        return Ok(None);
    };
    if cfg.raw_properties.is_some() {
        return Err(PlanError::Refused(
            "spec.bootstrap.vAppConfig.rawProperties (every key of a Secret as a property) is not supported by guestnet submit; list the properties with value.from instead".into(),
        ));
    }
    let mut diags = Vec::new();
    let inline = vapp::properties(&cx.job.vm, cx.r, &mut diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(refused_by(&diags, "vApp target"));
    }
    if !fill.masked {
        notes.extend(warnings(&diags));
    }
    let Some(props) = &cx.vm.vapp else {
        return Err(PlanError::Refused(
            "the spec sets vApp properties, but the VM has no vApp configuration: vSphere edits only properties its OVF defines".into(),
        ));
    };
    let mut edits = Vec::new();
    for (i, p) in cfg.properties.iter().enumerate() {
        let field = format!("spec.bootstrap.vAppConfig.properties[{i}]");
        let value = match p.value.as_ref() {
            Some(v) if v.from.is_some() => {
                fill.value_or_secret(v, "value", &format!("{field}.value.from"))?
            }
            Some(_) => inline
                .iter()
                .find(|(k, _)| *k == p.key)
                .map(|(_, v)| v.clone()),
            None => None,
        };
        let Some(value) = value else { continue };
        let Some(vp) = props
            .iter()
            .find(|vp| vp.full_key() == p.key)
            .or_else(|| props.iter().find(|vp| vp.id == p.key))
        else {
            let known: Vec<String> = props.iter().map(|vp| vp.full_key()).collect();
            return Err(PlanError::Refused(format!(
                "{field}: vApp property {:?} is not defined by the VM (it defines: {}); vSphere edits only existing properties",
                p.key,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        if !vp.user_configurable {
            return Err(PlanError::Refused(format!(
                "{field}: vApp property {:?} (key {}) is not user-configurable on this VM",
                p.key, vp.key
            )));
        }
        edits.push(VAppEdit {
            key: vp.key,
            id: vp.id.clone(),
            value,
        });
    }
    if edits.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        Kind::ReconfigVApp,
        soap::reconfig_vm(cx.moref, &[], &edits, Some(vapp::GUESTINFO_TRANSPORT))?,
    )))
}

fn steps(
    cx: &Ctx<'_>,
    fill: &Fill<'_>,
    notes: &mut Vec<String>,
) -> Result<Vec<(Kind, Request)>, PlanError> {
    let mut out = Vec::new();
    if let Some(s) = vapp_step(cx, fill, notes)? {
        out.push(s);
    }
    let vm = &cx.job.vm;
    let cloudinitprep = vm
        .metadata
        .annotations
        .get(CLOUDINIT_TYPE_ANNOTATION)
        .map(String::as_str)
        == Some("cloudinitprep");
    match cx.r.provider {
        Provider::CloudInit if !cloudinitprep => out.push(guestinfo_step(cx, fill)?),
        Provider::CloudInit | Provider::LinuxPrep | Provider::Sysprep | Provider::None => {
            out.push(gosc_step(cx, fill, notes)?)
        }
        Provider::VAppConfig => {}
    }
    if out.is_empty() {
        return Err(PlanError::Refused(
            "the VirtualMachine asks for nothing guestnet can apply (vAppConfig without properties)".into(),
        ));
    }
    if cx.opts.power_on && !cx.vm.powered_on() {
        out.push((Kind::PowerOn, soap::power_on(cx.moref)?));
    }
    Ok(out)
}

/// Plans one VM. Nothing here talks to the server: `vm` and `server` were read before.
pub fn build(
    job: &Job,
    vm: &VmInfo,
    moref: &MoRef,
    server: &Server,
    opts: &Options,
    secrets: &dyn SecretSource,
) -> Result<Plan, PlanError> {
    let mut r = job.resolved.clone();
    let bound = bind(&mut r, &vm.nics, opts.use_macs)?;
    let mut ropts = opts.render.clone();
    ropts.gosc.api_version = server.api_version;
    let cx = Ctx {
        job,
        vm,
        moref,
        server,
        opts,
        r: &r,
        ropts: &ropts,
    };
    let namespace = job
        .vm
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let mut notes = Vec::new();
    let real = Fill {
        namespace: namespace.clone(),
        src: secrets,
        masked: false,
        missing: RefCell::new(None),
    };
    let sent = steps(&cx, &real, &mut notes)?;
    let masked = Fill {
        namespace,
        src: secrets,
        masked: true,
        missing: RefCell::new(None),
    };
    let shown = steps(&cx, &masked, &mut Vec::new())?;
    let steps = sent
        .into_iter()
        .zip(shown)
        .map(|((kind, request), (_, m))| Step {
            kind,
            request,
            shown: m.body,
        })
        .collect();
    notes.dedup();
    Ok(Plan {
        steps,
        bound,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Store;
    use crate::vm::Nic;
    use guestnet_core::pipeline::{CompileOptions, compile_str};
    use guestnet_core::vim25::xml;

    fn job(yaml: &str) -> Job {
        let c = compile_str(yaml, &[], &CompileOptions::default());
        let u = c.units.into_iter().next().unwrap();
        assert!(!u.has_errors(), "{:?}", u.diagnostics);
        let vm = u.vm.unwrap();
        Job {
            key: "default/web01".into(),
            file: "vm.yaml".into(),
            target: Target::for_vm(&vm, None),
            resolved: u.resolved.unwrap(),
            vm,
        }
    }

    fn vm_info(power: &str, macs: &[&str]) -> VmInfo {
        VmInfo {
            moref: Some(MoRef::new("VirtualMachine", "vm-42")),
            name: "web01".into(),
            power_state: power.into(),
            guest_id: "ubuntu64Guest".into(),
            nics: macs
                .iter()
                .enumerate()
                .map(|(i, m)| Nic {
                    key: 4000 + i as i32,
                    device_type: "VirtualVmxnet3".into(),
                    label: format!("Network adapter {}", i + 1),
                    mac: m.to_string(),
                    pci_slot: Some(160 + 32 * i as i32),
                })
                .collect(),
            ..VmInfo::default()
        }
    }

    fn server(gcm: bool) -> Server {
        Server {
            api_version: VimVersion::V9_1,
            guest_customization_manager: gcm.then(|| {
                MoRef::new(
                    "VirtualMachineGuestCustomizationManager",
                    "GuestCustomizationManager",
                )
            }),
        }
    }

    fn opts() -> Options {
        Options {
            use_macs: true,
            ..Options::default()
        }
    }

    const LINUX: &str = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web01}\nspec:\n  bootstrap:\n    linuxPrep:\n      password: {name: creds}\n      scriptText: {value: \"echo ${secret:creds/password}\"}\n  network:\n    hostName: web01\n    interfaces: [{name: eth0, addresses: [10.0.0.10/24], gateway4: 10.0.0.1}]\n";

    fn store(pairs: &[(&str, &str, &str)]) -> Store {
        Store {
            manifests: pairs
                .iter()
                .map(|(n, k, v)| crate::secrets::SecretManifest {
                    namespace: "default".into(),
                    name: n.to_string(),
                    data: [(k.to_string(), v.as_bytes().to_vec())].into(),
                })
                .collect(),
            ..Store::default()
        }
    }

    fn vm_ref() -> MoRef {
        MoRef::new("VirtualMachine", "vm-42")
    }

    #[test]
    fn powered_off_linuxprep_is_customize_vm_with_bound_macs_and_filled_secret() {
        let j = job(LINUX);
        let p = build(
            &j,
            &vm_info("poweredOff", &["00:50:56:00:00:07"]),
            &vm_ref(),
            &server(false),
            &Options {
                power_on: true,
                ..opts()
            },
            &store(&[("creds", "password", "canary-<&>-pw")]),
        )
        .unwrap();
        assert_eq!(
            p.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            vec![Kind::CustomizeVm, Kind::PowerOn]
        );
        let body = &p.steps[0].request.body;
        let root = xml::parse(body).unwrap();
        let call = root
            .child("Body")
            .unwrap()
            .child("CustomizeVM_Task")
            .unwrap();
        assert_eq!(call.child("_this").unwrap().text, "vm-42");
        let spec = call.child("spec").unwrap();
        assert_eq!(
            spec.child("nicSettingMap")
                .unwrap()
                .child("macAddress")
                .unwrap()
                .text,
            "00:50:56:00:00:07"
        );
        let id = spec.child("identity").unwrap();
        // The Secret field got the value (escaped by the writer) ...
        assert_eq!(
            id.child("password").unwrap().child("value").unwrap().text,
            "canary-<&>-pw"
        );
        // ... and a literal that looks like a placeholder stays literal.
        assert_eq!(
            id.child("scriptText").unwrap().text,
            "echo ${secret:creds/password}"
        );
        // The shown body masks it and is otherwise the same.
        let shown = &p.steps[0].shown;
        assert!(!shown.contains("canary"));
        assert!(shown.contains("********(secret creds/password)"));
        assert_eq!(
            shown.replace("********(secret creds/password)", "X"),
            body.replace("canary-&lt;&amp;&gt;-pw", "X")
        );
    }

    #[test]
    fn missing_secret_stops_before_sending() {
        let j = job(LINUX);
        let e = build(
            &j,
            &vm_info("poweredOff", &["00:50:56:00:00:07"]),
            &vm_ref(),
            &server(false),
            &opts(),
            &Store::default(),
        )
        .unwrap_err();
        let PlanError::MissingSecret { name, key, env, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(
            (name.as_str(), key.as_str(), env.as_str()),
            ("creds", "password", "GUESTNET_SECRET_CREDS_PASSWORD")
        );
        assert!(e.to_string().contains("nothing was sent"));
    }

    #[test]
    fn nic_count_mismatch_stops_before_sending() {
        let j = job(LINUX);
        let e = build(
            &j,
            &vm_info("poweredOff", &["00:50:56:00:00:07", "00:50:56:00:00:08"]),
            &vm_ref(),
            &server(false),
            &opts(),
            &store(&[("creds", "password", "x")]),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "the spec has 1 network interface(s) but the VM has 2 network adapter(s)"
            ),
            "{e}"
        );
    }

    #[test]
    fn powered_on_needs_the_guest_customization_manager_and_a_supported_guest() {
        let j = job(LINUX);
        let s = store(&[("creds", "password", "x")]);
        let on = vm_info("poweredOn", &["00:50:56:00:00:07"]);
        let e = build(&j, &on, &vm_ref(), &server(false), &opts(), &s).unwrap_err();
        assert!(
            e.to_string().contains("no guest customization manager"),
            "{e}"
        );
        let mut other = on.clone();
        other.guest_id = "otherGuest".into();
        let e = build(&j, &other, &vm_ref(), &server(true), &opts(), &s).unwrap_err();
        assert!(e.to_string().contains("\"otherGuest\""), "{e}");
        let e = build(&j, &on, &vm_ref(), &server(true), &opts(), &s).unwrap_err();
        assert!(e.to_string().contains("--guest-user"), "{e}");
        let o = Options {
            guest_user: Some("root".into()),
            guest_password: Some(Secret::new("guest-canary")),
            ..opts()
        };
        let p = build(&j, &on, &vm_ref(), &server(true), &o, &s).unwrap();
        assert_eq!(p.steps[0].kind, Kind::CustomizeGuest);
        assert!(p.needs_tools());
        let root = xml::parse(&p.steps[0].request.body).unwrap();
        let call = root
            .child("Body")
            .unwrap()
            .child("CustomizeGuest_Task")
            .unwrap();
        assert_eq!(call.child("vm").unwrap().text, "vm-42");
        assert_eq!(
            call.child("auth").unwrap().child("password").unwrap().text,
            "guest-canary"
        );
        assert!(!p.steps[0].shown.contains("guest-canary"));
        // Forcing CustomizeVM_Task on a running VM is the user's call (vCenter will refuse).
        let o = Options {
            method: GoscMethod::CustomizeVm,
            ..opts()
        };
        assert_eq!(
            build(&j, &on, &vm_ref(), &server(true), &o, &s)
                .unwrap()
                .steps[0]
                .kind,
            Kind::CustomizeVm
        );
    }

    #[test]
    fn cloud_init_is_guestinfo_extra_config_like_the_vmx_target() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web01}\nspec:\n  bootstrap:\n    cloudInit:\n      cloudConfig:\n        users: [{name: ops, passwd: {name: creds, key: pw}}]\n  network:\n    interfaces: [{name: eth0, dhcp4: true}]\n";
        let j = job(y);
        let p = build(
            &j,
            &vm_info("poweredOn", &["00:50:56:00:00:07"]),
            &vm_ref(),
            &server(false),
            &opts(),
            &store(&[("creds", "pw", "canary\nruncmd: [reboot]")]),
        )
        .unwrap();
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.steps[0].kind, Kind::ReconfigGuestinfo);
        let root = xml::parse(&p.steps[0].request.body).unwrap();
        let spec = root
            .child("Body")
            .unwrap()
            .child("ReconfigVM_Task")
            .unwrap()
            .child("spec")
            .unwrap();
        let kv: Vec<(String, String)> = spec
            .children
            .iter()
            .map(|e| {
                (
                    e.child("key").unwrap().text.clone(),
                    e.child("value").unwrap().text.clone(),
                )
            })
            .collect();
        let get = |k: &str| {
            kv.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("guestinfo.metadata.encoding"), "gzip+base64");
        let md = guestnet_core::render::encode::decode_guestinfo(
            &get("guestinfo.metadata"),
            Some("gzip+base64"),
        )
        .unwrap();
        let md = String::from_utf8(md).unwrap();
        // The bound MAC reached the netplan match.
        assert!(md.contains("00:50:56:00:00:07"), "{md}");
        let ud = guestnet_core::render::encode::decode_guestinfo(
            &get("guestinfo.userdata"),
            Some("gzip+base64"),
        )
        .unwrap();
        let ud = String::from_utf8(ud).unwrap();
        // The secret is one YAML scalar: it did not add a runcmd key.
        assert!(ud.contains("passwd: "), "{ud}");
        assert!(!ud.contains("\nruncmd:"), "{ud}");
    }

    #[test]
    fn vapp_edits_use_the_vms_keys() {
        let y = "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {name: web01}\nspec:\n  bootstrap:\n    vAppConfig:\n      properties:\n      - {key: hostname, value: {value: web01}}\n      - {key: ip0, value: {value: '{{ V1alpha6_FirstIP }}'}}\n      - {key: token, value: {from: {name: creds, key: tok}}}\n  network:\n    interfaces: [{name: eth0, addresses: [10.0.0.10/24]}]\n";
        let j = job(y);
        let mut vm = vm_info("poweredOff", &["00:50:56:00:00:07"]);
        let prop = |key, id: &str, uc| crate::vm::VAppProperty {
            key,
            id: id.into(),
            class_id: String::new(),
            instance_id: String::new(),
            kind: "string".into(),
            user_configurable: uc,
        };
        vm.vapp = Some(vec![
            prop(7, "ip0", true),
            prop(9, "hostname", true),
            prop(11, "token", true),
        ]);
        let s = store(&[("creds", "tok", "t0k")]);
        let p = build(&j, &vm, &vm_ref(), &server(false), &opts(), &s).unwrap();
        assert_eq!(p.steps[0].kind, Kind::ReconfigVApp);
        let root = xml::parse(&p.steps[0].request.body).unwrap();
        let cfg = root
            .child("Body")
            .unwrap()
            .child("ReconfigVM_Task")
            .unwrap()
            .child("spec")
            .unwrap()
            .child("vAppConfig")
            .unwrap();
        let edits: Vec<(String, String)> = cfg
            .children
            .iter()
            .filter(|c| c.name.local == "property")
            .map(|c| {
                let i = c.child("info").unwrap();
                (
                    i.child("key").unwrap().text.clone(),
                    i.child("value").unwrap().text.clone(),
                )
            })
            .collect();
        assert_eq!(
            edits,
            vec![
                ("9".into(), "web01".into()),
                ("7".into(), "10.0.0.10/24".into()),
                ("11".into(), "t0k".into())
            ]
        );
        // Provider vAppConfig alone: no customization step.
        assert_eq!(p.steps.len(), 1);
        vm.vapp = Some(vec![prop(7, "ip0", true), prop(9, "hostname", false)]);
        let e = build(&j, &vm, &vm_ref(), &server(false), &opts(), &s).unwrap_err();
        assert!(e.to_string().contains("not user-configurable"), "{e}");
        vm.vapp = Some(vec![prop(7, "ip0", true)]);
        let e = build(&j, &vm, &vm_ref(), &server(false), &opts(), &s).unwrap_err();
        assert!(
            e.to_string()
                .contains("\"hostname\" is not defined by the VM (it defines: ip0)"),
            "{e}"
        );
        vm.vapp = None;
        let e = build(&j, &vm, &vm_ref(), &server(false), &opts(), &s).unwrap_err();
        assert!(e.to_string().contains("no vApp configuration"), "{e}");
    }

    proptest::proptest! {
        /// User text that looks like a Secret reference, anywhere a user can write text,
        /// stays that text: nothing substitutes it, and no Secret value appears.
        #[test]
        fn user_text_cannot_forge_a_secret(
            prefix in "[a-z ]{0,5}",
            name in "[a-z][a-z0-9-]{0,6}",
            key in "[a-z][a-z0-9_.-]{0,6}",
            suffix in "[a-z ]{0,5}",
        ) {
            let forged = format!("{prefix}${{secret:{name}/{key}}}{suffix}");
            let y = format!(
                "apiVersion: vmoperator.vmware.com/v1alpha6\nkind: VirtualMachine\nmetadata: {{name: web01}}\nspec:\n  bootstrap:\n    linuxPrep:\n      scriptText: {{value: {q}}}\n    vAppConfig:\n      properties: [{{key: note, value: {{value: {q}}}}}]\n  network:\n    interfaces: [{{name: eth0, dhcp4: true}}]\n",
                q = guestnet_core::render::yaml_out::quote(&forged)
            );
            let j = job(&y);
            let mut vm = vm_info("poweredOff", &["00:50:56:00:00:07"]);
            vm.vapp = Some(vec![crate::vm::VAppProperty {
                key: 3,
                id: "note".into(),
                class_id: String::new(),
                instance_id: String::new(),
                kind: "string".into(),
                user_configurable: true,
            }]);
            let s = store(&[(name.as_str(), key.as_str(), "LEAKED-VALUE")]);
            let p = build(&j, &vm, &vm_ref(), &server(false), &opts(), &s).unwrap();
            for step in &p.steps {
                proptest::prop_assert!(!step.request.body.contains("LEAKED-VALUE"));
                proptest::prop_assert_eq!(&step.request.body, &step.shown);
            }
            let escaped = guestnet_core::render::encode::xml_escape(&forged).replace("&quot;", "\"").replace("&apos;", "'");
            // The vim25 writer also writes a user's `${` as `&#36;{`, so no later fill can
            // read it as a placeholder (guestnet_core::vim25::placeholder).
            let dollar = escaped.replace("${", "&#36;{");
            proptest::prop_assert!(
                p.steps.iter().all(|s| s.request.body.contains(&escaped) || s.request.body.contains(&dollar)),
                "{} {:?}",
                escaped,
                p.steps.iter().map(|s| &s.request.body).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("/DC0/vm/web01"),
            Target::Path("DC0/vm/web01".into())
        );
        assert_eq!(
            Target::parse("4210B8E6-2C1A-4B3E-9D55-0123456789AB"),
            Target::Uuid("4210b8e6-2c1a-4b3e-9d55-0123456789ab".into())
        );
        assert_eq!(Target::parse("web01"), Target::Name("web01".into()));
    }
}
