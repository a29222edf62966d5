//! Submitting one VM: find it, read it, plan (nothing sent yet), check preconditions, send
//! each step and wait for its task. Every failure ends this VM only, as a sentence that says
//! whether anything was sent.

use super::find::Finder;
use super::session::{NetError, Session};
use super::task::{Progress, WaitError, WaitOptions, wait};
use crate::plan::{self, Job, Kind, Server};
use crate::secrets::SecretSource;
use crate::soap::{MoRef, PropSpec};
use crate::vm::{VM_PATHS, VmInfo};
use serde::Serialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Applied,
    DryRun,
    Skipped,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Applied => "applied",
            Status::DryRun => "dry-run",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

/// A request as `--dry-run` shows it (Secrets masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub method: &'static str,
    pub body: String,
}

/// What happened to one VM.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub key: String,
    pub file: String,
    /// How the VM was looked for.
    pub target: String,
    /// The VM's managed object id and name, once found.
    pub vm: Option<String>,
    pub vm_name: Option<String>,
    pub status: Status,
    /// Methods that completed, in order.
    pub steps: Vec<String>,
    /// The failure (or skip) reason, a sentence; empty when applied.
    pub message: String,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Shown>,
}

impl Outcome {
    pub fn new(job: &Job, status: Status, message: String) -> Outcome {
        Outcome {
            key: job.key.clone(),
            file: job.file.clone(),
            target: job.target.to_string(),
            vm: None,
            vm_name: None,
            status,
            steps: Vec::new(),
            message,
            notes: Vec::new(),
            requests: Vec::new(),
        }
    }
}

/// Everything shared by the VMs of a run.
pub struct Env<'a> {
    pub session: &'a Session,
    pub finder: &'a Finder,
    pub server: Server,
    pub plan: plan::Options,
    pub secrets: &'a dyn SecretSource,
    pub wait: WaitOptions,
    /// How long to wait for VMware Tools before CustomizeGuest_Task (instant clones).
    pub tools_wait: Duration,
    pub dry_run: bool,
    pub progress: &'a dyn Progress,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

pub fn read_vm(s: &Session, vm: &MoRef) -> Result<VmInfo, NetError> {
    let objs = s.retrieve(&[PropSpec {
        obj: vm,
        paths: VM_PATHS,
    }])?;
    objs.iter()
        .find(|o| &o.obj == vm)
        .map(VmInfo::from_content)
        .ok_or_else(|| NetError::Other(format!("VM {} disappeared while it was read", vm.value)))
}

/// VMware Tools must run for CustomizeGuest_Task; after an instant clone they are briefly
/// offline, so the check is repeated until `limit`.
fn wait_tools(env: &Env<'_>, vm: &MoRef, label: &str) -> Result<(), String> {
    let start = Instant::now();
    let mut said = false;
    loop {
        let info = read_vm(env.session, vm).map_err(|e| e.to_string())?;
        if info.tools_running == "guestToolsRunning" {
            return Ok(());
        }
        if start.elapsed() >= env.tools_wait {
            return Err(format!(
                "VMware Tools are not running in the guest (guest.toolsRunningStatus = {:?}, waited {} s); CustomizeGuest_Task needs them; nothing was sent",
                info.tools_running,
                env.tools_wait.as_secs()
            ));
        }
        if !said {
            env.progress.line(
                label,
                &format!(
                    "VMware Tools are not running yet ({}); checking again for up to {} s",
                    info.tools_running,
                    env.tools_wait.as_secs()
                ),
            );
            said = true;
        }
        std::thread::sleep(
            Duration::from_millis(500)
                .min(env.tools_wait.saturating_sub(start.elapsed()))
                .max(Duration::from_millis(50)),
        );
    }
}

/// Submits one VM; never panics, never stops the fleet.
pub fn submit(env: &Env<'_>, job: &Job) -> Outcome {
    let mut out = Outcome::new(job, Status::Failed, String::new());
    let moref = match env.finder.find(env.session, &job.target) {
        Ok(m) => m,
        Err(e) => {
            out.message = format!("{e}; nothing was sent");
            return out;
        }
    };
    out.vm = Some(moref.value.clone());
    let info = match read_vm(env.session, &moref) {
        Ok(i) => i,
        Err(e) => {
            out.message = format!("{e}; nothing was sent");
            return out;
        }
    };
    out.vm_name = Some(info.name.clone());
    let label = format!("{} ({})", job.key, info.name);
    let p = match plan::build(job, &info, &moref, &env.server, &env.plan, env.secrets) {
        Ok(p) => p,
        Err(e) => {
            out.message = e.to_string();
            return out;
        }
    };
    out.notes = p.notes.clone();
    out.notes
        .extend(p.bound.lines.iter().map(|l| format!("bound {l}")));
    if p.bound.pci_order_only {
        out.notes
            .push("adapters are matched in PCI order (no MACs in the settings)".into());
    }
    if env.dry_run {
        out.status = Status::DryRun;
        out.requests = p
            .steps
            .iter()
            .map(|s| Shown {
                method: s.kind.method(),
                body: s.shown.clone(),
            })
            .collect();
        return out;
    }
    if p.needs_tools()
        && let Err(e) = wait_tools(env, &moref, &label)
    {
        out.message = e;
        return out;
    }
    for step in &p.steps {
        let done = |out: &Outcome| {
            if out.steps.is_empty() {
                String::new()
            } else {
                format!(" (done before: {})", out.steps.join(", "))
            }
        };
        let task = match env.session.start_task(&step.request) {
            Ok(t) => t,
            Err(e) => {
                out.message = format!("{e}{}", done(&out));
                return out;
            }
        };
        match wait(
            env.session,
            &task,
            &moref,
            &label,
            step.kind.method(),
            &env.wait,
            env.progress,
        ) {
            Ok(()) => out.steps.push(step.kind.method().to_string()),
            Err(e) => {
                let hint = match (&e, step.kind) {
                    (WaitError::Failed { fault, .. }, Kind::CustomizeVm)
                        if fault == "InvalidPowerState" =>
                    {
                        "; CustomizeVM_Task needs a powered-off VM (a running one is customized with CustomizeGuest_Task)"
                    }
                    _ => "",
                };
                out.message = format!("{e}{hint}{}", done(&out));
                return out;
            }
        }
    }
    out.status = Status::Applied;
    out
}
