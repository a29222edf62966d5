//! Many VMs: a small pool of workers (vCenter throttles concurrent tasks, so the default is
//! small) sharing one session, every VM independent of the others' failures, outcomes in
//! input order, and the state file updated as each VM finishes.

use super::exec::{Env, Outcome, Status, submit};
use super::state::{Entry, State, spec_hash};
use crate::plan::Job;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    pub parallel: usize,
    pub state: Option<PathBuf>,
    /// Apply even when the state file says the spec is unchanged.
    pub force: bool,
}

/// What a run produced: one outcome per job (input order) and a state-file write error, if
/// any (the VMs were applied all the same).
#[derive(Debug)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub state_error: Option<String>,
}

/// Runs every job; `done` is called as each finishes (for progress lines). `Err` only when
/// the state file cannot be read, before anything is sent.
pub fn run(
    env: &Env<'_>,
    jobs: &[Job],
    o: &FleetOptions,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<Report, String> {
    let server = env.session.url().to_string();
    let state = match &o.state {
        Some(p) => Some(Mutex::new(State::load(p)?)),
        None => None,
    };
    let hashes: Vec<String> = jobs.iter().map(|j| spec_hash(j, &env.plan)).collect();
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; jobs.len()]);
    let next = AtomicUsize::new(0);
    let save_error: Mutex<Option<String>> = Mutex::new(None);
    let workers = o.parallel.clamp(1, 64).min(jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let (Some(job), Some(hash)) = (jobs.get(i), hashes.get(i)) else {
                        break;
                    };
                    let skip = !o.force
                        && state
                            .as_ref()
                            .and_then(|s| s.lock().ok())
                            .is_some_and(|s| s.unchanged(&job.key, &server, hash));
                    let outcome = if skip {
                        let mut out = Outcome::new(
                            job,
                            Status::Skipped,
                            "unchanged since it was applied (state file); --force applies it again"
                                .into(),
                        );
                        if let Some(e) = state
                            .as_ref()
                            .and_then(|s| s.lock().ok())
                            .and_then(|s| s.vms.get(&job.key).cloned())
                        {
                            out.vm = Some(e.vm);
                        }
                        out
                    } else {
                        submit(env, job)
                    };
                    if !env.dry_run
                        && outcome.status != Status::Skipped
                        && let (Some(st), Some(path)) = (&state, &o.state)
                        && let Ok(mut st) = st.lock()
                    {
                        st.vms.insert(
                            job.key.clone(),
                            Entry {
                                server: server.clone(),
                                spec: hash.clone(),
                                status: if outcome.status == Status::Applied {
                                    "applied".into()
                                } else {
                                    "failed".into()
                                },
                                vm: outcome.vm.clone().unwrap_or_default(),
                                message: outcome.message.clone(),
                            },
                        );
                        if let Err(e) = st.save(path)
                            && let Ok(mut g) = save_error.lock()
                        {
                            g.get_or_insert(e);
                        }
                    }
                    done(&outcome);
                    if let Ok(mut r) = results.lock()
                        && let Some(slot) = r.get_mut(i)
                    {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    Ok(Report {
        outcomes: results
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect(),
        state_error: save_error.into_inner().ok().flatten(),
    })
}
