//! The environment of every docker call berth makes, and the commands `berth docker` and
//! `berth compose` turn into.
//!
//! A child gets `DOCKER_HOST` from the project's runtime (it outranks contexts, and SDK-based
//! tools read nothing else), `DOCKER_CONFIG=<root>/.pixi/docker` (seeded so plugins still
//! work), `LIMA_HOME=<root>/.pixi/lima`, and no `DOCKER_CONTEXT`.

mod compose_files;
mod compose_project;
mod config;
mod overrides;
mod shell;
mod user_config;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

pub use compose_project::ComposeProject;
pub use overrides::{Inputs as OverrideInputs, Override, list as overrides};
pub use shell::{Shell, render as render_shell};
pub use user_config::PassedCredentials;

use crate::diag::Diagnostic;
use crate::host::{self, Os};
use crate::process;
use crate::project::Layout;
use crate::settings::{ComposeName, RuntimeKind, Setting};
use crate::ui;

pub const DOCKER_HOST: &str = "DOCKER_HOST";
const DOCKER_CONFIG: &str = "DOCKER_CONFIG";
const DOCKER_CONTEXT: &str = "DOCKER_CONTEXT";
const LIMA_HOME: &str = "LIMA_HOME";

/// The variables a docker child runs with. Every docker call berth makes (pass-through,
/// `berth exec` jobs, the pool, clean) takes its environment from here; which engine it talks
/// to is decided before, by `app`, which selects the runtime.
#[derive(Debug)]
pub struct DockerEnv {
    /// `None` when the command needs no engine or names its own (see [`uses_project_engine`]).
    docker_host: Option<String>,
    /// The runtime serving `docker_host`.
    runtime: Option<RuntimeKind>,
    docker_config: PathBuf,
    lima_home: PathBuf,
    envs_dir: PathBuf,
    /// Only for compose words and `berth env` (see [`DockerEnv::with_compose_project`]).
    compose_project: Option<ComposeProject>,
}

impl DockerEnv {
    /// The project's variables for talking to the engine at `docker_host`, which `runtime`
    /// serves (`docker` for a `DOCKER_HOST` of the user's own).
    pub fn with_engine(layout: &Layout, docker_host: String, runtime: RuntimeKind) -> DockerEnv {
        DockerEnv {
            docker_host: Some(docker_host),
            runtime: Some(runtime),
            ..DockerEnv::without_engine(layout)
        }
    }

    /// The project's variables without an engine: for help, the client's version, and
    /// commands that name their own endpoint.
    pub fn without_engine(layout: &Layout) -> DockerEnv {
        DockerEnv {
            docker_host: None,
            runtime: None,
            docker_config: layout.docker_config.clone(),
            lima_home: layout.lima_home.clone(),
            envs_dir: layout.envs_dir.clone(),
            compose_project: None,
        }
    }

    /// This environment with the compose project of the compose words `args` run in `cwd`
    /// (none for `berth env`), `setting` being the `compose-project` setting.
    pub fn with_compose_project(
        mut self,
        cwd: &Path,
        args: &[OsString],
        setting: &Setting<ComposeName>,
    ) -> DockerEnv {
        self.compose_project = Some(compose_project(
            &self.docker_config,
            &self.envs_dir,
            cwd,
            args,
            setting,
        ));
        self
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
        let mut vars = Vec::with_capacity(5);
        if let Some(docker_host) = &self.docker_host {
            vars.push((DOCKER_HOST, OsString::from(docker_host)));
        }
        vars.push((DOCKER_CONFIG, self.docker_config.clone().into_os_string()));
        vars.push((LIMA_HOME, self.lima_home.clone().into_os_string()));
        if let Some(project) = &self.compose_project {
            vars.extend(
                project
                    .vars()
                    .into_iter()
                    .map(|(name, value)| (name, OsString::from(value))),
            );
        }
        vars
    }

    /// The variables to remove.
    pub fn removed(&self) -> Vec<&'static str> {
        let mut removed = vec![DOCKER_CONTEXT];
        if let Some(project) = &self.compose_project {
            removed.extend(project.removed());
        }
        removed
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

    /// The docker CLI: on PATH, or in the project's pixi environments.
    pub fn docker_program(&self) -> Result<PathBuf> {
        process::require_program("docker", Some(&self.envs_dir))
    }

    /// `docker ARGS`, exactly.
    pub fn docker(&self, args: &[OsString]) -> Result<Command> {
        let mut command = Command::new(self.docker_program()?);
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
        compose_program(&self.docker_config, &self.envs_dir)
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

/// Make sure the project's `DOCKER_CONFIG` lists the user's CLI plugins (see `config`).
pub fn seed_config(layout: &Layout) -> Result<()> {
    config::seed(layout)
}

/// The user's credential helpers berth passes on to the project's `DOCKER_CONFIG`.
pub fn passed_credentials(layout: &Layout) -> PassedCredentials {
    PassedCredentials::read(&layout.docker_config)
}

/// The `docker compose` plugin docker would find with the project's `DOCKER_CONFIG`.
pub fn compose_plugin(docker_config: &Path) -> Option<PathBuf> {
    config::find_plugin(docker_config, "compose")
}

enum ComposeProgram {
    Plugin { docker: PathBuf, plugin: PathBuf },
    Standalone(PathBuf),
}

/// The compose berth runs with the project's `DOCKER_CONFIG`: the docker plugin, else
/// `docker-compose`.
fn compose_program(docker_config: &Path, envs_dir: &Path) -> Option<ComposeProgram> {
    if let Some(plugin) = config::find_plugin(docker_config, "compose")
        && let Some(docker) = process::find_program("docker", Some(envs_dir))
    {
        return Some(ComposeProgram::Plugin { docker, plugin });
    }
    process::find_program("docker-compose", Some(envs_dir)).map(ComposeProgram::Standalone)
}

/// The compose project of the compose words `args` run in `cwd`, read the way the compose
/// berth runs would read its files (v2's rules when there is none).
pub fn compose_project(
    docker_config: &Path,
    envs_dir: &Path,
    cwd: &Path,
    args: &[OsString],
    setting: &Setting<ComposeName>,
) -> ComposeProject {
    let implementation = match compose_program(docker_config, envs_dir) {
        Some(ComposeProgram::Standalone(_)) => compose_files::Implementation::Standalone,
        _ => compose_files::Implementation::Plugin,
    };
    let env = |name: &str| host::var_str(name);
    let files = compose_files::ComposeFiles::find(cwd, args, implementation, &env);
    ComposeProject::resolve(&files, setting, &env)
}

/// Whether docker or compose words will talk to the project's engine: not for no words
/// (usage), help or the client's version, and not when they name their own endpoint (`-H`,
/// `--context`, which docker honours over `DOCKER_HOST`), so those work while it is stopped.
pub fn uses_project_engine(args: &[OsString]) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

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
