//! Carrying out a [`Plan`]: stop what must be stopped, delete instances through `limactl`,
//! remove the rest, in order. The first failure stops the run, so every path after it is
//! left exactly as it was, and the [`Outcome`] says what was and was not removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::fsutil::{self, confined};
use super::{Instance, Plan, Target};
use crate::diag::Diagnostic;
use crate::process;
use crate::ui::{self, display_path};

/// What a run removed, and where it stopped if it did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub removed: Vec<PathBuf>,
    /// The path that could not be removed, and why.
    pub failed: Option<(PathBuf, String)>,
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

/// Remove every planned path in order. `limactl` deletes instances when it is found; without
/// it a stopped instance's directory is removed directly.
pub fn apply(plan: &Plan, limactl: Option<&Path>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut targets = plan.targets.iter();
    for target in targets.by_ref() {
        match remove_target(target, limactl) {
            Ok(()) => {
                ui::step("Removed", &display_path(&target.path));
                outcome.removed.push(target.path.clone());
                outcome.bytes_freed += target.bytes;
            }
            Err(err) => {
                let chain = format!("{err:#}");
                outcome.failed = Some((target.path.clone(), chain));
                break;
            }
        }
    }
    outcome.not_removed = targets.map(|t| t.path.clone()).collect();
    outcome
}

fn remove_target(target: &Target, limactl: Option<&Path>) -> Result<()> {
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
fn delete_instance(instance: &Instance, dir: &Path, limactl: Option<&Path>) -> Result<()> {
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
        run_limactl(limactl, instance, "delete")?;
    }
    Ok(())
}

fn run_limactl(limactl: &Path, instance: &Instance, verb: &str) -> Result<()> {
    let mut command = Command::new(limactl);
    command
        .arg(verb)
        .arg(&instance.name)
        .env("LIMA_HOME", &instance.lima_home);
    let captured = process::capture(command)?;
    if captured.status.code() != 0 {
        let detail = captured
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        bail!(
            "`limactl {verb} {}` failed (exit {}): {detail}",
            instance.name,
            captured.status.code()
        );
    }
    Ok(())
}
