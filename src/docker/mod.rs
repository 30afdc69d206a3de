//! The environment of every docker call berth makes, and the commands `berth docker` and
//! `berth compose` turn into.
//!
//! A child gets `DOCKER_HOST` from the project's runtime (it outranks contexts, and SDK-based
//! tools read nothing else), `DOCKER_CONFIG=<root>/.pixi/docker` (seeded so plugins still
//! work), `LIMA_HOME=<root>/.pixi/lima`, and no `DOCKER_CONTEXT`.

mod config;
mod shell;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

pub use shell::{Shell, render as render_shell};

use crate::diag::Diagnostic;
use crate::docker_api;
use crate::host::{self, Os};
use crate::process;
use crate::runtime::{Context, Runtime, selection};
use crate::settings::RuntimeKind;
use crate::ui;

const DOCKER_HOST: &str = "DOCKER_HOST";
const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
const DOCKER_CONTEXT: &str = "DOCKER_CONTEXT";
const LIMA_HOME: &str = "LIMA_HOME";

/// The variables a docker child runs with. Every docker call berth makes (pass-through,
/// `berth exec` jobs, the pool, clean) takes its environment from here.
#[derive(Debug)]
pub struct DockerEnv {
    /// `None` when the command needs no engine or names its own (see [`DockerEnv::for_command`]).
    docker_host: Option<String>,
    /// The runtime serving `docker_host`: the selected one, or `docker` for the user's own
    /// `DOCKER_HOST` kept by `respect-docker-host`.
    runtime: Option<RuntimeKind>,
    docker_config: PathBuf,
    lima_home: PathBuf,
    envs_dir: PathBuf,
}

impl DockerEnv {
    /// The environment for talking to the project's engine, which must answer; a stopped
    /// runtime is started first when `auto-start` is on.
    pub fn for_engine(ctx: &Context) -> Result<DockerEnv> {
        config::seed(&ctx.project.layout)?;
        DockerEnv::with_engine(ctx, ctx.settings.auto_start.value)
    }

    /// Like [`DockerEnv::for_engine`], but changes nothing: it never starts the runtime nor
    /// writes the project's `DOCKER_CONFIG`. For commands that only look after what already
    /// runs (`berth system clean`), which need no CLI plugins.
    pub fn for_running_engine(ctx: &Context) -> Result<DockerEnv> {
        DockerEnv::with_engine(ctx, false)
    }

    fn with_engine(ctx: &Context, auto_start: bool) -> Result<DockerEnv> {
        let mut env = DockerEnv::unseeded(ctx);
        let (docker_host, runtime) = resolve_docker_host(ctx, auto_start)?;
        env.docker_host = Some(docker_host);
        env.runtime = Some(runtime);
        Ok(env)
    }

    /// The environment for the docker (or compose) words `args`. Help, the client's version and
    /// a command naming its own endpoint (`-H`, `--context`, which docker honours over
    /// `DOCKER_HOST`) run without asking the runtime, so they work while it is stopped.
    pub fn for_command(ctx: &Context, args: &[OsString]) -> Result<DockerEnv> {
        if uses_project_engine(args) {
            DockerEnv::for_engine(ctx)
        } else {
            ui::debug("this command needs no engine from berth");
            DockerEnv::without_engine(ctx)
        }
    }

    fn without_engine(ctx: &Context) -> Result<DockerEnv> {
        config::seed(&ctx.project.layout)?;
        Ok(DockerEnv::unseeded(ctx))
    }

    /// The project's variables, without an engine, leaving `DOCKER_CONFIG` as it is.
    fn unseeded(ctx: &Context) -> DockerEnv {
        let layout = &ctx.project.layout;
        DockerEnv {
            docker_host: None,
            runtime: None,
            docker_config: layout.docker_config.clone(),
            lima_home: layout.lima_home.clone(),
            envs_dir: layout.envs_dir.clone(),
        }
    }

    /// The engine's address, when this environment talks to one.
    pub fn docker_host(&self) -> Option<&str> {
        self.docker_host.as_deref()
    }

    /// The name of the runtime serving the engine, when this environment talks to one.
    pub fn runtime(&self) -> Option<RuntimeKind> {
        self.runtime
    }

    /// The variables to set, in the order `berth env` prints them.
    pub fn vars(&self) -> Vec<(&'static str, OsString)> {
        let mut vars = Vec::with_capacity(3);
        if let Some(docker_host) = &self.docker_host {
            vars.push((DOCKER_HOST, OsString::from(docker_host)));
        }
        vars.push((DOCKER_CONFIG, self.docker_config.clone().into_os_string()));
        vars.push((LIMA_HOME, self.lima_home.clone().into_os_string()));
        vars
    }

