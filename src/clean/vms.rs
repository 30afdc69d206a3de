//! The VMs of Podman and Colima in a clean: a Podman machine lives in Podman's own
//! directories, a Colima profile's VM runs from `.pixi/colima`, and neither goes away with a
//! directory. Each is planned from the runtime's own files, refused while it runs unless
//! `--force`, and removed through the runtime's own CLI before any path.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::fsutil::{self, is_real_dir};
use super::{Kind, Plan};
use crate::diag::Diagnostic;
use crate::process;
use crate::project::Project;
use crate::runtime::lima::{InstanceDir, ShortHomes};
use crate::runtime::{colima, podman};
use crate::ui::display_path;

/// Whose VM it is, and what its runtime needs to find it again.
#[derive(Debug, Clone)]
pub enum Owner {
    /// A Podman machine, of this provider's directory.
    Podman(podman::MachineRecord),
    /// A Colima profile of the project's `COLIMA_HOME`, its Lima instance in `lima_home`.
    Colima { lima_home: PathBuf },
}

/// A VM the plan removes through its runtime's CLI.
#[derive(Debug, Clone)]
pub struct Vm {
    pub name: String,
    pub running: bool,
    pub owner: Owner,
}

impl Vm {
    pub fn kind(&self) -> Kind {
        match self.owner {
            Owner::Podman(_) => Kind::PodmanMachine,
            Owner::Colima { .. } => Kind::ColimaProfile,
        }
    }

    pub fn status(&self) -> &'static str {
        if self.running { "running" } else { "stopped" }
    }

    /// `podman machine berth-app-1a2b3c4d`, `colima profile berth-app`.
    pub fn display(&self) -> String {
        match self.owner {
            Owner::Podman(_) => format!("podman machine {}", self.name),
            Owner::Colima { .. } => format!("colima profile {}", self.name),
        }
    }

    /// The key naming it in `--json`: `machine` or `profile`.
    pub fn json_key(&self) -> &'static str {
        match self.owner {
            Owner::Podman(_) => "machine",
            Owner::Colima { .. } => "profile",
        }
    }

    pub fn reason(&self) -> String {
        match &self.owner {
            Owner::Podman(machine) => format!(
                "the project's Podman machine ({}, {} provider)",
                self.status(),
                machine.provider
            ),
            Owner::Colima { .. } => format!("the project's Colima VM ({})", self.status()),
        }
    }

    /// How to stop it by hand, for the refusal without `--force`.
    fn stop_hint(&self) -> String {
        match &self.owner {
            Owner::Podman(machine) => format!(
                "CONTAINERS_MACHINE_PROVIDER={} podman machine stop {}",
                machine.provider, self.name
            ),
            Owner::Colima { .. } => "berth container stop".to_string(),
        }
    }
}

/// A VM in the `removed`, `failed` and `not_removed` lists: `--json` names it by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmName {
    pub name: String,
    /// `podman machine NAME`, `colima profile NAME`.
    pub display: String,
    /// `machine` or `profile`.
    pub key: &'static str,
}

impl serde::Serialize for VmName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl Vm {
    pub fn removal_name(&self) -> VmName {
        VmName {
            name: self.name.clone(),
            display: self.display(),
            key: self.json_key(),
        }
    }
}

/// The project's Podman machines (those whose first volume is the project root, whatever
/// their name came from) and Colima profiles, then `.pixi/colima` and the short directory its
/// Lima state may live in.
pub fn plan_project(plan: &mut Plan, project: &Project) -> Result<()> {
    let envs = Some(project.layout.envs_dir.as_path());
    for machine in podman::berth_machines() {
        if machine.project_root.as_deref() == Some(project.root.as_path()) {
            add_podman_machine(plan, machine, envs);
        }
    }
    let colima_home = colima::colima_home(&project.layout);
    for (name, lima_home) in colima::profiles_on_disk(&project.layout) {
        let instance_dir = lima_home.join(colima::lima_instance(&name));
        plan.vms.push(Vm {
            name,
            running: InstanceDir::new(instance_dir)
                .processes()
                .is_ok_and(|p| p.host_agent.is_some() || p.driver.is_some()),
            owner: Owner::Colima { lima_home },
        });
    }
    if fsutil::exists(&colima_home) {
        let reason = "the project's COLIMA_HOME (Colima's settings, sockets and Lima state)";
        plan.push(&colima_home, &project.root, Kind::ColimaHome, reason.into())?;
    }
    // Where berth makes it now, or made it before.
    for short in ShortHomes::Colima.of_project(&project.layout) {
        if is_real_dir(&short) {
            let anchor = short.parent().unwrap_or(&short).to_path_buf();
            let reason = "short-path LIMA_HOME of the project's Colima VM";
            plan.push(&short, &anchor, Kind::ShortPath, reason.into())?;
        }
    }
    Ok(())
}

/// berth's Podman machines whose project is gone; those of projects that still exist stay,
/// with a note saying where to clean them.
pub fn plan_global(plan: &mut Plan) {
    for machine in podman::berth_machines() {
        match &machine.project_root {
            Some(root) if !fsutil::exists(root) => add_podman_machine(plan, machine, None),
            Some(root) => plan.notes.push(format!(
                "podman machine `{}` stays: its project `{}` exists (run `berth system clean` there)",
                machine.name,
                display_path(root)
            )),
            None => plan.notes.push(format!(
                "podman machine `{}` stays: it names no project",
                machine.name
            )),
        }
    }
}

fn add_podman_machine(plan: &mut Plan, machine: podman::MachineRecord, envs: Option<&Path>) {
    match podman::machine_active(&machine, envs) {
        Ok(running) => plan.vms.push(Vm {
            name: machine.name.clone(),
            running,
            owner: Owner::Podman(machine),
        }),
        Err(err) => plan.notes.push(format!(
            "podman machine `{}` stays: berth could not ask Podman about it: {err:#}",
            machine.name
        )),
    }
}

/// Refuse, before anything is removed, a running VM without `--force`, or one whose runtime
/// is not installed to stop it (Podman's state came from `podman` itself).
pub fn preflight(plan: &Plan, force: bool, envs_dir: Option<&Path>) -> Result<()> {
    let Some(first) = plan.vms.iter().find(|vm| vm.running) else {
        return Ok(());
    };
    if force {
        if plan
            .vms
            .iter()
            .any(|vm| vm.running && vm.kind() == Kind::ColimaProfile)
        {
            process::require_program("colima", envs_dir).context(
                "a Colima profile is running and only colima can stop it; nothing was removed",
            )?;
        }
        return Ok(());
    }
    bail!(
        Diagnostic::new(format!(
            "{} is running; nothing was removed",
            first.display()
        ))
        .help(format!(
            "stop it first (`{}`), or rerun with --force to stop it",
            first.stop_hint()
        ))
    )
}

/// Remove one VM through its runtime: Podman stops a running machine, then removes it;
/// Colima's `delete` stops and deletes the VM with its data disk.
pub fn remove(vm: &Vm, project: Option<&Project>) -> Result<()> {
    let envs = project.map(|p| p.layout.envs_dir.as_path());
    match &vm.owner {
        Owner::Podman(machine) => podman::remove_machine(machine, vm.running, envs),
        Owner::Colima { lima_home } => {
            let Some(project) = project else {
                bail!("a Colima profile is only removed from its project");
            };
            colima::delete_for_clean(&project.layout, &vm.name, lima_home, vm.running)
        }
    }
}
