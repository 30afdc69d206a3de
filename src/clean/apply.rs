//! Carrying out a [`Plan`]: remove pool containers and leftover job services through
//! `docker`, stop what must be stopped, delete instances through `limactl` (the runtime's own
//! wrapper), remove the rest, in order. The first failure stops the run, so every path after
//! it is left exactly as it was, and the [`Outcome`] says what was and was not removed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::fsutil::{self, confined};
use super::vms::VmName;
use super::{EngineKind, EngineObject, Instance, Kind, Occupant, Plan, Target, Vm, forwards, vms};
use crate::diag::Diagnostic;
use crate::exit::Interrupted;
use crate::jobs::JobDir;
use crate::jobs::container::Docker;
use crate::process::{self, signals};
use crate::project::Layout;
use crate::runtime::State;
use crate::runtime::lima::InstanceDir;
use crate::runtime::lima::limactl::{self, Limactl};
use crate::ui::{self, display_path};

/// One thing a plan removes. In `--json` lists it is the path, or the container's or
/// service's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Removal {
    Path(PathBuf),
    Container(String),
    Service(String),
    Vm(VmName),
}

impl Removal {
    /// How messages name it.
    pub fn display(&self) -> String {
        match self {
            Removal::Path(path) => display_path(path),
            Removal::Container(name) => format!("pool container {name}"),
            Removal::Service(name) => format!("swarm service {name}"),
            Removal::Vm(vm) => vm.display.clone(),
        }
    }

    /// The key naming it in a `--json` object: `path`, `container`, `service` or the VM's.
    pub fn json_key(&self) -> &'static str {
        match self {
            Removal::Path(_) => "path",
            Removal::Container(_) => "container",
            Removal::Service(_) => "service",
            Removal::Vm(vm) => vm.key,
        }
    }
}

/// What a run removed, and where it stopped if it did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub removed: Vec<Removal>,
    /// What could not be removed, and why.
    pub failed: Option<(Removal, String)>,
    /// SIGINT or SIGTERM stopped the run (after the `failed` removal, or between two).
    pub interrupted: bool,
    /// Planned removals left undone because an earlier one failed or the run was stopped.
    pub not_removed: Vec<Removal>,
    pub bytes_freed: u64,
}

/// Check, before anything is removed, that no job of the project (`layout`) runs, and that
/// everything of the plan that still runs (a Lima instance, a VM, an ssh master) may and can
/// be stopped: `--force` was given and the program that stops it exists.
pub fn preflight(
    plan: &Plan,
    force: bool,
    limactl: Option<&Limactl>,
    layout: Option<&Layout>,
) -> Result<()> {
    if let Some(layout) = layout {
        refuse_running_jobs(plan, layout)?;
    }
    let envs_dir = layout.map(|l| l.envs_dir.as_path());
    preflight_instances(plan, force, limactl, envs_dir)?;
    vms::preflight(plan, force, envs_dir)?;
    forwards::preflight(plan, force)
}

/// A job that runs keeps its workspace, logs and the outputs it has yet to copy back in
/// `.pixi/berth/jobs`: a plan that removes `.pixi/berth` waits for it, even with `--force`
/// (berth does not stop another berth's job; Ctrl-C in its terminal does).
fn refuse_running_jobs(plan: &Plan, layout: &Layout) -> Result<()> {
    if !plan.targets.iter().any(|t| t.kind == Kind::BerthState) {
        return Ok(());
    }
    let running = JobDir::running(&layout.jobs_dir)?;
    let Some(first) = running.first() else {
        return Ok(());
    };
    let what = match running.as_slice() {
        [_] => format!("job {first} is running, and its files are"),
        _ => format!(
            "{} jobs are running ({}), and their files are",
            running.len(),
            running.join(", ")
        ),
    };
    Err(Diagnostic::new(format!(
        "{what} in `{}`, which the plan removes",
        display_path(&layout.jobs_dir)
    ))
    .help("wait for it to end (or stop it with Ctrl-C where it runs), then rerun `berth system clean`; nothing was removed")
    .into())
}

/// The Lima instances of [`preflight`]: `limactl` stops them.
fn preflight_instances(
    plan: &Plan,
    force: bool,
    limactl: Option<&Limactl>,
    envs_dir: Option<&Path>,
) -> Result<()> {
    let running: Vec<&Instance> = plan.instances_to_stop().collect();
    let Some(first) = running.first() else {
        return Ok(());
    };
    let names = running
        .iter()
        .map(|i| format!("`{}` ({})", i.name, i.status()))
        .collect::<Vec<_>>()
        .join(", ");
    let what = match running.as_slice() {
        [one] => format!("Lima instance `{}` is {}", one.name, one.status()),
        _ => format!("Lima instances {names} still run"),
    };
    if !force {
        // Only a Running instance stops gracefully; a Broken one needs `stop -f`
        // (`pkg/instance/stop.go`, v1.0.0–v2.2.0).
        let stop = match first.state {
            State::Running => "limactl stop",
            _ => "limactl stop -f",
        };
        bail!(
            Diagnostic::new(format!("{what}; nothing was removed")).help(format!(
                "stop it first (`LIMA_HOME={} {stop} {}`), or rerun with --force to stop it",
                first.lima_home.display(),
                first.name
            ))
        );
    }
    if limactl.is_none() {
        return process::require_program("limactl", envs_dir)
            .map(drop)
            .with_context(|| format!("{what} and only limactl can stop it"));
    }
    Ok(())
}

