//! Container runtimes behind one interface: what a runtime is asked ([`Runtime`]) and what it
//! answers ([`Status`]). Choosing and building one for a project is [`selection`]'s job.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::exit::ExitStatus;
use crate::project::Project;
use crate::settings::{RuntimeKind, Settings};

pub mod apple;
pub mod apple_args;
pub mod colima;
pub mod docker_engine;
pub mod lifecycle;
pub mod lima;
pub mod mounts;
pub mod native;
pub mod podman;
pub mod project_marker;
pub mod selection;
pub mod ssh;
pub mod unix_socket;

/// The state of a runtime, as `berth container status` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Running,
    Stopped,
    Broken,
    Absent,
}

/// What `berth container status --json` prints: every key always present (null when the
/// backend does not know it), plus `reason` when berth knows why the state is not `running`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub runtime: RuntimeKind,
    pub instance: String,
    pub state: State,
    pub docker_host: Option<String>,
    pub lima_home: Option<PathBuf>,
    pub cpus: Option<u32>,
    pub memory: Option<String>,
    pub disk: Option<String>,
    pub lima_version: Option<String>,
    /// Why the state is not `running`, when berth knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The size of a runtime's VM, for [`Status`]: sizes with their unit (`4GiB`, `1536MiB`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpus: Option<u32>,
    pub memory: Option<String>,
    pub disk: Option<String>,
}

impl Status {
    /// What every runtime knows; the other keys stay `null` unless the runtime sets them
    /// (`Status { docker_host, ..Status::new(…) }`).
    pub fn new(runtime: RuntimeKind, instance: impl Into<String>, state: State) -> Status {
        Status {
            runtime,
            instance: instance.into(),
            state,
            docker_host: None,
            lima_home: None,
            cpus: None,
            memory: None,
            disk: None,
            lima_version: None,
            reason: None,
        }
    }

    /// This status with the VM's size filled in.
    pub fn with_resources(self, resources: Resources) -> Status {
        Status {
            cpus: resources.cpus,
            memory: resources.memory,
            disk: resources.disk,
            ..self
        }
    }
}

/// The longest Unix socket path a runtime would make for this project, and the limit the OS
/// puts on such paths (104 bytes on macOS, 108 on Linux): `berth doctor`'s `socket_budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SocketBudget {
    /// Whose sockets they are, for messages: `Lima`, `Colima`.
    #[serde(skip)]
    pub owner: &'static str,
    pub length: usize,
    pub limit: usize,
    /// What to do when they do not fit.
    #[serde(skip)]
    pub help: &'static str,
}

impl SocketBudget {
    /// Whether the paths fit: the OS (and Lima) refuse a path of `limit` bytes or more.
    pub fn fits(&self) -> bool {
        self.length < self.limit
    }
}

/// Everything a runtime needs to know about the project it serves.
pub struct Context<'a> {
    pub project: &'a Project,
    pub settings: &'a Settings,
}

/// One container runtime. Lifecycle commands map to the backend's own commands.
pub trait Runtime {
    fn kind(&self) -> RuntimeKind;
    /// The state, decided as cheaply as the backend allows (no child process when possible).
    fn status(&self) -> Result<Status>;
    /// Create if absent, start if stopped, nothing if running; ends with the engine answering.
    fn init(&self) -> Result<()>;
    fn start(&self) -> Result<()>;
    fn stop(&self, force: bool) -> Result<()>;
    fn delete(&self, force: bool) -> Result<()>;
    /// The `DOCKER_HOST` of a running runtime, checked to answer now (a connect or a ping,
    /// which `app` relies on rather than checking again), or an error that says how to start
    /// it.
    fn docker_host(&self) -> Result<String>;
    /// The command that runs the docker words `args` when this runtime runs them itself
    /// (Apple `container`, which has no Docker API socket); `None` means "run the docker CLI
    /// with `docker_host()`".
    fn docker_command(&self, args: &[std::ffi::OsString]) -> Result<Option<std::process::Command>> {
        let _ = args;
        Ok(None)
    }
    fn shell(&self, command: &[std::ffi::OsString]) -> Result<ExitStatus>;
    fn logs(&self, follow: bool) -> Result<ExitStatus>;
    /// The socket paths this runtime would make for the project, where their length is
    /// limited (`None`: its sockets are not under the project, so its depth does not matter).
    fn socket_budget(&self) -> Option<SocketBudget> {
        None
    }
}
