//! `berth task add|remove|alias`: change the manifest's tasks as pixi does
//! (`crates/pixi_cli/src/task.rs` and `crates/pixi_api/src/workspace/task/mod.rs`, v0.77.0),
//! keeping every other byte of the file.

use anyhow::Result;

use super::{Global, Loaded};
use crate::cli::{TaskAddArgs, TaskAliasArgs, TaskPlace, TaskRemoveArgs};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::manifest::edit;
use crate::manifest::tasks::{DeclaredPlatform, Feature, FeatureKind, TaskSet, quote_word};
use crate::manifest::tasks_edit::{self, Execute, NewTask, Owner, Place};
use crate::tasks::environments::targets;
use crate::tasks::platforms;
use crate::ui;

pub fn add(global: &Global, args: TaskAddArgs) -> Result<ExitStatus> {
    let task = new_task(&args)?;
    let (project, text) = global.project_with_text()?;
    let loaded = Loaded::load(project, &text)?;
    let (place, platform) = place(&loaded, &args.place)?;
    write_task(&loaded, &place, platform.as_ref(), &args.name, &task)?;
    ui::status(&format!(
        "✔ Added task `{}`: {}",
        args.name,
        task.describe()
    ));
    Ok(ExitStatus::Success)
}

pub fn alias(global: &Global, args: TaskAliasArgs) -> Result<ExitStatus> {
    let task = NewTask::Alias {
        depends_on: args.depends_on,
        description: args.description,
    };
    let (project, text) = global.project_with_text()?;
    let loaded = Loaded::load(project, &text)?;
    let where_ = TaskPlace {
        platform: args.platform,
        feature: None,
        environment: args.environment,
    };
    let (place, platform) = place(&loaded, &where_)?;
    write_task(&loaded, &place, platform.as_ref(), &args.name, &task)?;
    ui::status(&format!(
        "✔ Added alias `{}`: {}",
        args.name,
        task.describe()
    ));
    Ok(ExitStatus::Success)
}

pub fn remove(global: &Global, args: TaskRemoveArgs) -> Result<ExitStatus> {
    let (project, text) = global.project_with_text()?;
    let loaded = Loaded::load(project, &text)?;
    let (place, platform) = place(&loaded, &args.place)?;
    let feature = find_feature(&loaded.set, &place.owner).ok_or_else(|| {
        Diagnostic::new(format!("{} does not exist", place.owner.describe()))
            .help("`berth task list --json` shows the features and environments")
    })?;
    let mut updated = loaded.text.to_string();
    let mut removed = Vec::new();
    for name in &args.names {
        let defined = task_names(feature, platform.as_ref()).contains(&name.as_str());
        let edited = if defined {
            tasks_edit::remove_task(&updated, &place, name)?
        } else {
            None
        };
        match (edited, &platform) {
            (Some(edited), _) => {
                updated = edited;
                removed.push(name);
            }
            (None, Some(platform)) => {
                ui::status(&format!(
                    "❌ Task '{name}' does not exist on {}",
                    platform.name
                ));
            }
            (None, None) => ui::status(&format!(
                "❌ Task `{name}` does not exist for {}",
                place.owner.describe()
            )),
        }
    }
    if !removed.is_empty() {
        edit::write(&loaded.project.manifest_path, &updated)?;
    }
    for name in removed {
        ui::status(&format!("✔ Removed task `{name}` "));
    }
    Ok(ExitStatus::Success)
}

