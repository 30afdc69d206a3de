//! Container runtimes behind one interface, and the choice of one for this project.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::exit::ExitStatus;
use crate::project::Project;
use crate::settings::Settings;

pub mod apple;
pub mod apple_args;
pub mod colima;
pub mod docker_engine;
pub mod lifecycle;
pub mod lima;
pub mod mounts;
pub mod native;
pub mod podman;

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
    pub runtime: &'static str,
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
    pub fn new(runtime: &'static str, instance: impl Into<String>, state: State) -> Status {
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

/// The error a lifecycle command returns when Ctrl-C (or SIGTERM) stopped it; berth then
/// exits 128+N without an `error:` line (the runtime already said what it left behind).
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Everything a runtime needs to know about the project it serves.
pub struct Context<'a> {
    pub project: &'a Project,
    pub settings: &'a Settings,
}

/// One container runtime. Lifecycle commands map to the backend's own commands.
pub trait Runtime {
    fn name(&self) -> &'static str;
    /// The state, decided as cheaply as the backend allows (no child process when possible).
    fn status(&self) -> Result<Status>;
    /// Create if absent, start if stopped, nothing if running; ends with the engine answering.
    fn init(&self) -> Result<()>;
    fn start(&self) -> Result<()>;
    fn stop(&self, force: bool) -> Result<()>;
    fn delete(&self, force: bool) -> Result<()>;
    /// The `DOCKER_HOST` of a running runtime, or an error that says how to start it.
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

/// Why a runtime was chosen, for `-v` and `berth doctor`.
pub struct Selection<'a> {
    pub runtime: Box<dyn Runtime + 'a>,
    pub reason: String,
}

/// The runtimes `auto` considers, in its order of preference after an existing project
/// instance: an engine that already answers, then the VM managers, then Apple's CLI.
pub const AUTO_ORDER: &[&str] = &["docker", "lima", "colima", "podman", "apple", "native"];

/// Choose the runtime: the explicit setting, or under `auto` the first that fits.
pub fn select<'a>(ctx: &'a Context<'a>) -> Result<Selection<'a>> {
    let name = ctx.settings.runtime.value.as_str();
    let selection = if name == "auto" {
        auto(ctx)?
    } else {
        Selection {
            runtime: build(ctx, name)?,
            reason: format!("runtime = {name} ({})", ctx.settings.runtime.source),
        }
    };
    crate::ui::debug(&format!(
        "runtime: {} ({})",
        selection.runtime.name(),
        selection.reason
    ));
    Ok(selection)
}

/// The backend called `name` (one of `settings::RUNTIMES` but `auto`). The VM runtimes name
/// their VM after `instance` (Colima's is a Lima instance too), so Lima's name rule is checked
/// here, before any of them is asked anything.
pub fn build<'a>(ctx: &'a Context<'a>, name: &str) -> Result<Box<dyn Runtime + 'a>> {
    if matches!(name, "lima" | "colima" | "podman") {
        lima::name::check(&ctx.settings.instance)?;
    }
    Ok(match name {
        "lima" => Box::new(lima::Lima::new(ctx)),
        "docker" => Box::new(docker_engine::DockerEngine::new(ctx)),
        "colima" => Box::new(colima::Colima::new(ctx)),
        "podman" => Box::new(podman::Podman::new(ctx)),
        "apple" => Box::new(apple::Apple::new(ctx)?),
        _ => Box::new(native::Native),
    })
}

/// `auto`: keep what the project already uses, else the first runtime that can work here.
fn auto<'a>(ctx: &'a Context<'a>) -> Result<Selection<'a>> {
    let existing = [
        ("lima", lima::Lima::new(ctx).instance_exists()),
        ("colima", colima::Colima::new(ctx).exists()),
        ("podman", podman::Podman::new(ctx).exists()),
    ];
    if let Some((name, _)) = existing.iter().find(|(_, exists)| *exists) {
        return Ok(Selection {
            runtime: build(ctx, name)?,
            reason: format!("the project's {name} instance exists"),
        });
    }
    for name in AUTO_ORDER {
        if let Some(reason) = available(ctx, name) {
            return Ok(Selection {
                runtime: build(ctx, name)?,
                reason,
            });
        }
    }
    unreachable!("native is always available")
}

/// Why runtime `name` could serve this project, or `None`. Cheap: a socket connect or a PATH
/// lookup, except Apple's, which asks `sw_vers` only on macOS on Apple silicon.
pub fn available(ctx: &Context<'_>, name: &str) -> Option<String> {
    let envs = Some(ctx.project.layout.envs_dir.as_path());
    let installed = |tool: &str| {
        crate::process::find_program(tool, envs)
            .map(|path| format!("{tool} is installed at {}", path.display()))
    };
    match name {
        "docker" => docker_engine::listening_host_socket()
            .map(|socket| format!("a Docker engine listens at {}", socket.display())),
        "lima" => installed("limactl"),
        "colima" => installed("colima"),
        "podman" => installed("podman"),
        "apple" => apple::detect(envs)
            .ok()
            .map(|support| format!("macOS {} with Apple's container CLI", support.macos_version)),
        "native" => Some("always: `berth exec` jobs as local processes".into()),
        _ => None,
    }
}

/// Whether something listens on the Unix socket at `path`: one connect, no request.
pub fn socket_accepts(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect(path).is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Whether a Docker engine answers `GET /_ping` on the Unix socket at `path`, within a short
/// timeout. A connect and one request: no child process.
pub fn docker_ping(path: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::io::{Read, Write};
        use std::os::unix::net::UnixStream;
        use std::time::Duration;
        let Ok(mut stream) = UnixStream::connect(path) else {
            return false;
        };
        let timeout = Some(Duration::from_secs(2));
        if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
            return false;
        }
        if stream
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            .is_err()
        {
            return false;
        }
        let mut reply = Vec::new();
        let _ = stream.read_to_end(&mut reply);
        let reply = String::from_utf8_lossy(&reply);
        reply.starts_with("HTTP/1.") && reply.split_whitespace().nth(1) == Some("200")
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}
