//! One function per subcommand, gluing the command line to the modules that do the work.
//! The only module that sees both clap's types and the domain's.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command, GlobalArgs, SystemCommand, TaskCommand};
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::{self, Manifest};
use crate::project::{Layout, Project};
use crate::runtime;
use crate::settings::{ComposeName, Defaults, FlagSettings, Settings};

mod clean;
mod container;
mod docker;
mod doctor;
mod engine;
mod exec;
mod init;
mod tasks;

pub fn run(cli: Cli) -> Result<ExitStatus> {
    let global = Global::from_args(&cli.global);
    match cli.command {
        Command::Run(args) => tasks::run(&global, args),
        Command::Task(TaskCommand::List(args)) => tasks::list(&global, &args),
        Command::Task(TaskCommand::Add(args)) => tasks::add(&global, args),
        Command::Task(TaskCommand::Remove(args)) => tasks::remove(&global, args),
        Command::Task(TaskCommand::Alias(args)) => tasks::alias(&global, args),
        Command::Container(command) => container::run(&global, command),
        Command::Docker(args) => docker::docker(&global, args.args),
        Command::Compose(args) => docker::compose(&global, args.args),
        Command::Env(args) => docker::env(&global, &args),
        Command::Init(args) => init::run(&global, &args),
        Command::System(SystemCommand::Clean(args)) => clean::run(&global, &args),
        Command::Doctor(args) => doctor::run(&global, &args),
        Command::Completions(args) => completions(args.shell),
        Command::Exec(args) => exec::exec(&global, *args),
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
            flags: FlagSettings::default().with("--runtime", args.runtime.clone()),
        }
    }

    /// The project and the manifest's bytes, read once.
    pub fn project_with_source(&self) -> Result<(Project, Vec<u8>)> {
        let cwd = host::current_dir()?;
        Project::discover_with_source(&cwd, self.manifest_path.as_deref())
    }

    /// The project and the manifest's text, read once. What is parsed from the text borrows
    /// it, so the caller keeps it while it uses the manifest.
    pub fn project_with_text(&self) -> Result<(Project, String)> {
        let (project, source) = self.project_with_source()?;
        let text = manifest::text(&project.manifest_path, source)?;
        Ok((project, text))
    }

    /// The project and its resolved settings (read from the manifest).
    pub fn workspace(&self) -> Result<Workspace> {
        let (project, source) = self.project_with_source()?;
        self.workspace_of(project, source)
    }

    /// The workspace of `project`, whose manifest's bytes are `source`. The settings own what
    /// they took from the manifest, which is freed here.
    pub fn workspace_of(&self, project: Project, source: Vec<u8>) -> Result<Workspace> {
        let text = manifest::text(&project.manifest_path, source)?;
        let manifest = Manifest::parse(&project.manifest_path, project.kind, &text)?;
        let name = manifest
            .workspace_name()
            .unwrap_or_else(|| project.dir_name());
        let settings = Settings::resolve(
            Some(&manifest),
            &self.flags,
            &defaults(&name, &project.layout),
        )?;
        Ok(Workspace { project, settings })
    }
}

/// The defaults of the settings for a workspace called `name`, checked out where `layout` is.
fn defaults(name: &str, layout: &Layout) -> Defaults {
    Defaults {
        instance: runtime::lima::name::derive(name),
        compose_project: ComposeName::derive(name, &layout.root_id()),
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

/// The line that registers berth's dynamic completions (`COMPLETE=<shell> berth`, answered
/// by `main`) in a shell's startup file, as clap_complete documents it.
fn completions(shell: clap_complete::Shell) -> Result<ExitStatus> {
    use clap_complete::Shell;
    let line = match shell {
        Shell::Bash => "source <(COMPLETE=bash berth)",
        Shell::Zsh => "source <(COMPLETE=zsh berth)",
        Shell::Fish => "COMPLETE=fish berth | source",
        Shell::Elvish => "eval (E:COMPLETE=elvish berth | slurp)",
        Shell::PowerShell => {
            "$env:COMPLETE = \"powershell\"; berth | Out-String | Invoke-Expression; Remove-Item Env:\\COMPLETE"
        }
        _ => anyhow::bail!("berth cannot register completions in {shell}"),
    };
    crate::ui::out(line)?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::cli::Cli;
    use crate::settings::KEYS;

    #[test]
    fn every_settings_flag_is_a_global_flag_of_the_cli() {
        let command = Cli::command();
        for flag in KEYS.iter().filter_map(|key| key.flag) {
            let long = flag.trim_start_matches("--");
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_long() == Some(long))
                .unwrap_or_else(|| panic!("no {flag} in the command line"));
            assert!(arg.is_global_set(), "{flag} is not global");
        }
    }
}
