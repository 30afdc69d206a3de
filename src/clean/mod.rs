//! `berth system clean`: decide what goes (a [`Plan`]), then remove it ([`apply`]).
//!
//! Planning reads the disk (and, for a project, asks its running engine for the containers
//! of its `berth pool` and the services its killed cluster jobs left) and changes nothing;
//! applying removes exactly what was planned, in order, and stops at the first failure so
//! everything after it stays intact.
//! Symlinks are never followed out of a target, with one exception: the short-path Lima home
//! that berth itself recorded in `.pixi/berth/lima-home-target`.

mod apply;
mod forwards;
mod fsutil;
mod plan;
mod vms;

use std::path::PathBuf;

use serde::Serialize;

use crate::runtime::State;

pub use apply::{Outcome, Removal, apply, preflight};
pub use forwards::Forward;
pub use plan::{plan_global, plan_project};
pub use vms::{Vm, remove as remove_vm};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Project,
    Global,
}

/// What a planned path is; the `kind` field of `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A Lima instance directory, deleted through `limactl delete` when limactl is found.
    Instance,
    /// The project's `LIMA_HOME` (`.pixi/lima`) as a real directory, without its instances.
    LimaHome,
    /// `.pixi/lima` as a symlink: only the link is removed.
    LimaHomeLink,
    /// The short-path directory a long project path's `.pixi/lima` points to.
    ShortPath,
    /// A short-path directory whose project root no longer exists.
    OrphanedShortPath,
    /// `.pixi/docker`, the project's `DOCKER_CONFIG`.
    DockerConfig,
    /// `.pixi/berth`: caches, logs, locks, job workspaces.
    BerthState,
    /// `_config` of a LIMA_HOME, or the files in it Lima writes again when missing (its ssh
    /// identity); never the user's own settings there.
    LimaConfig,
    /// Lima's download cache (images).
    DownloadCache,
    /// A warm container of `berth pool`, removed with `docker rm -f`.
    PoolContainer,
    /// The Swarm service of a cluster job whose berth was killed, removed with `docker
    /// service rm`.
    JobService,
    /// A Podman machine of berth's, removed with `podman machine rm`.
    PodmanMachine,
    /// A Colima profile's VM, removed with `colima delete`.
    ColimaProfile,
    /// `.pixi/colima`, the project's `COLIMA_HOME`.
    ColimaHome,
    /// The project's ssh forward (`~/.berth/ssh/<id>`), its ssh master ended first.
    SshForward,
    /// An ssh forward whose project root no longer exists.
    OrphanedSshForward,
}

/// What berth made on the project's engine and a clean removes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// A container of the project's `berth pool`.
    PoolContainer,
    /// The Swarm service of a cluster job whose berth was killed outright.
    JobService,
}

/// A pool container or a leftover job service, as the engine listed it.
#[derive(Debug, Clone)]
pub struct EngineObject {
    pub kind: EngineKind,
    pub name: String,
    pub id: String,
    /// A container's state as the engine says it (`running`, `exited`, ...); `orphaned` for
    /// a job service, which is only planned once its berth is gone.
    pub state: String,
}

impl EngineObject {
    pub fn reason(&self) -> String {
        match self.kind {
            EngineKind::PoolContainer => format!("warm container of `berth pool` ({})", self.state),
            EngineKind::JobService => {
                "service of a cluster job whose berth was killed (its tasks may still run)".into()
            }
        }
    }

    fn kind(&self) -> Kind {
        match self.kind {
            EngineKind::PoolContainer => Kind::PoolContainer,
            EngineKind::JobService => Kind::JobService,
        }
    }

    pub fn removal(&self) -> Removal {
        match self.kind {
            EngineKind::PoolContainer => Removal::Container(self.name.clone()),
            EngineKind::JobService => Removal::Service(self.name.clone()),
        }
    }
}

/// A Lima instance, as clean sees it.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    /// The `LIMA_HOME` it lives in (the real directory, symlinks resolved).
    pub lima_home: PathBuf,
    /// `Running` (its host agent runs), `Broken` (its VM runs without a host agent: a crash)
    /// or `Stopped`. Only a stopped one can be deleted without stopping it first.
    pub state: State,
    /// It has a `lima.yaml`, so `limactl` recognises it as an instance.
    pub has_config: bool,
}

