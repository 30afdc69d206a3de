//! `berth run` and `berth task list`.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{Value, json};

use super::Global;
use crate::cli::{RunArgs, TaskListArgs};
use crate::diag::locate;
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::tasks::{DependencyArg, Task, TaskSet};
use crate::manifest::{self, Manifest};
use crate::project::Project;
use crate::tasks::environments::{Environments, best_platform};
use crate::tasks::graph::{Invocation, Planner, bind_cli};
use crate::tasks::runner::{Runner, collapse_whitespace};
use crate::tasks::template::{PixiVars, Renderer};
use crate::ui;

/// The loaded workspace: what both commands read. It borrows the manifest text.
struct Loaded<'s> {
    project: Project,
    manifest: Manifest<'s>,
    set: TaskSet<'s>,
}

impl<'s> Loaded<'s> {
    fn load(project: Project, text: &'s str) -> Result<Loaded<'s>> {
        let manifest = Manifest::parse(&project.manifest_path, project.kind, text)?;
        let set = TaskSet::parse(&manifest)?;
        Ok(Loaded {
            project,
            manifest,
            set,
        })
    }

    fn environments(&self) -> Result<Environments<'_>> {
        let platform = best_platform(&host::platform(), &self.manifest.platforms());
        Environments::resolve(&self.manifest, &self.set, &platform)
    }
}

pub fn run(global: &Global, args: RunArgs) -> Result<ExitStatus> {
    let project = global.project()?;
    let text = manifest::read(&project)?;
    let loaded = Loaded::load(project, &text)?;
    let environments = loaded.environments()?;
    let Some((name, words)) = args.task.split_first() else {
        print_available(&environments);
        return Ok(ExitStatus::Success);
    };
    let explicit = args
        .environment
        .clone()
        .or_else(|| shell_environment(&loaded.project));
    let (environment, task) = environments
        .find(name, explicit.as_deref())
        .map_err(|err| {
            let section = if explicit.is_some() {
                "environments"
            } else {
                "tasks"
            };
            locate(err, loaded.manifest.section_location(section))
        })?;
    let bound = bind_cli(task, words)
        .map_err(|err| locate(err, loaded.manifest.location(task.span.clone())))?;
    let renderer = Renderer::new(PixiVars {
        platform: host::platform(),
        manifest_path: loaded.project.manifest_path.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        init_cwd: host::current_dir()?.display().to_string(),
    });
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
        };
        planner.plan(root)?
    };
    let runner = Runner {
        project: &loaded.project,
        manifest: &loaded.manifest,
        renderer: &renderer,
        workspace_name: loaded
            .manifest
            .workspace_name()
            .unwrap_or_else(|| loaded.project.dir_name()),
        workspace_version: loaded.manifest.workspace_version(),
        clean_env: args.clean_env,
        dry_run: args.dry_run,
        show_environment: environments.has_several(),
    };
    let status = runner.run(&plan)?;
    if status == ExitStatus::Child(127) {
        print_available(&environments);
    }
    Ok(status)
}

/// Inside a task (or `pixi shell`) of this same workspace, the environment it runs in.
fn shell_environment(project: &Project) -> Option<String> {
    if !host::var_is_set("PIXI_IN_SHELL") {
        return None;
    }
    let same_root = host::var("PIXI_PROJECT_ROOT")
        .is_none_or(|root| std::path::Path::new(&root) == project.root);
    same_root
        .then(|| host::var_str("PIXI_ENVIRONMENT_NAME"))
        .flatten()
        .filter(|name| !name.is_empty())
}

/// pixi's "Available tasks:" list, on stderr.
fn print_available(environments: &Environments<'_>) {
    let mut text = String::from("\nAvailable tasks:");
    for group in by_name(&visible_tasks(environments, None)) {
        text.push_str(&format!("\n\t{}", group[0].name));
    }
    ui::status(&text);
}

