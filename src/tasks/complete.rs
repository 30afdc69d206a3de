//! Shell completion of task and environment names, for clap_complete's dynamic completion
//! (`COMPLETE=<shell> berth …`): the manifest found from the current directory is read, and a
//! manifest that cannot be read completes nothing.

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;

use super::environments::Environments;
use crate::host;
use crate::manifest::tasks::TaskSet;
use crate::manifest::{self, Manifest};
use crate::project::Project;

/// The task names of every environment that start with `current`, with their descriptions.
pub fn task_names(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(current, |environments| {
        let mut names: Vec<(String, Option<String>)> = environments
            .list
            .iter()
            .flat_map(|env| env.listed_tasks())
            .map(|(name, task)| {
                let description = task
                    .description
                    .as_deref()
                    .map(super::runner::collapse_whitespace);
                (name.to_string(), description)
            })
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names.dedup_by(|a, b| a.0 == b.0);
        names
    })
}

/// The environment names that start with `current`.
pub fn environment_names(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(current, |environments| {
        environments
            .list
            .iter()
            .map(|env| (env.name.clone(), None))
            .collect()
    })
}

fn candidates(
    current: &OsStr,
    names: impl Fn(&Environments<'_>) -> Vec<(String, Option<String>)>,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    let Some(found) = read(&names) else {
        return Vec::new();
    };
    found
        .into_iter()
        .filter(|(name, _)| name.starts_with(prefix.as_ref()))
        .map(|(name, help)| CompletionCandidate::new(name).help(help.map(Into::into)))
        .collect()
}

fn read(
    names: &impl Fn(&Environments<'_>) -> Vec<(String, Option<String>)>,
) -> Option<Vec<(String, Option<String>)>> {
    let (project, source) = Project::discover_with_source(&host::current_dir().ok()?, None).ok()?;
    let text = manifest::text(&project.manifest_path, source).ok()?;
    let manifest = Manifest::parse(&project.manifest_path, project.kind, &text).ok()?;
    let set = TaskSet::parse(&manifest).ok()?;
    let environments = Environments::resolve(&manifest, &set).ok()?;
    Some(names(&environments))
}
