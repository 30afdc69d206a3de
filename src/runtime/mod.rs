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
pub mod lima;
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

/// What `berth container status --json` prints. Backend-specific fields are optional.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub runtime: &'static str,
    pub instance: String,
    pub state: State,
    pub docker_host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lima_home: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lima_version: Option<String>,
    /// Why the state is not `running`, when berth knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

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
}

/// Why a runtime was chosen, for `-v` and `berth doctor`.
pub struct Selection<'a> {
    pub runtime: Box<dyn Runtime + 'a>,
    pub reason: String,
}

/// Choose the runtime: the explicit setting, or under `auto` the first that fits.
pub fn select<'a>(ctx: &'a Context<'a>) -> Result<Selection<'a>> {
    let explicit = ctx.settings.runtime.value.as_str();
    let (runtime, reason): (Box<dyn Runtime + 'a>, String) = match explicit {
        "lima" => (
            Box::new(lima::Lima::new(ctx)),
            format!("runtime = lima ({})", ctx.settings.runtime.source),
        ),
        "docker" => (
            Box::new(docker_engine::DockerEngine::new(ctx)),
            format!("runtime = docker ({})", ctx.settings.runtime.source),
        ),
        "apple" => (
            Box::new(apple::Apple::new(ctx)?),
            format!("runtime = apple ({})", ctx.settings.runtime.source),
        ),
        "colima" => (
            Box::new(colima::Colima::new(ctx)),
            format!("runtime = colima ({})", ctx.settings.runtime.source),
        ),
        "podman" => (
            Box::new(podman::Podman::new(ctx)),
            format!("runtime = podman ({})", ctx.settings.runtime.source),
        ),
        "auto" => auto(ctx),
        other => anyhow::bail!(
            crate::diag::error(format!("runtime `{other}` is not available yet"))
                .help("use `lima`, `docker` or `apple`, or leave runtime at `auto`")
        ),
    };
    crate::ui::debug(&format!("runtime: {} ({reason})", runtime.name()));
    Ok(Selection { runtime, reason })
}

fn auto<'a>(ctx: &'a Context<'a>) -> (Box<dyn Runtime + 'a>, String) {
    let lima = lima::Lima::new(ctx);
    if lima.instance_exists() {
        return (Box::new(lima), "the project's Lima instance exists".into());
    }
    if let Some(socket) = docker_engine::reachable_host_socket() {
        return (
            Box::new(docker_engine::DockerEngine::new(ctx)),
            format!("a Docker engine answers at {}", socket.display()),
        );
    }
    if lima.limactl_found() {
        return (Box::new(lima), "limactl is installed".into());
    }
    (
        Box::new(docker_engine::DockerEngine::new(ctx)),
        "no VM runtime found; falling back to the host Docker engine".into(),
    )
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