/// A visible task in one environment.
struct Listed<'a> {
    name: &'a str,
    task: &'a Task<'a>,
    environment: &'a str,
}

/// Visible tasks sorted by name, one entry per environment a task is in (declaration order
/// within a name).
fn visible_tasks<'a>(environments: &'a Environments<'a>, only: Option<&str>) -> Vec<Listed<'a>> {
    let mut found: Vec<Listed<'a>> = environments
        .list
        .iter()
        .filter(|environment| only.is_none_or(|name| name == environment.name))
        .flat_map(|environment| {
            environment
                .tasks
                .iter()
                .filter(|(_, task)| !task.is_hidden())
                .map(|(&name, &task)| Listed {
                    name,
                    task,
                    environment: environment.name.as_str(),
                })
        })
        .collect();
    // One sort of a flat list: a map keyed by name cost a tree search per task. The sort is
    // stable, so each name keeps its environments in declaration order.
    found.sort_by(|a, b| a.name.cmp(b.name));
    found
}

/// The sorted list in runs of one name: a task and every environment it is in.
fn by_name<'l, 'a>(listed: &'l [Listed<'a>]) -> impl Iterator<Item = &'l [Listed<'a>]> {
    listed.chunk_by(|a, b| a.name == b.name)
}

pub fn list(global: &Global, args: &TaskListArgs) -> Result<ExitStatus> {
    let project = global.project()?;
    let text = manifest::read(&project)?;
    let loaded = Loaded::load(project, &text)?;
    let environments = loaded.environments()?;
    if let Some(name) = &args.environment {
        environments.require(name)?;
    }
    let tasks = visible_tasks(&environments, args.environment.as_deref());
    if args.json {
        let list: Vec<Value> = by_name(&tasks)
            .map(|group| {
                let environments: Vec<&str> = group.iter().map(|l| l.environment).collect();
                task_json(group[0].name, group[0].task, &environments)
            })
            .collect();
        ui::out_json(&Value::Array(list))?;
        return Ok(ExitStatus::Success);
    }
    if tasks.is_empty() {
        ui::status("No tasks found");
        return Ok(ExitStatus::Success);
    }
    let width = tasks
        .iter()
        .map(|listed| listed.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut text = ui::bold_stdout(&format!("{:width$}  Description", "Task"));
    for group in by_name(&tasks) {
        let Listed { name, task, .. } = group[0];
        let description = task.description.as_deref().map(collapse_whitespace);
        text.push('\n');
        match description {
            Some(d) if !d.is_empty() => {
                let _ = write!(text, "{name:width$}  {d}");
            }
            _ => text.push_str(name),
        }
    }
    ui::out(&text)?;
    Ok(ExitStatus::Success)
}

/// One task of `berth task list --json` (schema in README.md).
fn task_json(name: &str, task: &Task, environments: &[&str]) -> Value {
    let depends_on: Vec<Value> = task
        .depends_on
        .iter()
        .map(|d| {
            let args: Vec<Value> = d
                .args
                .iter()
                .map(|a| match a {
                    DependencyArg::Positional(v) => json!(v),
                    DependencyArg::Named(k, v) => json!({ k: v }),
                })
                .collect();
            json!({ "task": d.task, "args": args, "environment": d.environment })
        })
        .collect();
    let args: Vec<Value> = task
        .args
        .iter()
        .map(|a| json!({ "name": a.name, "default": a.default, "choices": a.choices }))
        .collect();
    let env: serde_json::Map<String, Value> = task
        .env
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!({
        "name": name,
        "description": task.description,
        "depends_on": depends_on,
        "cmd": task.cmd.as_ref().map(|c| c.source()),
        "args": args,
        "cwd": task.cwd,
        "env": env,
        "inputs": task.inputs,
        "outputs": task.outputs,
        "clean_env": task.clean_env,
        "default_environment": task.default_environment,
        "environments": environments,
        "hidden": false,
    })
}