/// The task `task add` writes (`impl From<AddArgs> for Task`): an alias when the command is
/// blank and it depends on something, a plain string when nothing else is given, else a
/// table. As in pixi, `--clean-env` is not written.
fn new_task(args: &TaskAddArgs) -> Result<NewTask> {
    let cmd = match args.command.as_slice() {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|word| quote_word(word))
            .collect::<Vec<_>>()
            .join(" "),
    };
    if cmd.trim().is_empty() && !args.depends_on.is_empty() {
        return Ok(NewTask::Alias {
            depends_on: args.depends_on.clone(),
            description: args.description.clone(),
        });
    }
    let env = args
        .env
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    Diagnostic::new(format!("invalid KEY=value: no `=` found in `{pair}`"))
                        .help("write each variable as `--env KEY=VALUE`")
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    for arg in &args.args {
        if arg.contains('-') {
            return Err(Diagnostic::new(format!(
                "'{arg}' is not a valid argument name since it contains the character '-'"
            ))
            .into());
        }
    }
    let plain = args.depends_on.is_empty()
        && args.cwd.is_none()
        && env.is_empty()
        && args.default_environment.is_none()
        && args.description.is_none()
        && args.args.is_empty();
    if plain {
        return Ok(NewTask::Plain(cmd));
    }
    Ok(NewTask::Execute(Box::new(Execute {
        cmd,
        args: args.args.clone(),
        default_environment: args.default_environment.clone(),
        depends_on: args.depends_on.clone(),
        cwd: args.cwd.clone(),
        env,
        description: args.description.clone(),
    })))
}

/// The table the flags name, and the platform `--platform` resolves to (a declared
/// platform's name, else a bare subdir).
fn place(loaded: &Loaded, flags: &TaskPlace) -> Result<(Place, Option<DeclaredPlatform>)> {
    let owner = match (&flags.feature, &flags.environment) {
        (_, Some(environment)) => Owner::Environment(environment.clone()),
        (Some(feature), None) if feature != "default" => Owner::Feature(feature.clone()),
        _ => Owner::Default,
    };
    let platform = flags
        .platform
        .as_deref()
        .map(|name| platforms::resolve(&loaded.set.platforms, name))
        .transpose()?;
    // A platform named after its subdir is keyed by the subdir (`as_target_selector`).
    let selector = platform.as_ref().map(|p| {
        if p.name == p.subdir {
            p.subdir.clone()
        } else {
            p.name.clone()
        }
    });
    let place = Place {
        kind: loaded.project.kind,
        owner,
        selector,
    };
    Ok((place, platform))
}

/// Write `task` unless its name is taken where it goes (`WorkspaceManifestMut::add_task`),
/// declaring a platform the workspace does not list yet.
fn write_task(
    loaded: &Loaded,
    place: &Place,
    platform: Option<&DeclaredPlatform>,
    name: &str,
    task: &NewTask,
) -> Result<()> {
    if let Some(feature) = find_feature(&loaded.set, &place.owner)
        && task_names(feature, platform).contains(&name)
    {
        return Err(Diagnostic::new(format!("task {name} already exists"))
            .help(format!(
                "remove it first with `berth task remove {name}`, or pick another name"
            ))
            .into());
    }
    let mut text = loaded.text.to_string();
    if let Some(platform) = platform {
        text = tasks_edit::declare_platform(&text, loaded.project.kind, &platform.name)?;
    }
    let text = tasks_edit::add_task(&text, place, name, task)?;
    edit::write(&loaded.project.manifest_path, &text)
}

/// The feature an owner names, if the manifest has it.
fn find_feature<'s>(set: &'s TaskSet<'s>, owner: &Owner) -> Option<&'s Feature<'s>> {
    match owner {
        Owner::Default => set.features.first(),
        Owner::Feature(name) => set
            .features
            .iter()
            .find(|f| f.kind == FeatureKind::Named && &f.name == name),
        Owner::Environment(name) => set
            .environments
            .iter()
            .find(|e| &e.name == name)
            .map(|e| &e.inline),
    }
}

/// The task names of one feature on `platform`: its plain table and every target that
/// applies there (`WorkspaceManifest::tasks`).
fn task_names<'s>(feature: &'s Feature, platform: Option<&DeclaredPlatform>) -> Vec<&'s str> {
    targets(&[feature], platform)
        .flat_map(|target| target.tasks.iter())
        .map(|task| task.name.as_ref())
        .collect()
}
