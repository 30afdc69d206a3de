//! `berth exec`: one command in a workspace of its own, with limits, natively or in a
//! container (fresh or from the warm pool), and a result that says how it ended.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;

use crate::process::{Event, Watched};
use crate::settings::RuntimeKind;

pub mod cluster;
pub mod container;
mod logs;
pub mod native;
pub mod pool;
pub mod spec;
mod workspace;

pub use logs::Logs;
pub use spec::{JobLimits, JobSpec};
pub use workspace::{JobDir, Workspace};

/// The exit code of a job killed by its timeout, as `timeout(1)` uses.
pub const TIMED_OUT_EXIT_CODE: i32 = 124;
/// The exit code of a job cancelled with Ctrl-C: 128 + SIGINT.
pub const CANCELLED_EXIT_CODE: i32 = 130;

/// What `berth exec --json` prints and `result.json` holds. See the README's
/// "`berth exec --json`" section; field names are a contract.
#[derive(Debug, Clone, Serialize)]
pub struct JobResult {
    pub id: String,
    /// `native`, or the container runtime (`docker`, `lima`, ...).
    pub runtime: RuntimeKind,
    /// Whether the job ran in a warm container of `berth pool`.
    pub pooled: bool,
    /// berth's own exit code: the job's, 128+N for signal N, 124 timed out, 130 cancelled.
    pub exit_code: i32,
    /// The signal that ended the job (`SIGKILL`), if one did.
    pub signal: Option<String>,
    pub timed_out: bool,
    pub cancelled: bool,
    /// Whether the memory limit ended the job; null when berth cannot know.
    pub oom_killed: Option<bool>,
    pub duration_ms: u64,
    pub peak_memory_bytes: Option<u64>,
    /// How `--memory` was enforced: `rlimit-as`, `cgroup`, or null for no limit.
    pub memory_limit_mechanism: Option<&'static str>,
    /// The files copied back, where they are now.
    pub outputs: Vec<PathBuf>,
    pub stdout_path: PathBuf,
    pub stderr_path: PathBuf,
    pub workspace: PathBuf,
}

/// How waiting for a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited,
    TimedOut,
    Cancelled,
}

/// A finished wait: how it ended, the final status of the watched process, how long it took.
pub struct Finished {
    pub ending: Ending,
    pub status: std::process::ExitStatus,
    pub duration: Duration,
}

/// Wait for `watched` until it exits, the timeout passes or Ctrl-C arrives; in the last two
/// cases `stop` ends the job (each runner knows how) and the wait goes on until it is gone.
pub fn supervise(
    watched: &Watched,
    started: Instant,
    timeout: Option<Duration>,
    stop: impl Fn(),
) -> Result<Finished> {
    let deadline = timeout.map(|t| started + t);
    let ending = match watched.next_event(deadline)? {
        Event::Exited(status) => {
            return Ok(Finished {
                ending: Ending::Exited,
                status,
                duration: started.elapsed(),
            });
        }
        Event::DeadlinePassed => Ending::TimedOut,
        Event::Interrupted => Ending::Cancelled,
    };
    stop();
    let status = watched.wait()?;
    Ok(Finished {
        ending,
        status,
        duration: started.elapsed(),
    })
}

/// The exit code berth reports for a job that ended with `code` (128+N for signal N).
pub fn exit_code_for(ending: Ending, code: i32) -> i32 {
    match ending {
        Ending::Exited => code,
        Ending::TimedOut => TIMED_OUT_EXIT_CODE,
        Ending::Cancelled => CANCELLED_EXIT_CODE,
    }
}

/// Where a job runs.
pub enum Runner<'a> {
    Native,
    /// A container of `image`: a free one of `pool` if it has one, else a fresh one.
    Container {
        docker: &'a container::Docker,
        image: &'a str,
        pool: Option<&'a pool::Pool<'a>>,
    },
}

/// Run one job in a new workspace under `jobs_dir` and return its result.
pub fn run(jobs_dir: &std::path::Path, spec: &JobSpec, runner: Runner<'_>) -> Result<JobResult> {
    match runner {
        Runner::Native => {
            let workspace = Workspace::create(jobs_dir)?;
            let logs = prepare(spec, &workspace)?;
            let outcome = native::run(spec, &workspace, logs)?;
            finish(spec, &workspace, RuntimeKind::Native, false, outcome)
        }
        Runner::Container {
            docker,
            image,
            pool,
        } => {
            let claim = match pool {
                Some(pool) => pool.claim(image, &spec.limits)?,
                None => None,
            };
            let Some(claim) = claim else {
                let workspace = Workspace::create(jobs_dir)?;
                let logs = prepare(spec, &workspace)?;
                let outcome = container::run(docker, image, spec, &workspace, logs)?;
                return finish(spec, &workspace, docker.runtime, false, outcome);
            };
            crate::ui::debug(&format!("pool: running in {}", claim.container));
            let workspace = Workspace::create_with_work_in(jobs_dir, &claim.dir)?;
            let logs = prepare(spec, &workspace)?;
            let outcome = pool::run(docker, &claim, spec, &workspace, logs)?;
            let result = finish(spec, &workspace, docker.runtime, true, outcome)?;
            if !result.cancelled {
                fs_err::remove_dir_all(&workspace.work)?;
            }
            Ok(result)
        }
    }
}

/// Copy the inputs in and create the log files.
fn prepare(spec: &JobSpec, workspace: &Workspace) -> Result<Logs> {
    workspace.copy_inputs(&spec.inputs)?;
    crate::ui::debug(&format!(
        "job {} in {}",
        workspace.id,
        workspace.dir.display()
    ));
    Logs::create(workspace, spec.logs_only)
}

/// What a runner reports about a job it ran, before outputs are copied back.
pub struct Outcome {
    pub ending: Ending,
    /// The job's own exit code, 128+N for a death by signal N.
    pub code: i32,
    pub signal: Option<i32>,
    pub oom_killed: Option<bool>,
    pub duration: Duration,
    pub peak_memory_bytes: Option<u64>,
    pub memory_limit_mechanism: Option<&'static str>,
}

/// Copy the outputs back (unless the job was cancelled: its workspace is left as it is for
/// inspection), then write and return the result.
pub fn finish(
    spec: &JobSpec,
    workspace: &Workspace,
    runtime: RuntimeKind,
    pooled: bool,
    outcome: Outcome,
) -> Result<JobResult> {
    let outputs = if outcome.ending == Ending::Cancelled {
        Vec::new()
    } else {
        workspace.copy_outputs(&spec.outputs, &spec.output_dir)?
    };
    let result = JobResult {
        id: workspace.id.clone(),
        runtime,
        pooled,
        exit_code: exit_code_for(outcome.ending, outcome.code),
        signal: outcome.signal.map(crate::process::signal_name),
        timed_out: outcome.ending == Ending::TimedOut,
        cancelled: outcome.ending == Ending::Cancelled,
        oom_killed: outcome.oom_killed,
        duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
        peak_memory_bytes: outcome.peak_memory_bytes,
        memory_limit_mechanism: outcome.memory_limit_mechanism,
        outputs,
        stdout_path: workspace.stdout_path(),
        stderr_path: workspace.stderr_path(),
        workspace: workspace.dir.clone(),
    };
    workspace.write_result(&result)?;
    Ok(result)
}

/// Turn the words of a command into a program and its arguments.
fn split_command(command: &[OsString]) -> Result<(&OsString, &[OsString])> {
    command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("`berth exec` needs a command after `--`"))
}