    /// The variables to remove.
    pub fn removed(&self) -> &'static [&'static str] {
        &[DOCKER_CONTEXT]
    }

    /// The variables as UTF-8 text, for printing.
    pub fn vars_text(&self) -> Result<Vec<(&'static str, String)>> {
        self.vars()
            .into_iter()
            .map(|(name, value)| match value.into_string() {
                Ok(text) => Ok((name, text)),
                Err(value) => Err(Diagnostic::new(format!(
                    "{name} would be `{}`, which is not UTF-8 and cannot be printed for a shell",
                    value.to_string_lossy()
                ))
                .help("move the project to a path that is valid UTF-8")
                .into()),
            })
            .collect()
    }

    /// Apply the variables to `command`.
    pub fn apply(&self, command: &mut Command) {
        command.envs(self.vars());
        for name in self.removed() {
            command.env_remove(name);
        }
    }

    /// `docker ARGS`, exactly.
    pub fn docker(&self, args: &[OsString]) -> Result<Command> {
        let docker = process::require_program("docker", Some(&self.envs_dir))?;
        let mut command = Command::new(docker);
        command.args(args);
        self.apply(&mut command);
        Ok(command)
    }

    /// `docker compose ARGS` when docker has the compose plugin, else `docker-compose ARGS`.
    pub fn compose(&self, args: &[OsString]) -> Result<Command> {
        let mut command = match self.compose_program() {
            Some(ComposeProgram::Plugin { docker, plugin }) => {
                ui::debug(&format!("compose: the docker plugin {}", plugin.display()));
                let mut command = Command::new(docker);
                command.arg("compose");
                command
            }
            Some(ComposeProgram::Standalone(program)) => Command::new(program),
            None => return Err(self.no_compose().into()),
        };
        command.args(args);
        self.apply(&mut command);
        Ok(command)
    }

    fn compose_program(&self) -> Option<ComposeProgram> {
        let envs = Some(self.envs_dir.as_path());
        if let Some(plugin) = config::find_plugin(&self.docker_config, "compose")
            && let Some(docker) = process::find_program("docker", envs)
        {
            return Some(ComposeProgram::Plugin { docker, plugin });
        }
        process::find_program("docker-compose", envs).map(ComposeProgram::Standalone)
    }

    fn no_compose(&self) -> Diagnostic {
        let searched: Vec<String> = config::plugin_search_path(&self.docker_config)
            .iter()
            .map(|dir| ui::display_path(dir))
            .collect();
        let install = if host::Os::current() == Os::Macos {
            "install it: `brew install docker-compose` (berth finds Homebrew's plugin directory)"
        } else {
            "install the plugin (`sudo apt-get install docker-compose-plugin` from Docker's \
             repository) or the standalone tool (`sudo apt-get install docker-compose`)"
        };
        Diagnostic::new("neither the `docker compose` plugin nor `docker-compose` was found")
            .help(install)
            .help("or add it to the project: `pixi add docker-compose`")
            .help(format!(
                "berth looked for `docker-compose` on PATH, in .pixi/envs/*/bin and in {}",
                searched.join(", ")
            ))
    }
}

/// The `docker compose` plugin docker would find with the project's `DOCKER_CONFIG`.
pub fn compose_plugin(docker_config: &Path) -> Option<PathBuf> {
    config::find_plugin(docker_config, "compose")
}

enum ComposeProgram {
    Plugin { docker: PathBuf, plugin: PathBuf },
    Standalone(PathBuf),
}

/// Whether docker or compose words will talk to the project's engine: not for no words
/// (usage), help or the client's version, and not when they name their own endpoint.
fn uses_project_engine(args: &[OsString]) -> bool {
    const CLIENT_ONLY: &[&str] = &["--help", "-h", "help", "--version", "-v"];
    const ENDPOINT: &[&str] = &["-H", "--host", "-c", "--context"];
    const TAKES_VALUE: &[&str] = &[
        "--config",
        "-l",
        "--log-level",
        "--tlscacert",
        "--tlscert",
        "--tlskey",
    ];
    let mut words = args
        .iter()
        .map(|word| word.to_str().unwrap_or_default())
        .peekable();
    match words.peek() {
        None => return false,
        Some(first) if CLIENT_ONLY.contains(first) => return false,
        Some(_) => {}
    }
    // docker's global flags come before the command word; look at those only.
    while let Some(word) = words.next() {
        if !word.starts_with('-') || word == "--" {
            break;
        }
        let flag = word.split_once('=').map_or(word, |(flag, _)| flag);
        let attached = |short: &str| flag.len() > 2 && flag.starts_with(short);
        if ENDPOINT.contains(&flag) || attached("-H") || attached("-c") {
            return false;
        }
        if TAKES_VALUE.contains(&word) {
            words.next();
        }
    }
    true
}

