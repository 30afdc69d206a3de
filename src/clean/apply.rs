//! Carrying out a [`Plan`]: stop what must be stopped, delete instances through `limactl`,
//! remove the rest, in order. The first failure stops the run, so every path after it is
//! left exactly as it was, and the [`Outcome`] says what was and was not removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::fsutil::{self, confined};
use super::{Instance, Plan, Target};
use crate::diag::Diagnostic;
use crate::process::{self, ChildRecord, Streamed, signals};
use crate::runtime::Interrupted;
use crate::ui::{self, display_path};

/// What a run removed, and where it stopped if it did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub removed: Vec<PathBuf>,
    /// The path that could not be removed, and why.
    pub failed: Option<(PathBuf, String)>,
    /// SIGINT or SIGTERM stopped the run (after the `failed` path, or between two paths).
    pub interrupted: bool,
    /// Planned paths left untouched because an earlier one failed.
    pub not_removed: Vec<PathBuf>,
    pub bytes_freed: u64,
}

/// Check, before anything is removed, that every running instance may and can be stopped:
/// `--force` was given and `limactl` exists.
pub fn preflight(
    plan: &Plan,
    force: bool,
    limactl: Option<&Path>,
    envs_dir: Option<&Path>,
) -> Result<()> {
    let running: Vec<&Instance> = plan.running_instances().collect();
    if running.is_empty() {
        return Ok(());
    }
    let names = running
        .iter()
        .map(|i| format!("`{}`", i.name))
        .collect::<Vec<_>>()
        .join(", ");
    if !force {
        let first = running[0];
        bail!(
            Diagnostic::new(format!(
                "Lima instance {names} is running; nothing was removed"
            ))
            .help(format!(
                "stop it first (`LIMA_HOME={} limactl stop {}`), or rerun with --force to stop it",
                first.lima_home.display(),
                first.name
            ))
        );
    }
    if limactl.is_none() {
        return process::require_program("limactl", envs_dir)
            .map(drop)
            .with_context(|| {
                format!("Lima instance {names} is running and only limactl can stop it")
            });
    }
    Ok(())
}

/// How clean calls `limactl`: the program, and the file naming it while it runs.
pub struct Limactl<'a> {
    pub program: &'a Path,
    /// Names the running limactl (project scope only: a global clean has no project).
    pub record: Option<&'a ChildRecord>,
}

/// Remove every planned path in order. `limactl` deletes instances when it is found; without
/// it a stopped instance's directory is removed directly. Ctrl-C or SIGTERM stop the run
/// between two paths (a running `limactl` gets the SIGINT), never half-way through a
/// directory berth removes itself.
pub fn apply(plan: &Plan, limactl: Option<&Limactl>) -> Outcome {
    let _interrupts = signals::CatchInterrupts::new();
    let mut outcome = Outcome::default();
    let mut targets = plan.targets.iter().peekable();
    while let Some(target) = targets.peek() {
        if signals::interrupted() {
            outcome.interrupted = true;
            break;
        }
        let target = *target;
        targets.next();
        match remove_target(target, limactl) {
            Ok(()) => {
                ui::step("Removed", &display_path(&target.path));
                outcome.removed.push(target.path.clone());
                outcome.bytes_freed += target.bytes;
            }
            Err(err) => {
                outcome.interrupted = err.is::<Interrupted>();
                let chain = format!("{err:#}");
                outcome.failed = Some((target.path.clone(), chain));
                break;
            }
        }
    }
    outcome.not_removed = targets.map(|t| t.path.clone()).collect();
    outcome
}

fn remove_target(target: &Target, limactl: Option<&Limactl>) -> Result<()> {
    // Checked again: the disk may have changed since the plan was made.
    let path = confined(&target.path, &target.anchor)?;
    if let Some(instance) = &target.instance {
        delete_instance(instance, &path, limactl)?;
    }
    if fsutil::exists(&path) {
        fsutil::remove(&path)?;
    }
    Ok(())
}

/// Stop the instance if it runs, then let Lima delete it (it also unregisters it and
/// reconciles networks). Whatever Lima leaves behind is removed by the caller.
fn delete_instance(instance: &Instance, dir: &Path, limactl: Option<&Limactl>) -> Result<()> {
    let Some(limactl) = limactl else {
        if instance.running {
            bail!("it is running and limactl, which could stop it, was not found");
        }
        ui::note(&format!(
            "limactl was not found; removing the stopped instance `{}` directly",
            instance.name
        ));
        return Ok(());
    };
    if instance.running {
        ui::step("Stopping", &format!("Lima instance `{}`", instance.name));
        run_limactl(limactl, instance, "stop")?;
        if fsutil::host_agent_alive(dir) {
            bail!(
                "`limactl stop {}` returned but its host agent is still alive",
                instance.name
            );
        }
    }
    if instance.has_config {
        if !fsutil::host_agent_alive(dir) {
            // A pid file naming a dead or unrelated process makes Lima refuse the delete
            // (it reads as Broken), and `delete -f` would SIGKILL that unrelated process.
            fsutil::remove_stale_runtime_files(dir)?;
        }
        run_limactl(limactl, instance, "delete")?;
    }
    Ok(())
}

fn run_limactl(limactl: &Limactl, instance: &Instance, verb: &str) -> Result<()> {
    let mut command = Command::new(limactl.program);
    command
        .arg(verb)
        .arg(&instance.name)
        .env("LIMA_HOME", &instance.lima_home);
    let mut last_line = String::new();
    let streamed = process::run_streaming(command, limactl.record, |_, line| {
        if !line.trim().is_empty() {
            last_line = line.to_string();
        }
    })?;
    match streamed {
        Streamed::Interrupted => Err(Interrupted.into()),
        Streamed::Exited(status) if status.code() != 0 => {
            let detail = if last_line.is_empty() {
                "no output"
            } else {
                &last_line
            };
            bail!(
                "`limactl {verb} {}` failed (exit {}): {detail}",
                instance.name,
                status.code()
            )
        }
        Streamed::Exited(_) => Ok(()),
    }
}
