//! No container runtime at all: only `berth exec` jobs can run, natively. Every container
//! command says so and how to get a runtime.

use std::ffi::OsString;

use anyhow::Result;

use super::{Runtime, State, Status, docker_engine};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host::Os;
use crate::settings::RuntimeKind;

pub struct Native;

fn no_runtime() -> anyhow::Error {
    Diagnostic::new("no container runtime was found (runtime: native runs only `berth exec` jobs)")
        .help(install_help())
        .help("`berth doctor` lists every runtime berth looked for")
        .into()
}

/// The error of `berth docker`, `compose` and `env`: they need an engine, so name the sockets
/// one was looked for at. An engine that stopped (a stale socket) must not read as a machine
/// that never had one.
fn no_engine() -> anyhow::Error {
    let mut diagnostic = Diagnostic::new(format!(
        "no Docker engine answers and no other container runtime was found: tried {}",
        docker_engine::sockets_tried()
    ));
    if let Some(help) = docker_engine::sockets_help() {
        diagnostic = diagnostic.help(help);
    }
    let start = match Os::current() {
        Os::Macos => "if Docker Desktop is installed, start it",
        _ => {
            "if Docker is installed, start it: `sudo systemctl start docker` (or `sudo dockerd &`)"
        }
    };
    diagnostic
        .help(start)
        .help(format!("or {}", install_help()))
        .help("`berth doctor` lists every runtime berth looked for")
        .into()
}

fn install_help() -> &'static str {
    match Os::current() {
        Os::Macos => "install one: `brew install lima docker` (then `berth container init`)",
        _ => "install one: `sudo apt-get install docker.io` (or Lima, Colima, Podman)",
    }
}

impl Runtime for Native {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Native
    }

    fn status(&self) -> Result<Status> {
        Ok(Status {
            reason: Some("no container runtime; only `berth exec` jobs run, natively".into()),
            ..Status::new(RuntimeKind::Native, "none", State::Absent)
        })
    }

    fn init(&self) -> Result<()> {
        Err(no_runtime())
    }

    fn start(&self) -> Result<()> {
        Err(no_runtime())
    }

    fn stop(&self, _force: bool) -> Result<()> {
        Err(no_runtime())
    }

    fn delete(&self, _force: bool) -> Result<()> {
        Err(no_runtime())
    }

    fn docker_host(&self) -> Result<String> {
        Err(no_engine())
    }

    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(no_runtime())
    }

    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(no_runtime())
    }
}
