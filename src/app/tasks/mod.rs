//! `berth run` and `berth task list|add|remove|alias`.

mod edit;
mod list;

pub use edit::{add, alias, remove};
pub use list::list;

use anyhow::Result;

use super::Global;
use crate::cli::RunArgs;
use crate::diag::{Diagnostic, locate};
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::Manifest;
use crate::manifest::tasks::{TaskSet, join_words};
use crate::project::Project;
use crate::tasks::environments::{
    Ambiguous, DEFAULT_ENVIRONMENT, Environments, Runnability, Source,
};
use crate::tasks::graph::{Invocation, Planner, bind_cli};
use crate::tasks::runner::{AdHoc, Runner};
use crate::tasks::template::{PixiVars, Renderer};
use crate::tasks::{platforms, shell};
use crate::ui;

/// The loaded workspace: what every task command reads. It borrows the manifest's text,
/// which the command owns (`Global::project_with_text`).
struct Loaded<'s> {
    project: Project,
    /// The manifest as read, which `task add|remove|alias` edit.
    text: &'s str,
    manifest: Manifest<'s>,
    set: TaskSet<'s>,
}

impl<'s> Loaded<'s> {
    fn load(project: Project, text: &'s str) -> Result<Loaded<'s>> {
        let manifest = Manifest::parse(&project.manifest_path, project.kind, text)?;
        let set = TaskSet::parse(&manifest)?;
        Ok(Loaded {
            project,
            text,
            manifest,
            set,
        })
    }

    /// `[workspace].name`, else the directory's name (`Workspace::display_name`).
    fn workspace_name(&self) -> String {
        self.manifest
            .workspace_name()
            .unwrap_or_else(|| self.project.dir_name())
    }
}

pub fn run(global: &Global, args: RunArgs) -> Result<ExitStatus> {
    let (project, text) = global.project_with_text()?;
    let loaded = Loaded::load(project, &text)?;
    let mut environments = Environments::resolve(&loaded.manifest, &loaded.set)?;
    // The environment the run is for: `-e`, else the one of the shell of this workspace
    // that berth runs in (`EnvironmentName::from_arg_or_env_var`). It only restricts the
    // search when named on the command line or other than `default` (`pixi run`).
    let selected = args
        .environment
        .clone()
        .or_else(|| shell_environment(&loaded.project));
    if let Some(name) = &selected {
        environments
            .require(name)
            .map_err(|err| locate(err, loaded.manifest.section_location("environments")))?;
    }
    let explicit = selected
        .clone()
        .filter(|name| args.environment.is_some() || name != DEFAULT_ENVIRONMENT);
    if let Some(platform) = &args.platform {
        environments.pin(platform, selected.as_deref().unwrap_or(DEFAULT_ENVIRONMENT))?;
    }
    let words = split_words(args.task.clone())?;
    let Some((first, rest)) = words.words.split_first() else {
        print_available(&environments, explicit.as_deref());
        return Ok(ExitStatus::Success);
    };
    let renderer = Renderer::new(PixiVars {
        manifest_path: loaded.project.manifest_path.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        init_cwd: host::current_dir()?.display().to_string(),
    });
    let runner = Runner {
        project: &loaded.project,
        manifest: &loaded.manifest,
        environments: &environments,
        renderer: &renderer,
        workspace_name: loaded.workspace_name(),
        workspace_version: loaded.manifest.workspace_version(),
        clean_env: args.clean_env,
        dry_run: args.dry_run,
    };
    let section = if explicit.is_some() {
        "environments"
    } else {
        "tasks"
    };
    let found = if args.executable {
        None
    } else {
        environments
            .lookup(first, explicit.as_deref(), Source::CommandLine, &choose)
            .map_err(|err| locate(err, loaded.manifest.section_location(section)))?
    };
    let status = match found {
        Some((environment, task)) => {
            let bound = bind_cli(task, rest)
                .map_err(|err| locate(err, loaded.manifest.location(task.span.clone())))?;
            let root = Invocation {
                task,
                environment: environment.name.clone(),
                args: bound.args,
                extra: bound.extra,
            };
            let plan = if args.skip_deps {
                vec![root]
            } else {
                let planner = Planner {
                    environments: &environments,
                    renderer: &renderer,
                    manifest: &loaded.manifest,
                    forced_environment: explicit.as_deref(),
                    chooser: &choose,
                };
                planner.plan(root)?
            };
            runner.run(&plan)?
        }
        // A name that is a task somewhere else is not run as a program of that name.
        None if !args.executable && !environments.defining(first).is_empty() => {
            return Err(locate(
                environments.not_found(first, explicit.as_deref()),
                loaded.manifest.section_location(section),
            ));
        }
        None => runner.run_command(&AdHoc {
            script: words.script(),
            templated: args.templated,
            environment: explicit.unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_string()),
        })?,
    };
    if status == ExitStatus::Child(127) {
        print_available(&environments, None);
        suggest_task(&environments, first);
    }
    Ok(status)
}

