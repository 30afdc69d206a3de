//! Container runtimes behind one interface, and the choice of one for this project.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::exit::ExitStatus;
use crate::project::Project;
use crate::settings::Settings;

pub mod docker_engine;
pub mod lima;

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

/// The error a lifecycle command returns when Ctrl-C (or SIGTERM) stopped it; berth then
/// exits 130 without an `error:` line (the runtime already said what it left behind).
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
        "auto" => auto(ctx),
        other => anyhow::bail!(
            crate::diag::error(format!("runtime `{other}` is not available yet"))
                .help("use `lima` or `docker`, or leave runtime at `auto`")
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
