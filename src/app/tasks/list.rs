//! `berth task list [-e ENV] [--summary] [--json]`, as `pixi task list` prints it
//! (`crates/pixi_cli/src/task.rs`, v0.77.0).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use serde_json::{Value, json};

use super::{Global, Loaded};
use crate::cli::TaskListArgs;
use crate::exit::ExitStatus;
use crate::manifest::tasks::{DependencyArg, FeatureKind, Task};
use crate::tasks::environments::{Environment, Environments, Runnability};
use crate::tasks::runner::collapse_whitespace;
use crate::ui;

pub fn list(global: &Global, args: &TaskListArgs) -> Result<ExitStatus> {
    let (project, text) = global.project_with_text()?;
    let loaded = Loaded::load(project, &text)?;
    let environments = Environments::resolve(&loaded.manifest, &loaded.set)?;
    if args.json {
        ui::out_json(&json_list(&environments))?;
        return Ok(ExitStatus::Success);
    }
    let shown: Vec<&Environment<'_>> = match &args.environment {
        Some(name) => vec![environments.require(name)?],
        None => environments.list.iter().collect(),
    };
    if args.summary {
        print_summary(&shown);
        return Ok(ExitStatus::Success);
    }
    print_table(&shown)?;
    Ok(ExitStatus::Success)
}

/// `Tasks per environment:` on stderr: each environment, how this machine runs it, and its
/// task names.
fn print_summary(environments: &[&Environment<'_>]) {
    let heading = "Tasks per environment:";
    let mut text = format!("{heading}\n{}", "-".repeat(heading.len()));
    for env in environments {
        let names: Vec<&str> = env
            .listed_tasks()
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let _ = write!(
            text,
            "\n{} ({}): {}",
            env.name,
            env.runnability().describe(),
            names.join(", ")
        );
    }
    ui::status(&text);
}

/// One row per task name across `environments`, sorted: the description of the first
/// environment that has one, dimmed when no environment with the task runs here.
fn print_table(environments: &[&Environment<'_>]) -> Result<()> {
    let mut rows: BTreeMap<&str, (bool, Option<String>)> = BTreeMap::new();
    for env in environments {
        let runs = env.runnability() != Runnability::Unsupported;
        for (name, task) in env.listed_tasks() {
            let row = rows.entry(name).or_insert((false, None));
            row.0 |= runs;
            if row.1.is_none() {
                row.1 = task.description.as_deref().map(collapse_whitespace);
            }
        }
    }
    let width = rows
        .keys()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut text = ui::bold_stdout(&format!("{:width$}  Description", "Task"));
    for (name, (runs, description)) in &rows {
        let line = match description {
            Some(d) if !d.is_empty() => format!("{name:width$}  {d}"),
            _ => name.to_string(),
        };
        text.push('\n');
        if *runs {
            text.push_str(&line);
        } else {
            text.push_str(&ui::dim_stdout(&line));
        }
    }
    ui::out(&text)?;
    Ok(())
}

/// Every environment by name, with its features and their tasks at the environment's best
/// platform, hidden tasks included (`print_tasks_json`). An environment's inline tasks are
/// its `tasks`; its other features follow in the environment's order.
fn json_list(environments: &Environments<'_>) -> Value {
    let mut sorted: Vec<&Environment<'_>> = environments.list.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let list = sorted
        .into_iter()
        .map(|env| {
            let mut inline = Vec::new();
            let mut features = Vec::new();
            for (feature, tasks) in env.feature_tasks() {
                let tasks: Vec<Value> = tasks
                    .into_iter()
                    .map(|(name, task)| task_json(name, task))
                    .collect();
                match &feature.kind {
                    FeatureKind::Environment(_) => inline.extend(tasks),
                    FeatureKind::Default | FeatureKind::Named => {
                        features.push(json!({ "name": feature.name, "tasks": tasks }));
                    }
                }
            }
            json!({ "environment": env.name, "tasks": inline, "features": features })
        })
        .collect();
    Value::Array(list)
}

/// One task as pixi serializes it (`TaskInfo`, with pixi's own field shapes).
fn task_json(name: &str, task: &Task) -> Value {
    let depends_on: Vec<Value> = task
        .depends_on
        .iter()
        .map(|d| {
            let args = d.args.as_ref().map(|args| {
                args.iter()
                    .map(|a| match a {
                        DependencyArg::Positional(v) => json!({ "Positional": v }),
                        DependencyArg::Named(k, v) => json!({ "Named": [k, v] }),
                    })
                    .collect::<Vec<_>>()
            });
            json!({ "task_name": d.task, "args": args, "environment": d.environment })
        })
        .collect();
    let args = task.args.as_ref().map(|args| {
        args.iter()
            .map(|a| json!({ "name": a.name, "default": a.default, "choices": a.choices }))
            .collect::<Vec<_>>()
    });
    let env = task.env.as_ref().map(|env| {
        env.iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect::<serde_json::Map<String, Value>>()
    });
    json!({
        "name": name,
        "cmd": task.cmd.as_ref().map(|c| c.source()),
        "description": task.description,
        "depends_on": depends_on,
        "args": args,
        "cwd": task.cwd,
        "env": env,
        "default_environment": task.default_environment,
        "clean_env": task.clean_env,
        "inputs": task.inputs,
        "outputs": task.outputs,
    })
}