/// After a command that was not found, the task whose name is close to it, if one is.
fn suggest_task(environments: &Environments<'_>, typed: &str) {
    let names: Vec<&str> = environments
        .list
        .iter()
        .flat_map(|env| env.listed_tasks())
        .map(|(name, _)| name)
        .collect();
    if let Some(close) = crate::diag::closest(typed, &names) {
        ui::status(&format!("\nDid you mean the task '{close}'?"));
    }
}

/// The words of `berth run`, as pixi reads them (`TaskGraph::from_cmd_args`): a single word
/// is split like a shell line (`berth run 'a && b'`), several are taken as they are.
struct Words {
    words: Vec<String>,
    /// Given as several words: a command made of them quotes each one.
    verbatim: bool,
}

fn split_words(words: Vec<String>) -> Result<Words> {
    if let [one] = words.as_slice() {
        let split = shlex::split(one).ok_or_else(|| {
            Diagnostic::new("could not split task, assuming non valid task")
                .help(format!("the words `{one}` have an unclosed quote"))
        })?;
        return Ok(Words {
            words: split,
            verbatim: false,
        });
    }
    Ok(Words {
        words,
        verbatim: true,
    })
}

impl Words {
    /// The command the words stand for when they name no task: several words each quoted as
    /// one argument, a split line's words joined with the `cmd` array rule so its operators
    /// stay shell syntax.
    fn script(&self) -> String {
        if self.verbatim {
            self.words
                .iter()
                .map(|w| shell::quote(w))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            join_words(self.words.iter().map(String::as_str))
        }
    }
}

/// Settle a task several environments define (`disambiguate_task_interactive`): the one
/// whose definition names its own environment as `default-environment`, else the user's
/// pick on a terminal, else none (an error listing them).
fn choose(ambiguous: &Ambiguous<'_, '_>) -> Option<usize> {
    if let Some(preferred) = ambiguous
        .candidates
        .iter()
        .position(|(env, task)| task.default_environment.as_deref() == Some(env.name.as_str()))
    {
        return Some(preferred);
    }
    let names: Vec<&str> = ambiguous
        .candidates
        .iter()
        .map(|(env, _)| env.name.as_str())
        .collect();
    let depended_on = match ambiguous.source {
        Source::DependsOn(parent) => format!("(depended on by '{parent}') "),
        Source::CommandLine => String::new(),
    };
    ui::choose(
        &format!(
            "The task '{}' {depended_on}can be run in multiple environments.\n\nPlease select an environment to run the task in:",
            ambiguous.task
        ),
        &names,
    )
}

/// Inside a task (or `pixi shell`) of this same workspace, the environment it runs in.
fn shell_environment(project: &Project) -> Option<String> {
    let other_root = host::var("PIXI_PROJECT_ROOT")
        .is_some_and(|root| std::path::Path::new(&root) != project.root);
    if other_root || host::var("PIXI_IN_SHELL").is_none() {
        return None;
    }
    host::var_str("PIXI_ENVIRONMENT_NAME")
}

/// pixi's "Available tasks:" list on stderr (`command_not_found`), and a hint when no
/// environment runs on this machine.
fn print_available(environments: &Environments<'_>, explicit: Option<&str>) {
    let mut names: Vec<&str> = environments
        .list
        .iter()
        .filter(|env| explicit.is_none_or(|name| name == env.name))
        .flat_map(|env| env.listed_tasks())
        .map(|(name, _)| name)
        .collect();
    names.sort_unstable();
    names.dedup();
    if !names.is_empty() {
        let mut text = String::from("\nAvailable tasks:");
        for name in names {
            text.push_str(&format!("\n\t{name}"));
        }
        ui::status(&text);
    }
    let unsupported = environments
        .list
        .iter()
        .all(|env| env.runnability() == Runnability::Unsupported);
    if unsupported {
        let host = platforms::host().subdir;
        ui::status(&format!(
            "\nHelp: This platform ({host}) is not supported. Add it to the workspace's platforms:\n\n\tplatforms = [\"{host}\"]"
        ));
    }
}
