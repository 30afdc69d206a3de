//! No container runtime at all: only `berth exec` jobs can run, natively. Every container
//! command says so and how to get a runtime.

use std::ffi::OsString;

use anyhow::Result;

use super::{Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host::Os;

pub struct Native;

fn no_runtime() -> anyhow::Error {
    let install = match Os::current() {
        Os::Macos => "install one: `brew install lima docker` (then `berth container init`)",
        _ => "install one: `sudo apt-get install docker.io` (or Lima, Colima, Podman)",
    };
    Diagnostic::new("no container runtime was found (runtime: native runs only `berth exec` jobs)")
        .help(install)
        .help("`berth doctor` lists every runtime berth looked for")
        .into()
}

impl Runtime for Native {
    fn name(&self) -> &'static str {
        "native"
    }

    fn status(&self) -> Result<Status> {
        Ok(Status {
            runtime: "native",
            instance: "none".to_string(),
            state: State::Absent,
            docker_host: None,
            lima_home: None,
            cpus: None,
            memory: None,
            disk: None,
            lima_version: None,
            reason: Some("no container runtime; only `berth exec` jobs run, natively".into()),
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
        Err(no_runtime())
    }

    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(no_runtime())
    }

    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(no_runtime())
    }
}
