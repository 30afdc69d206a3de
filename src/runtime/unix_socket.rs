//! `runtime = "unix:///path/to/docker.sock"`: any engine socket on this machine (rootless
//! Docker, Podman's API socket, a private dockerd). berth starts nothing and owns nothing:
//! the socket answers a ping, or the error says that nothing answers there.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Result;

use super::{Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::settings::RuntimeKind;
use crate::ui;

pub struct UnixSocket {
    socket: PathBuf,
}

impl UnixSocket {
    pub fn new(socket: PathBuf) -> UnixSocket {
        UnixSocket { socket }
    }

    fn docker_host_text(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Why no engine answers at the socket, when none does.
    fn not_answering(&self) -> Option<String> {
        if docker_api::ping(&self.socket) {
            return None;
        }
        Some(format!(
            "no Docker engine answers at {} ({})",
            self.socket.display(),
            docker_api::problem(&self.socket)
        ))
    }

    fn not_ours(&self, what: &str) -> Result<()> {
        ui::status(&format!(
            "the engine at {} is not berth's to {what}; nothing done",
            self.socket.display()
        ));
        Ok(())
    }
}

impl Runtime for UnixSocket {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Unix
    }

    fn status(&self) -> Result<Status> {
        let reason = self.not_answering();
        let state = if reason.is_none() {
            State::Running
        } else {
            State::Stopped
        };
        Ok(Status {
            docker_host: Some(self.docker_host_text()),
            reason,
            ..Status::new(RuntimeKind::Unix, self.docker_host_text(), state)
        })
    }

    fn init(&self) -> Result<()> {
        self.docker_host()?;
        ui::status(&format!(
            "the engine at {} answers; nothing to create",
            self.socket.display()
        ));
        Ok(())
    }

    fn start(&self) -> Result<()> {
        self.init()
    }

    fn stop(&self, _force: bool) -> Result<()> {
        self.not_ours("stop")
    }

    fn delete(&self, _force: bool) -> Result<()> {
        self.not_ours("delete")
    }

    fn docker_host(&self) -> Result<String> {
        let Some(why) = self.not_answering() else {
            return Ok(self.docker_host_text());
        };
        let mut diagnostic = Diagnostic::new(why);
        if let Some(help) = docker_api::problem_help(&self.socket) {
            diagnostic = diagnostic.help(help);
        }
        Err(diagnostic
            .help(format!(
                "start the engine that serves {} (berth does not manage it), or change \
                 `runtime` in [tool.berth]",
                self.socket.display()
            ))
            .into())
    }

    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(Diagnostic::new(format!(
            "the engine at {} has no VM to open a shell in",
            self.socket.display()
        ))
        .help("use `berth docker run -it IMAGE sh` for a shell in a container")
        .into())
    }

    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(Diagnostic::new(format!(
            "the engine at {} keeps its own logs; berth has none of it",
            self.socket.display()
        ))
        .help(
            "read them where that engine runs (`journalctl --user -u docker` for rootless Docker)",
        )
        .into())
    }
}
