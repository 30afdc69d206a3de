//! The host's own Docker Engine (Linux, or any reachable local socket): nothing to create or
//! start, only a socket to find and ping.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::Result;

use super::{Context, Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::host;
use crate::settings::RuntimeKind;

pub struct DockerEngine<'a> {
    ctx: &'a Context<'a>,
}

impl<'a> DockerEngine<'a> {
    pub fn new(ctx: &'a Context<'a>) -> DockerEngine<'a> {
        DockerEngine { ctx }
    }
}

/// The sockets a host engine listens on: `BERTH_DOCKER_SOCKET` alone when set, else rootful,
/// then rootless (`dockerd-rootless.sh`).
fn candidate_sockets() -> Vec<PathBuf> {
    if let Some(socket) = host::var(host::BERTH_DOCKER_SOCKET).filter(|s| !s.is_empty()) {
        return vec![PathBuf::from(socket)];
    }
    let mut sockets = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(runtime_dir) = host::var("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        sockets.push(PathBuf::from(runtime_dir).join("docker.sock"));
    }
    sockets
}

/// The host engine socket something listens on, once asked: runtime selection and
/// `docker_host` both need it.
static LISTENING: OnceLock<Option<PathBuf>> = OnceLock::new();

/// The first host engine socket that accepts a connection. A connect, not a request: it is
/// all selection and pass-through need (a socket nobody listens on refuses it), and it costs
/// no round trip through the engine. Asked once per berth process.
pub fn listening_host_socket() -> Option<PathBuf> {
    LISTENING
        .get_or_init(|| {
            candidate_sockets()
                .into_iter()
                .find(|s| docker_api::accepts(s))
        })
        .clone()
}

/// Every socket a host engine was looked for at, each with why it did not answer:
/// `/var/run/docker.sock (nothing listens on it)`.
pub fn sockets_tried() -> String {
    candidate_sockets()
        .iter()
        .map(|s| format!("{} ({})", s.display(), docker_api::problem(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first "add yourself to the docker group" help among the sockets tried, if any.
pub fn sockets_help() -> Option<&'static str> {
    candidate_sockets()
        .iter()
        .find_map(|s| docker_api::problem_help(s))
}

impl Runtime for DockerEngine<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Docker
    }

    fn status(&self) -> Result<Status> {
        // Status asks the engine itself: a listener that does not answer is not running.
        let socket = candidate_sockets()
            .into_iter()
            .find(|s| docker_api::ping(s));
        let reason = socket.is_none().then(|| {
            let tried: Vec<String> = candidate_sockets()
                .iter()
                .map(|s| s.display().to_string())
                .collect();
            format!("no Docker engine answers at {}", tried.join(" or "))
        });
        let state = if socket.is_some() {
            State::Running
        } else {
            State::Stopped
        };
        Ok(Status {
            docker_host: socket.map(|s| format!("unix://{}", s.display())),
            reason,
            ..Status::new(RuntimeKind::Docker, "host", state)
        })
    }

    fn init(&self) -> Result<()> {
        self.docker_host()?;
        crate::ui::status("the host Docker engine is running; nothing to create");
        Ok(())
    }

    fn start(&self) -> Result<()> {
        self.init()
    }

    fn stop(&self, _force: bool) -> Result<()> {
        crate::ui::status("the host Docker engine is not berth's to stop; nothing done");
        Ok(())
    }

    fn delete(&self, _force: bool) -> Result<()> {
        crate::ui::status("the host Docker engine is not berth's to delete; nothing done");
        Ok(())
    }

    fn docker_host(&self) -> Result<String> {
        let _ = self.ctx;
        if let Some(socket) = listening_host_socket() {
            return Ok(format!("unix://{}", socket.display()));
        }
        let mut diagnostic = Diagnostic::new(format!(
            "no Docker engine answers on this machine: tried {}",
            sockets_tried()
        ));
        if let Some(help) = sockets_help() {
            diagnostic = diagnostic.help(help);
        }
        Err(diagnostic
            .help("start it with `sudo systemctl start docker` (or `sudo dockerd &`)")
            .help("or use a VM: set `runtime = \"lima\"` in [tool.berth] and run `berth container init`")
            .into())
    }

    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(
            Diagnostic::new("the host Docker engine has no VM to open a shell in")
                .help("use `berth docker run -it IMAGE sh` for a shell in a container")
                .into(),
        )
    }

    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(
            Diagnostic::new("the host Docker engine's logs are the system's")
                .help("read them with `journalctl -u docker`")
                .into(),
        )
    }
}
