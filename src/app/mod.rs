//! One function per subcommand, gluing the command line to the modules that do the work.
//! The only module that sees both clap's types and the domain's.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command, GlobalArgs, SystemCommand, TaskCommand};
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::{self, Manifest};
use crate::project::Project;
use crate::runtime;
use crate::settings::{self, FlagSettings, Settings};

mod clean;
mod container;
mod docker;
mod doctor;
mod exec;
mod init;
mod tasks;

pub fn run(cli: Cli) -> Result<ExitStatus> {
    let global = Global::from_args(&cli.global);
    match cli.command {
        Command::Run(args) => tasks::run(&global, args),
        Command::Task(TaskCommand::List(args)) => tasks::list(&global, &args),
        Command::Container(command) => container::run(&global, command),
        Command::Docker(args) => docker::docker(&global, args.args),
        Command::Compose(args) => docker::compose(&global, args.args),
        Command::Env(args) => docker::env(&global, &args),
        Command::Init(args) => init::run(&global, &args),
        Command::System(SystemCommand::Clean(args)) => clean::run(&global, &args),
        Command::Doctor(args) => doctor::run(&global, &args),
        Command::Completions(args) => completions(args.shell),
        Command::Exec(args) => exec::exec(&global, args),
        Command::Pool(command) => exec::pool(&global, command),
    }
}

/// The global flags, as plain values.
pub struct Global {
    pub manifest_path: Option<PathBuf>,
    pub flags: FlagSettings,
}

impl Global {
    fn from_args(args: &GlobalArgs) -> Global {
        Global {
            manifest_path: args.manifest_path.clone(),
            flags: FlagSettings {
                runtime: args.runtime.clone(),
            },
        }
    }

    /// Find the project from the current directory (or `--manifest-path`).
    pub fn project(&self) -> Result<Project> {
        let cwd = host::current_dir()?;
        Project::discover(&cwd, self.manifest_path.as_deref())
    }

    /// The project and its resolved settings (read from the manifest).
    pub fn workspace(&self) -> Result<Workspace> {
        let project = self.project()?;
        let text = manifest::read(&project)?;
        let manifest = Manifest::parse(&project.manifest_path, project.kind, &text)?;
        let name = manifest
            .workspace_name()
            .unwrap_or_else(|| project.dir_name());
        let settings = Settings::resolve(
            Some(&manifest),
            &self.flags,
            &settings::sanitize_instance_name(&name),
        )?;
        Ok(Workspace { project, settings })
    }
}

pub struct Workspace {
    pub project: Project,
    pub settings: Settings,
}

impl Workspace {
    pub fn runtime_context(&self) -> runtime::Context<'_> {
        runtime::Context {
            project: &self.project,
            settings: &self.settings,
        }
    }
}

fn completions(shell: clap_complete::Shell) -> Result<ExitStatus> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "berth", &mut out);
    crate::ui::out(String::from_utf8_lossy(&out).trim_end())?;
    Ok(ExitStatus::Success)
}