/// Where a `DOCKER_HOST` came from, for the help when nothing answers there.
enum Origin {
    /// The user's environment, kept because of `respect-docker-host`.
    Environment,
    /// The project's runtime.
    Runtime(RuntimeKind),
}

/// `DOCKER_HOST` for the project and the runtime serving it: the user's own when
/// `respect-docker-host` says so, else the selected runtime's (started first when
/// `auto_start`). Either way, something must answer.
fn resolve_docker_host(ctx: &Context, auto_start: bool) -> Result<(String, RuntimeKind)> {
    let inherited = host::var_str(DOCKER_HOST).filter(|h| !h.is_empty());
    if ctx.settings.respect_docker_host.value
        && let Some(docker_host) = inherited
    {
        ui::debug(&format!(
            "DOCKER_HOST={docker_host} from the environment (respect-docker-host, {})",
            ctx.settings.respect_docker_host.source
        ));
        ensure_answers(&docker_host, Origin::Environment)?;
        return Ok((docker_host, RuntimeKind::Docker));
    }
    let runtime = selection::select(ctx)?.runtime;
    let docker_host = runtime_docker_host(runtime.as_ref(), auto_start)?;
    ensure_answers(&docker_host, Origin::Runtime(runtime.kind()))?;
    if let Some(inherited) = inherited.filter(|h| *h != docker_host) {
        ui::note(&format!(
            "using the project's engine at {docker_host}, not DOCKER_HOST={inherited} \
             (set `respect-docker-host = true` in [tool.berth] to keep yours)"
        ));
    }
    Ok((docker_host, runtime.kind()))
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

/// One connect to a `unix://` host, so a dead socket is berth's clear error instead of
/// docker's "Cannot connect". No request: an engine that listens answers docker itself, and a
/// round trip here would add to every docker call. Other schemes are left to docker.
fn ensure_answers(docker_host: &str, origin: Origin) -> Result<()> {
    let Some(socket) = docker_host.strip_prefix("unix://") else {
        return Ok(());
    };
    let socket = Path::new(socket);
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
    diagnostic = match origin {
        Origin::Environment => diagnostic.help(
            "this socket is DOCKER_HOST from your environment, kept because \
             `respect-docker-host` is on: start that engine, or unset DOCKER_HOST to use \
             the project's runtime",
        ),
        Origin::Runtime(name) => diagnostic
            .help(format!(
                "`berth container status` shows the state of the {name} runtime"
            ))
            .help("`berth container start` starts it"),
    };
    Err(diagnostic.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtime that serves only once started, counting starts.
    struct StoppedRuntime {
        started: std::cell::Cell<u32>,
    }

    impl Runtime for StoppedRuntime {
        fn kind(&self) -> RuntimeKind {
            RuntimeKind::Lima
        }
        fn status(&self) -> Result<crate::runtime::Status> {
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
        fn shell(&self, _command: &[OsString]) -> Result<crate::exit::ExitStatus> {
            unreachable!("not asked")
        }
        fn logs(&self, _follow: bool) -> Result<crate::exit::ExitStatus> {
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

    fn uses_engine(words: &[&str]) -> bool {
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        uses_project_engine(&args)
    }

    #[test]
    fn most_commands_use_the_project_engine() {
        for words in [
            &["ps"][..],
            &["version"],
            &["run", "--rm", "-H", "x", "img"],
            &["--log-level", "debug", "ps"],
            &["-D", "info"],
            &["compose", "--help"],
            &["up", "-d"],
        ] {
            assert!(uses_engine(words), "{words:?}");
        }
    }

    #[test]
    fn help_version_and_explicit_endpoints_do_not() {
        for words in [
            &[][..],
            &["--help"],
            &["-h"],
            &["help", "run"],
            &["--version"],
            &["-H", "tcp://x:2375", "ps"],
            &["--host=unix:///s", "ps"],
            &["-Htcp://x", "ps"],
            &["-D", "--context", "other", "ps"],
            &["-c=other", "ps"],
            &["--config", "/c", "--context", "other", "ps"],
        ] {
            assert!(!uses_engine(words), "{words:?}");
        }
    }
}
