//! The host's own Docker Engine (Linux, or any reachable local socket): nothing to create or
//! start, only a socket to find and ping.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Result;

use super::{Context, Runtime, State, Status, docker_ping};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host;

pub struct DockerEngine<'a> {
    ctx: &'a Context<'a>,
}

impl<'a> DockerEngine<'a> {
    pub fn new(ctx: &'a Context<'a>) -> DockerEngine<'a> {
        DockerEngine { ctx }
    }
}

/// The sockets a host engine listens on: rootful, then rootless.
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

/// The first host engine socket that answers a ping.
pub fn reachable_host_socket() -> Option<PathBuf> {
    candidate_sockets().into_iter().find(|s| docker_ping(s))
}

impl Runtime for DockerEngine<'_> {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn status(&self) -> Result<Status> {
        let socket = reachable_host_socket();
        let reason = socket.is_none().then(|| {
            let tried: Vec<String> = candidate_sockets()
                .iter()
                .map(|s| s.display().to_string())
                .collect();
            format!("no Docker engine answers at {}", tried.join(" or "))
        });
        Ok(Status {
            runtime: "docker",
            instance: "host".to_string(),
            state: if socket.is_some() {
                State::Running
            } else {
                State::Stopped
            },
            docker_host: socket.map(|s| format!("unix://{}", s.display())),
            lima_home: None,
            cpus: None,
            memory: None,
            disk: None,
            lima_version: None,
            reason,
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
        match reachable_host_socket() {
            Some(socket) => Ok(format!("unix://{}", socket.display())),
            None => Err(Diagnostic::new("no Docker engine answers on this machine")
                .help("start it with `sudo systemctl start docker` (or `sudo dockerd &`)")
                .help("or use a VM: set `runtime = \"lima\"` in [tool.berth] and run `berth container init`")
                .into()),
        }
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
