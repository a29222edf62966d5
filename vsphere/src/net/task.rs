//! Waiting for a task: poll `Task.info` (and the VM's `runtime.question`, which can block a
//! task) until it ends, the time runs out, or a question needs an answer. A question is
//! answered with its default choice only when asked to (`--auto-answer`, libvirt's
//! `auto_answer=1`); otherwise the run stops and shows the question.

use super::session::{NetError, Session, body};
use crate::soap::{self, MoRef, PropSpec, localized_fault};
use crate::vm::{Question, VmInfo};
use std::time::{Duration, Instant};

/// Where progress goes: a bar on a terminal, plain lines otherwise (the CLI decides).
pub trait Progress: Sync {
    /// `percent` is the task's own progress when it reports one.
    fn task(&self, vm: &str, what: &str, state: &str, percent: Option<u32>);
    /// Something worth a line: an answered question, a retry.
    fn line(&self, vm: &str, msg: &str);
}

/// Ignores everything.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn task(&self, _: &str, _: &str, _: &str, _: Option<u32>) {}
    fn line(&self, _: &str, _: &str) {}
}

#[derive(Debug, Clone)]
pub struct WaitOptions {
    pub timeout: Duration,
    pub poll: Duration,
    pub auto_answer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("{what} failed: {sentence}")]
    Failed {
        what: String,
        sentence: String,
        fault: String,
    },
    #[error(
        "{what} is waiting for an answer to a VM question: {text:?} (choices: {choices}); answer it in the vSphere Client, or run again with --auto-answer (or auto_answer=1) to take the default"
    )]
    Question {
        what: String,
        text: String,
        choices: String,
    },
    #[error(
        "{what} did not finish within {secs} s (last state {state}); it may still complete in vCenter"
    )]
    Timeout {
        what: String,
        secs: u64,
        state: String,
    },
}

/// Waits for `task` (started by `what` on `vm`) to succeed.
pub fn wait(
    s: &Session,
    task: &MoRef,
    vm: &MoRef,
    vm_label: &str,
    what: &str,
    o: &WaitOptions,
    progress: &dyn Progress,
) -> Result<(), WaitError> {
    let start = Instant::now();
    let mut last_state = String::from("queued");
    let mut answered: Vec<String> = Vec::new();
    loop {
        let objs = s.retrieve(&[
            PropSpec {
                obj: task,
                paths: &["info"],
            },
            PropSpec {
                obj: vm,
                paths: &["runtime.question"],
            },
        ])?;
        let info = objs
            .iter()
            .find(|o| &o.obj == task)
            .and_then(|o| o.get("info"));
        if let Some(info) = info {
            let state = info
                .child("state")
                .map(|e| e.text.trim().to_string())
                .unwrap_or_default();
            let pct = info
                .child("progress")
                .and_then(|e| e.text.trim().parse::<u32>().ok());
            progress.task(vm_label, what, &state, pct);
            match state.as_str() {
                "success" => return Ok(()),
                "error" => {
                    let f = info
                        .child("error")
                        .and_then(localized_fault)
                        .unwrap_or_default();
                    return Err(WaitError::Failed {
                        what: what.to_string(),
                        sentence: crate::fault::sentence(&f),
                        fault: f.kind,
                    });
                }
                _ => last_state = state,
            }
        }
        let question = objs
            .iter()
            .find(|o| &o.obj == vm)
            .map(VmInfo::from_content)
            .and_then(|v| v.question);
        if let Some(q) = question.filter(|q| !answered.contains(&q.id)) {
            answer(s, vm, vm_label, what, &q, o.auto_answer, progress)?;
            answered.push(q.id);
            continue;
        }
        if start.elapsed() >= o.timeout {
            return Err(WaitError::Timeout {
                what: what.to_string(),
                secs: o.timeout.as_secs(),
                state: last_state,
            });
        }
        std::thread::sleep(o.poll);
    }
}

fn answer(
    s: &Session,
    vm: &MoRef,
    vm_label: &str,
    what: &str,
    q: &Question,
    auto: bool,
    progress: &dyn Progress,
) -> Result<(), WaitError> {
    let default = q.default_choice().filter(|_| auto);
    let Some((key, label)) = default else {
        return Err(WaitError::Question {
            what: what.to_string(),
            text: q.text.clone(),
            choices: q.describe_choices(),
        });
    };
    let req = soap::answer_vm(vm, &q.id, key).map_err(body)?;
    s.call(&req)?;
    progress.line(
        vm_label,
        &format!(
            "answered the VM question {:?} with its default {label:?}",
            q.text
        ),
    );
    Ok(())
}