impl Instance {
    pub fn status(&self) -> &'static str {
        match self.state {
            State::Running => "running",
            State::Broken => "broken",
            State::Stopped | State::Absent => "stopped",
        }
    }

    /// Whether a process of it still runs, so it must be stopped before it is deleted.
    pub fn runs(&self) -> bool {
        matches!(self.state, State::Running | State::Broken)
    }
}

/// What runs from a planned path and is ended before the path goes.
#[derive(Debug, Clone)]
pub enum Occupant {
    /// A Lima instance, deleted through `limactl`.
    Instance(Instance),
    /// The ssh master of a forward directory.
    Forward(Forward),
}

/// A path the plan leaves alone on purpose (a file the user wrote), with why.
#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    pub path: PathBuf,
    pub reason: String,
}

/// One path the plan removes.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// Disk usage as `du -s -P` counts it: allocated blocks, links not followed.
    pub bytes: u64,
    pub reason: String,
    pub kind: Kind,
    pub occupant: Option<Occupant>,
    /// The directory the path must stay inside; checked when planning and again just before
    /// removal.
    anchor: PathBuf,
}

/// Everything one `berth system clean` run would remove, in the order it removes it: pool
/// containers and leftover job services (while their engine still runs), the VMs of Podman
/// and Colima, then paths.
#[derive(Debug)]
pub struct Plan {
    pub scope: Scope,
    pub on_engine: Vec<EngineObject>,
    pub vms: Vec<Vm>,
    pub targets: Vec<Target>,
    /// Files the plan keeps on purpose; listed with the plan and in `--json`.
    pub kept: Vec<Kept>,
    /// Other things seen and left alone, or not checked, in words.
    pub notes: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.on_engine.is_empty() && self.vms.is_empty() && self.targets.is_empty()
    }

    pub fn total_bytes(&self) -> u64 {
        self.targets.iter().map(|t| t.bytes).sum()
    }

    /// The instances that must be stopped before they can be deleted.
    pub fn instances_to_stop(&self) -> impl Iterator<Item = &Instance> {
        self.targets
            .iter()
            .filter_map(|t| match &t.occupant {
                Some(Occupant::Instance(instance)) => Some(instance),
                _ => None,
            })
            .filter(|i| i.runs())
    }

    /// The ssh forwards the plan removes.
    pub fn forwards(&self) -> impl Iterator<Item = &Forward> {
        self.targets.iter().filter_map(|t| match &t.occupant {
            Some(Occupant::Forward(forward)) => Some(forward),
            _ => None,
        })
    }

    /// The plan as the `plan` array of `--json`. A container's or service's entry names it
    /// and its id where a path's names the path; its `bytes` is 0 (the engine owns its
    /// storage).
    pub fn json_entries(&self) -> serde_json::Value {
        let on_engine = self.on_engine.iter().map(|object| {
            let mut entry = serde_json::json!({
                "id": object.id,
                "status": object.state,
                "bytes": 0,
                "reason": object.reason(),
                "kind": object.kind(),
            });
            let removal = object.removal();
            entry[removal.json_key()] = object.name.clone().into();
            entry
        });
        let vms = self.vms.iter().map(|vm| {
            let mut entry = serde_json::json!({
                "status": vm.status(),
                "bytes": 0,
                "reason": vm.reason(),
                "kind": vm.kind(),
            });
            entry[vm.json_key()] = vm.name.clone().into();
            entry
        });
        let paths = self.targets.iter().map(|t| {
            let mut entry = serde_json::json!({
                "path": t.path,
                "bytes": t.bytes,
                "reason": t.reason,
                "kind": t.kind,
            });
            match &t.occupant {
                Some(Occupant::Instance(instance)) => {
                    entry["instance"] = instance.name.clone().into();
                    entry["status"] = instance.status().into();
                }
                Some(Occupant::Forward(forward)) => {
                    entry["status"] = forward.status().into();
                    if let Some(master) = &forward.master {
                        entry["pid"] = master.pid.into();
                    }
                }
                None => {}
            }
            entry
        });
        on_engine.chain(vms).chain(paths).collect()
    }
}
