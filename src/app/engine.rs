//! The project's Docker engine, for the commands that talk to one (`docker`, `compose`, `env`,
//! `exec`, `pool`, `system clean`): whose `DOCKER_HOST` it is, making sure something answers
//! there (starting the runtime under `auto-start`), and the docker environment built from it.
//! The runtime is selected here, once, unless the command selected it already.

use std::ffi::OsString;

use anyhow::Result;

use super::Workspace;
use crate::diag::Diagnostic;
use crate::docker::{self, DockerEnv};
use crate::docker_api;
use crate::runtime::Runtime;
use crate::runtime::selection::{self, Selection};
use crate::settings::RuntimeKind;
use crate::{host, ui};

/// What a command does with the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Works with it: the project's `DOCKER_CONFIG` is seeded (CLI plugins), and a stopped
    /// runtime is started first when `auto-start` is on.
    Use,
    /// Looks after what already runs (`berth system clean`): writes nothing, starts nothing.
    Inspect,
}

/// The environment for the docker (or compose) words `args`: the project's engine when they
/// use it (see [`docker::uses_project_engine`]), else none, so help and the client's version
/// work while the runtime is stopped. `selected` is the runtime the command chose already.
pub fn for_words(
    workspace: &Workspace,
    args: &[OsString],
    selected: Option<&Selection<'_>>,
) -> Result<DockerEnv> {
    if docker::uses_project_engine(args) {
        return for_engine(workspace, selected, Purpose::Use);
    }
    ui::debug("this command needs no engine from berth");
    let layout = &workspace.project.layout;
    docker::seed_config(layout)?;
    Ok(DockerEnv::without_engine(layout))
}

/// The environment for talking to the project's engine, which must answer: the user's own
/// `DOCKER_HOST` when `respect-docker-host` says so, else the runtime's (`selected`, or the
/// one selected now).
pub fn for_engine(
    workspace: &Workspace,
    selected: Option<&Selection<'_>>,
    purpose: Purpose,
) -> Result<DockerEnv> {
    let layout = &workspace.project.layout;
    if purpose == Purpose::Use {
        docker::seed_config(layout)?;
    }
    let settings = &workspace.settings;
    let inherited = host::var_str(docker::DOCKER_HOST).filter(|h| !h.is_empty());
    if settings.respect_docker_host.value
        && let Some(docker_host) = inherited
    {
        ui::debug(&format!(
            "DOCKER_HOST={docker_host} from the environment (respect-docker-host, {})",
            settings.respect_docker_host.source
        ));
        ensure_answers(&docker_host)?;
        return Ok(DockerEnv::with_engine(
            layout,
            docker_host,
            RuntimeKind::Docker,
        ));
    }
    let ctx = workspace.runtime_context();
    let selected_now;
    let runtime = match selected {
        Some(selection) => selection.runtime.as_ref(),
        None => {
            selected_now = selection::select(&ctx)?;
            selected_now.runtime.as_ref()
        }
    };
    let auto_start = purpose == Purpose::Use && settings.auto_start.value;
    // A runtime's DOCKER_HOST answered as it was given (Runtime::docker_host).
    let docker_host = runtime_docker_host(runtime, auto_start)?;
    if let Some(inherited) = inherited.filter(|h| *h != docker_host) {
        ui::note(&format!(
            "using the project's engine at {docker_host}, not DOCKER_HOST={inherited} \
             (set `respect-docker-host = true` in [tool.berth] to keep yours)"
        ));
    }
    Ok(DockerEnv::with_engine(layout, docker_host, runtime.kind()))
}

/// The runtime's `DOCKER_HOST`; when it cannot serve and `auto_start` is on, after starting it.
/// Otherwise its own error, which says how to start it.
fn runtime_docker_host(runtime: &dyn Runtime, auto_start: bool) -> Result<String> {
    match runtime.docker_host() {
        Ok(docker_host) => Ok(docker_host),
        Err(err) if auto_start => {
            ui::debug(&format!("{err}; starting the runtime (auto-start)"));
            runtime.start()?;
            runtime.docker_host()
        }
        Err(err) => Err(err),
    }
}

/// One connect to the user's own `unix://` DOCKER_HOST, so a dead socket is berth's clear
/// error instead of docker's "Cannot connect". No request: an engine that listens answers
/// docker itself, and a round trip here would add to every docker call. Other schemes are
/// left to docker.
fn ensure_answers(docker_host: &str) -> Result<()> {
    let Some(socket) = docker_api::unix_socket(docker_host) else {
        return Ok(());
    };
    if docker_api::accepts(socket) {
        return Ok(());
    }
    let problem = docker_api::problem(socket);
    let mut diagnostic = Diagnostic::new(format!(
        "no Docker engine answers at {} ({problem})",
        socket.display()
    ));
    if let Some(help) = docker_api::problem_help(socket) {
        diagnostic = diagnostic.help(help);
    }
    Err(diagnostic
        .help(
            "this socket is DOCKER_HOST from your environment, kept because \
             `respect-docker-host` is on: start that engine, or unset DOCKER_HOST to use \
             the project's runtime",
        )
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::ExitStatus;
    use crate::runtime::Status;

    /// A runtime that serves only once started, counting starts.
    struct StoppedRuntime {
        started: std::cell::Cell<u32>,
    }

    impl Runtime for StoppedRuntime {
        fn kind(&self) -> RuntimeKind {
            RuntimeKind::Lima
        }
        fn status(&self) -> Result<Status> {
            unreachable!("not asked")
        }
        fn init(&self) -> Result<()> {
            unreachable!("not asked")
        }
        fn start(&self) -> Result<()> {
            self.started.set(self.started.get() + 1);
            Ok(())
        }
        fn stop(&self, _force: bool) -> Result<()> {
            unreachable!("not asked")
        }
        fn delete(&self, _force: bool) -> Result<()> {
            unreachable!("not asked")
        }
        fn docker_host(&self) -> Result<String> {
            if self.started.get() == 0 {
                Err(Diagnostic::new("instance x is stopped")
                    .help("run `berth container init`")
                    .into())
            } else {
                Ok("unix:///x/sock/docker.sock".into())
            }
        }
        fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
            unreachable!("not asked")
        }
        fn logs(&self, _follow: bool) -> Result<ExitStatus> {
            unreachable!("not asked")
        }
    }

    #[test]
    fn a_stopped_runtime_is_its_own_error_unless_auto_start_starts_it() {
        let stopped = StoppedRuntime {
            started: std::cell::Cell::new(0),
        };
        let err = runtime_docker_host(&stopped, false).expect_err("stopped");
        let diagnostic = err.downcast_ref::<Diagnostic>().expect("a diagnostic");
        assert_eq!(diagnostic.message, "instance x is stopped");
        assert_eq!(diagnostic.help, ["run `berth container init`"]);
        assert_eq!(stopped.started.get(), 0);

        let docker_host = runtime_docker_host(&stopped, true).expect("started");
        assert_eq!(docker_host, "unix:///x/sock/docker.sock");
        assert_eq!(stopped.started.get(), 1);
    }
}