/// Remove the planned pool containers and job services through `docker` (present whenever
/// the plan has any), then every planned path in order. `limactl` deletes instances when it
/// is found; without it a stopped instance's directory is removed directly. Ctrl-C or SIGTERM
/// stop the run between two removals (a running `limactl` gets the SIGINT), never half-way
/// through a directory berth removes itself.
pub fn apply(
    plan: &Plan,
    limactl: Option<&Limactl>,
    docker: Option<&Docker>,
    remove_vm: &dyn Fn(&Vm) -> Result<()>,
) -> Outcome {
    let _interrupts = signals::CatchInterrupts::new();
    let mut outcome = Outcome::default();
    let mut on_engine = plan.on_engine.iter().peekable();
    while let Some(object) = on_engine.peek() {
        if signals::interrupted() {
            outcome.interrupted = true;
            break;
        }
        let object = *object;
        on_engine.next();
        let removal = object.removal();
        match remove_from_engine(object, docker) {
            Ok(()) => {
                ui::step("Removed", &removal.display());
                outcome.removed.push(removal);
            }
            Err(err) => {
                outcome.failed = Some((removal, format!("{err:#}")));
                break;
            }
        }
    }
    let mut vms = plan.vms.iter().peekable();
    while outcome.failed.is_none() && !outcome.interrupted {
        let Some(vm) = vms.peek() else { break };
        if signals::interrupted() {
            outcome.interrupted = true;
            break;
        }
        let vm = *vm;
        vms.next();
        let removal = Removal::Vm(vm.removal_name());
        match remove_vm(vm) {
            Ok(()) => {
                ui::step("Removed", &removal.display());
                outcome.removed.push(removal);
            }
            Err(err) => {
                outcome.interrupted = err.is::<Interrupted>() || signals::interrupted();
                outcome.failed = Some((removal, format!("{err:#}")));
            }
        }
    }
    if outcome.failed.is_some() || outcome.interrupted {
        outcome.not_removed = on_engine
            .map(EngineObject::removal)
            .chain(vms.map(|vm| Removal::Vm(vm.removal_name())))
            .chain(plan.targets.iter().map(|t| Removal::Path(t.path.clone())))
            .collect();
        return outcome;
    }
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
                outcome.removed.push(Removal::Path(target.path.clone()));
                outcome.bytes_freed += target.bytes;
            }
            Err(err) => {
                outcome.interrupted = err.is::<Interrupted>();
                let chain = format!("{err:#}");
                outcome.failed = Some((Removal::Path(target.path.clone()), chain));
                break;
            }
        }
    }
    outcome.not_removed = targets.map(|t| Removal::Path(t.path.clone())).collect();
    outcome
}

/// `docker rm -f <id>` or `docker service rm <id>`: by id, so one of the same name made
/// since the plan is not touched. One already gone counts as removed.
fn remove_from_engine(object: &EngineObject, docker: Option<&Docker>) -> Result<()> {
    let Some(docker) = docker else {
        bail!("no Docker engine to remove it with");
    };
    let (words, gone): (&[&str], &str) = match object.kind {
        EngineKind::PoolContainer => (&["rm", "-f"], "No such container"),
        EngineKind::JobService => (&["service", "rm"], "not found"),
    };
    let captured = docker.query(words.iter().copied().chain([object.id.as_str()]))?;
    if captured.status.code() != 0 && !captured.stderr.contains(gone) {
        bail!(
            "`docker {} {}` failed (exit {}): {}",
            words.join(" "),
            object.id,
            captured.status.code(),
            captured.stderr.trim()
        );
    }
    Ok(())
}

fn remove_target(target: &Target, limactl: Option<&Limactl>) -> Result<()> {
    // Checked again: the disk may have changed since the plan was made.
    let path = confined(&target.path, &target.anchor)?;
    match &target.occupant {
        Some(Occupant::Instance(instance)) => delete_instance(instance, &path, limactl)?,
        Some(Occupant::Forward(forward)) => forwards::end_master(forward)?,
        None => {}
    }
    if fsutil::exists(&path) {
        fsutil::remove(&path)?;
    }
    Ok(())
}

/// Stop the instance if it still runs, then let Lima delete it (it also unregisters it and
/// reconciles networks). Whatever Lima leaves behind is removed by the caller.
fn delete_instance(instance: &Instance, dir: &Path, limactl: Option<&Limactl>) -> Result<()> {
    let Some(limactl) = limactl else {
        if instance.runs() {
            bail!(
                "it is {} and limactl, which could stop it, was not found",
                instance.status()
            );
        }
        ui::note(&format!(
            "limactl was not found; removing the stopped instance `{}` directly",
            instance.name
        ));
        return Ok(());
    };
    let limactl = limactl.for_home(&instance.lima_home);
    let instance_dir = InstanceDir::new(dir.to_path_buf());
    let runs = || {
        instance_dir
            .processes()
            .is_ok_and(|p| p.host_agent.is_some() || p.driver.is_some())
    };
    if instance.runs() {
        // `--force` (checked by `preflight`). A plain `limactl stop` takes only a Running
        // instance; `stop -f` also a Broken one, whose host agent died while its VM lives
        // on (`cmd/limactl/stop.go`, `pkg/instance/stop.go`, v1.0.0–v2.2.0).
        ui::step("Stopping", &format!("Lima instance `{}`", instance.name));
        limactl.run(&limactl::forced_stop(&instance_dir, &instance.name)?)?;
        if runs() {
            bail!(
                "`limactl stop -f {}` returned but a process of the instance is still alive",
                instance.name
            );
        }
    }
    if instance.has_config {
        if !runs() {
            // A pid file naming a dead or unrelated process makes Lima refuse the delete
            // (it reads as Broken), and `delete -f` would SIGKILL that unrelated process.
            fsutil::remove_stale_runtime_files(dir)?;
        }
        limactl.run(&limactl::delete(&instance_dir, &instance.name, false)?)?;
    }
    Ok(())
}
