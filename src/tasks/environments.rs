//! Which tasks each environment sees (pixi.md 1.5–1.6), and finding a task by name across
//! environments (pixi.md 2.5), as pixi v0.77.0 does in `crates/pixi_core/src/workspace/
//! environment.rs` and `crates/pixi_task/src/task_environment.rs`.
//!
//! Each environment resolves its `[target.<selector>]` tables for its own platform: the one
//! `--platform` pins, else the best platform it declares for this machine, else the first it
//! declares (so a task of another machine's environment is still found), else none, which
//! leaves only the plain tables.

use std::collections::HashMap;

use anyhow::Result;

use super::platforms;
use crate::diag::Diagnostic;
use crate::diag::closest;
use crate::host;
use crate::manifest::Manifest;
use crate::manifest::tasks::{DEFAULT_FEATURE, DeclaredPlatform, Feature, Task, TaskSet};

pub const DEFAULT_ENVIRONMENT: &str = "default";

/// One environment with its resolved tasks.
pub struct Environment<'a> {
    pub name: String,
    /// Most specific first: the inline content, the listed features, the default feature.
    pub features: Vec<&'a Feature<'a>>,
    /// The workspace platforms every feature supports, in declaration order.
    pub platforms: Vec<&'a DeclaredPlatform>,
    /// The declared platform that fits this machine best, if one does.
    pub best_platform: Option<&'a DeclaredPlatform>,
    /// The platform `[target]` tables are resolved for; `None` leaves the plain tables only.
    pub search_platform: Option<&'a DeclaredPlatform>,
    /// The tasks at `search_platform`; empty when that platform is not the environment's.
    pub tasks: HashMap<&'a str, &'a Task<'a>>,
}

impl<'a> Environment<'a> {
    /// The platform tasks are rendered and activated for (`pixi.platform`): the search
    /// platform, else this machine's.
    pub fn platform(&self) -> DeclaredPlatform {
        self.search_platform
            .cloned()
            .unwrap_or_else(platforms::host)
    }

    /// Whether this machine runs the environment: it declares a platform that fits, or
    /// `PIXI_OVERRIDE_PLATFORM` vouches for the machine (`crates/pixi_core/src/workspace/
    /// virtual_packages.rs`, `verify_current_platform_can_run_environment`, without a lock
    /// file).
    pub fn runs_here(&self) -> bool {
        host::var_is_set("PIXI_OVERRIDE_PLATFORM") || self.best_platform.is_some()
    }

    /// The tasks `task list` and "Available tasks" show: those at the best platform for this
    /// machine (only the plain tables when none fits), hidden ones left out
    /// (`Environment::get_filtered_tasks`).
    pub fn listed_tasks(&self) -> Vec<(&'a str, &'a Task<'a>)> {
        let visible =
            |(name, task): (&&'a str, &&'a Task<'a>)| (!task.is_hidden()).then_some((*name, *task));
        // The search platform is the best one whenever one fits: its tasks are resolved.
        let mut tasks: Vec<(&'a str, &'a Task<'a>)> = if self.search_platform == self.best_platform
        {
            self.tasks.iter().filter_map(visible).collect()
        } else {
            tasks_for(&self.features, self.best_platform)
                .iter()
                .filter_map(visible)
                .collect()
        };
        tasks.sort_unstable_by_key(|(name, _)| *name);
        tasks
    }

    /// Each feature's own tasks at the best platform for this machine, sorted by name, the
    /// features most specific first (`Environment::feature_tasks`).
    pub fn feature_tasks(&self) -> Vec<(&'a Feature<'a>, Vec<(&'a str, &'a Task<'a>)>)> {
        self.features
            .iter()
            .map(|&feature| {
                let mut tasks: Vec<(&'a str, &'a Task<'a>)> =
                    tasks_for(&[feature], self.best_platform)
                        .into_iter()
                        .collect();
                tasks.sort_by_key(|(name, _)| *name);
                (feature, tasks)
            })
            .collect()
    }

    /// How this machine runs the environment (`classify_environment_runnability`, without a
    /// lock file to find the "by accident" case).
    pub fn runnability(&self) -> Runnability {
        if self.runs_here() {
            Runnability::ByDesign
        } else if !self.has_dependencies() {
            Runnability::NoDependencies
        } else {
            Runnability::Unsupported
        }
    }

    /// Whether any of its features declares a dependency.
    pub fn has_dependencies(&self) -> bool {
        self.features.iter().any(|f| f.has_dependencies)
    }

    pub fn is_default(&self) -> bool {
        self.name == DEFAULT_ENVIRONMENT
    }

    fn supports(&self, platform: &DeclaredPlatform) -> bool {
        self.platforms.iter().any(|p| p.name == platform.name)
    }

    /// The environment's tasks on `platform` (`Environment::tasks`): `None` when the
    /// environment does not support that platform.
    fn tasks_at(
        &self,
        platform: Option<&DeclaredPlatform>,
    ) -> Option<HashMap<&'a str, &'a Task<'a>>> {
        if platform.is_some_and(|p| !self.supports(p)) {
            return None;
        }
        Some(tasks_for(&self.features, platform))
    }
}

/// How this machine runs an environment, as `task list --summary` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runnability {
    /// It declares a platform that fits this machine.
    ByDesign,
    /// It declares none, but installs nothing that could need one.
    NoDependencies,
    /// Its tasks cannot run here.
    Unsupported,
}

impl Runnability {
    pub fn describe(self) -> &'static str {
        match self {
            Runnability::ByDesign => "by design",
            Runnability::NoDependencies => "no dependency",
            Runnability::Unsupported => "not runnable here",
        }
    }
}

/// Where a search for a task comes from, for the prompt that asks which environment.
#[derive(Debug, Clone, Copy)]
pub enum Source<'s> {
    CommandLine,
    /// The `depends-on` of this task.
    DependsOn(&'s str),
}

/// A task several environments can run, for a chooser to settle.
pub struct Ambiguous<'s, 'a> {
    pub task: &'s str,
    pub source: Source<'s>,
    /// The candidates, in environment order.
    pub candidates: Vec<(&'s Environment<'a>, &'a Task<'a>)>,
}

/// Settles an ambiguous task: the index of the chosen candidate, or `None` to report it.
pub type Chooser<'c> = &'c dyn Fn(&Ambiguous<'_, '_>) -> Option<usize>;

/// Every environment of the workspace.
pub struct Environments<'a> {
    /// `default` first, then `[environments]` in declaration order.
    pub list: Vec<Environment<'a>>,
    set: &'a TaskSet<'a>,
    /// `--platform`: the declared platform every environment is resolved for.
    pinned: Option<&'a DeclaredPlatform>,
}

impl<'a> Environments<'a> {
    /// Resolve every environment's features, platforms and tasks.
    pub fn resolve(manifest: &Manifest, set: &'a TaskSet<'a>) -> Result<Environments<'a>> {
        let mut decls: Vec<(&str, Vec<&'a Feature<'a>>)> = Vec::new();
        let default_feature = &set.features[0];
        if !set
            .environments
            .iter()
            .any(|e| e.name == DEFAULT_ENVIRONMENT)
        {
            decls.push((DEFAULT_ENVIRONMENT, vec![default_feature]));
        }
        for decl in &set.environments {
            // Most specific first: inline, listed features in order, then the default feature.
            let mut features = vec![&decl.inline];
            for name in &decl.features {
                let feature = set
                    .features
                    .iter()
                    .skip(1)
                    .find(|f| &f.name == name)
                    .or_else(|| (name == DEFAULT_FEATURE).then_some(default_feature));
                let Some(feature) = feature else {
                    return Err(Diagnostic::new(format!(
                        "environment `{}` uses feature `{name}`, which is not declared",
                        decl.name
                    ))
                    .at_opt(manifest.location(decl.span.clone()))
                    .help(format!(
                        "declare it as [feature.{name}], or remove it from the list"
                    ))
                    .into());
                };
                features.push(feature);
            }
            if !decl.no_default_feature {
                features.push(default_feature);
            }
            let position = if decl.name == DEFAULT_ENVIRONMENT {
                0
            } else {
                decls.len()
            };
            decls.insert(position, (&decl.name, features));
        }
        let host = platforms::host();
        let list = decls
            .into_iter()
            .map(|(name, features)| {
                let platforms = environment_platforms(&set.platforms, &features);
                let best_platform = best_platform(&set.platforms, &platforms, &host.subdir);
                let search_platform = best_platform.or_else(|| platforms.first().copied());
                let tasks = tasks_for(&features, search_platform);
                Environment {
                    name: name.to_string(),
                    features,
                    platforms,
                    best_platform,
                    search_platform,
                    tasks,
                }
            })
            .collect();
        Ok(Environments {
            list,
            set,
            pinned: None,
        })
    }

    /// `--platform NAME` with `environment` the one the run is for: check that it is one of
    /// that environment's platforms, then resolve every environment for it (`pixi run`,
    /// `crates/pixi_cli/src/run.rs` and `Environment::named_or_best_declared_platform`,
    /// v0.77.0). A platform no environment could use is an error naming it.
    pub fn pin(&mut self, name: &str, environment: &str) -> Result<()> {
        let resolved = platforms::resolve(&self.set.platforms, name)?;
        let env = self.require(environment)?;
        let member = env.platforms.is_empty() || env.supports(&resolved);
        let declared = self.set.platforms.iter().find(|p| p.name == resolved.name);
        let Some(platform) = declared.filter(|_| member) else {
            let mut diagnostic = Diagnostic::new(format!(
                "platform '{}' is not part of environment '{environment}'",
                resolved.name
            ));
            let names: Vec<&str> = env.platforms.iter().map(|p| p.name.as_str()).collect();
            diagnostic = if names.is_empty() {
                diagnostic.help(format!(
                    "declare it in [workspace] platforms, e.g. `platforms = [\"{}\"]`",
                    resolved.name
                ))
            } else {
                diagnostic.help(format!(
                    "environment '{environment}' runs on: {}",
                    names.join(", ")
                ))
            };
            return Err(diagnostic.into());
        };
        for env in &mut self.list {
            env.search_platform = Some(platform);
            env.tasks = env.tasks_at(Some(platform)).unwrap_or_default();
        }
        self.pinned = Some(platform);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Environment<'a>> {
        self.list.iter().find(|e| e.name == name)
    }

    /// The environment called `name`, or an error listing the ones that exist.
    pub fn require(&self, name: &str) -> Result<&Environment<'a>> {
        self.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.list.iter().map(|e| e.name.as_str()).collect();
            let mut diagnostic = Diagnostic::new(format!("unknown environment '{name}'"))
                .help(format!("the environments are: {}", names.join(", ")));
            if let Some(close) = closest(name, &names) {
                diagnostic = diagnostic.help(format!("did you mean '{close}'?"));
            }
            diagnostic.into()
        })
    }

    /// Whether the workspace declares more than one environment (the banner names it then).
    pub fn has_several(&self) -> bool {
        self.list.len() > 1
    }

    /// Find task `name` (`SearchEnvironments::find_task`): in `explicit` if given, else by
    /// pixi's search rules; `chooser` settles a name several environments define.
    pub fn find<'s>(
        &'s self,
        name: &'s str,
        explicit: Option<&str>,
        source: Source<'s>,
        chooser: Chooser<'_>,
    ) -> Result<(&'s Environment<'a>, &'a Task<'a>)> {
        self.lookup(name, explicit, source, chooser)?
            .ok_or_else(|| self.not_found(name, explicit))
    }

    /// Like `find`, with `None` where the searched environments do not define `name`.
    pub fn lookup<'s>(
        &'s self,
        name: &'s str,
        explicit: Option<&str>,
        source: Source<'s>,
        chooser: Chooser<'_>,
    ) -> Result<Option<(&'s Environment<'a>, &'a Task<'a>)>> {
        if let Some(env_name) = explicit {
            let env = self.require(env_name)?;
            return Ok(env.tasks.get(name).map(|&task| (env, task)));
        }
        if let Some(default) = self.get(DEFAULT_ENVIRONMENT)
            && let Some(&task) = default.tasks.get(name)
        {
            if let Some(preferred) = task.default_environment.as_deref()
                && let Some(env) = self.get(preferred)
                && env.runs_here()
                && let Some(&other) = env.tasks.get(name)
            {
                return Ok(Some((env, other)));
            }
            let differs = self.list.iter().any(|e| {
                !e.is_default()
                    && e.runs_here()
                    && e.tasks.get(name).is_some_and(|t| t.id != task.id)
            });
            if !differs {
                return Ok(Some((default, task)));
            }
        }
        let candidates: Vec<(&Environment<'a>, &'a Task<'a>)> = self
            .list
            .iter()
            .filter_map(|e| e.tasks.get(name).map(|&t| (e, t)))
            .collect();
        match candidates.as_slice() {
            [] => Ok(None),
            [only] => Ok(Some(*only)),
            _ => {
                let ambiguous = Ambiguous {
                    task: name,
                    source,
                    candidates,
                };
                match chooser(&ambiguous) {
                    Some(i) if i < ambiguous.candidates.len() => Ok(Some(ambiguous.candidates[i])),
                    _ => Err(ambiguous_error(&ambiguous)),
                }
            }
        }
    }

    /// The environments that define `name` on any platform they declare, or in their plain
    /// tables (`environments_defining_task`).
    pub fn defining(&self, name: &str) -> Vec<&str> {
        self.list
            .iter()
            .filter(|env| {
                std::iter::once(None)
                    .chain(env.platforms.iter().map(|p| Some(*p)))
                    .any(|platform| {
                        env.tasks_at(platform)
                            .is_some_and(|tasks| tasks.contains_key(name))
                    })
            })
            .map(|env| env.name.as_str())
            .collect()
    }

    /// A task that is not where it was looked for: unavailable here when some environment
    /// defines it elsewhere (`UnrunnableTaskError`), else unknown (`MissingTaskError`).
    pub fn not_found(&self, name: &str, explicit: Option<&str>) -> anyhow::Error {
        let defining = self.defining(name);
        if let Some(first) = defining.first() {
            let place = match (explicit, self.pinned) {
                (Some(env), _) => format!(" in environment '{env}'"),
                (None, Some(platform)) => format!(" for platform '{}'", platform.name),
                (None, None) => " on this machine".to_string(),
            };
            return Diagnostic::new(format!("the task '{name}' is not available{place}"))
                .help(format!(
                    "the task is defined in environment(s): {}; run it there with `berth run --environment {first} {name}`",
                    defining.join(", ")
                ))
                .into();
        }
        let mut names: Vec<&str> = self
            .list
            .iter()
            .flat_map(|e| e.tasks.keys().copied())
            .filter(|n| !n.starts_with('_'))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut diagnostic = Diagnostic::new(format!("could not find the task '{name}'"));
        if let Some(close) = closest(name, &names) {
            diagnostic = diagnostic.help(format!("did you mean '{close}'?"));
        }
        diagnostic.help("`berth task list` shows the tasks").into()
    }
}

/// `AmbiguousTaskError` (`crates/pixi_task/src/error.rs`, v0.77.0).
fn ambiguous_error(ambiguous: &Ambiguous<'_, '_>) -> anyhow::Error {
    let names: Vec<&str> = ambiguous
        .candidates
        .iter()
        .map(|(e, _)| e.name.as_str())
        .collect();
    let task = ambiguous.task;
    Diagnostic::new(format!("the task '{task}' is ambiguous"))
        .help(format!(
            "these environments provide the task '{task}': {}",
            names.join(", ")
        ))
        .help(format!(
            "specify the '--environment' flag to run the task in a specific environment, e.g. `berth run --environment {} {task}`",
            names[0]
        ))
        .into()
}

/// The workspace platforms an environment of `features` supports (`FeaturesExt::platforms`):
/// those every feature supports by name or subdir, where a feature that names a platform
/// exactly keeps the other platforms of that subdir out.
fn environment_platforms<'a>(
    declared: &'a [DeclaredPlatform],
    features: &[&Feature],
) -> Vec<&'a DeclaredPlatform> {
    let named: Vec<&str> = features
        .iter()
        .filter_map(|f| f.platforms.as_deref())
        .flatten()
        .map(String::as_str)
        .collect();
    let exact_subdirs: Vec<&str> = declared
        .iter()
        .filter(|p| named.contains(&p.name.as_str()))
        .map(|p| p.subdir.as_str())
        .collect();
    declared
        .iter()
        .filter(|p| {
            features.iter().all(|f| {
                f.platforms
                    .as_ref()
                    .is_none_or(|names| names.iter().any(|n| *n == p.name || *n == p.subdir))
            })
        })
        .filter(|p| named.contains(&p.name.as_str()) || !exact_subdirs.contains(&p.subdir.as_str()))
        .collect()
}

/// The first declared platform, in the order of the subdirs this machine runs, that the
/// environment supports (`Environment::best_declared_platform`).
fn best_platform<'a>(
    declared: &'a [DeclaredPlatform],
    supported: &[&'a DeclaredPlatform],
    host_subdir: &str,
) -> Option<&'a DeclaredPlatform> {
    platforms::candidate_subdirs(host_subdir)
        .iter()
        .flat_map(|subdir| declared.iter().filter(move |p| &p.subdir == subdir))
        .find(|p| supported.iter().any(|s| s.name == p.name))
}

/// The tasks of an environment made of `features` (most specific first) on `platform`:
/// inserted from least to most specific, so later inserts win. Without a platform only the
/// plain tables count.
fn tasks_for<'a>(
    features: &[&'a Feature<'a>],
    platform: Option<&DeclaredPlatform>,
) -> HashMap<&'a str, &'a Task<'a>> {
    let mut tasks = HashMap::new();
    for target in targets(features, platform).rev() {
        for task in &target.tasks {
            tasks.insert(task.name.as_ref(), task);
        }
    }
    tasks
}

/// The targets of `features` that apply on `platform`, most specific first: per feature
/// (most specific first) the matching `[target]` tables, last declared first, then the plain
/// one (`Targets::resolve`).
pub fn targets<'f, 'a: 'f>(
    features: &'f [&'a Feature<'a>],
    platform: Option<&'f DeclaredPlatform>,
) -> impl DoubleEndedIterator<Item = &'a crate::manifest::tasks::Target<'a>> + 'f {
    features.iter().flat_map(move |feature| {
        feature
            .targets
            .iter()
            .rev()
            .filter(move |target| match &target.selector {
                None => true,
                Some(selector) => {
                    platform.is_some_and(|p| platforms::selector_matches(selector, p))
                }
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(name: &str, subdir: &str) -> DeclaredPlatform {
        DeclaredPlatform::new(name, subdir)
    }

    fn feature<'s>(platforms: Option<&[&str]>) -> Feature<'s> {
        Feature {
            name: "f".into(),
            kind: crate::manifest::tasks::FeatureKind::Named,
            platforms: platforms.map(|list| list.iter().map(|s| s.to_string()).collect()),
            has_dependencies: false,
            targets: Vec::new(),
        }
    }

    #[test]
    fn an_environment_keeps_the_platforms_all_its_features_support() {
        let declared = vec![
            platform("linux-64", "linux-64"),
            platform("gpu", "linux-64"),
            platform("osx-arm64", "osx-arm64"),
        ];
        let names = |features: &[&Feature]| -> Vec<String> {
            environment_platforms(&declared, features)
                .iter()
                .map(|p| p.name.clone())
                .collect()
        };
        let any = feature(None);
        assert_eq!(names(&[&any]), ["linux-64", "gpu", "osx-arm64"]);
        let linux = feature(Some(&["linux-64"]));
        // Naming the subdir exactly keeps its named variant out (prefix-dev/pixi#6493).
        assert_eq!(names(&[&linux, &any]), ["linux-64"]);
        let gpu = feature(Some(&["gpu"]));
        assert_eq!(names(&[&gpu, &any]), ["gpu"]);
        let mac = feature(Some(&["osx-arm64"]));
        assert!(names(&[&mac, &linux]).is_empty());
    }

    #[test]
    fn the_best_platform_is_the_hosts_subdir_then_its_fallbacks() {
        let declared = vec![
            platform("osx-64", "osx-64"),
            platform("osx-arm64", "osx-arm64"),
        ];
        let all: Vec<&DeclaredPlatform> = declared.iter().collect();
        assert_eq!(
            best_platform(&declared, &all, "osx-arm64").map(|p| p.name.as_str()),
            Some("osx-arm64")
        );
        assert_eq!(
            best_platform(&declared, &all[..1], "osx-arm64").map(|p| p.name.as_str()),
            Some("osx-64")
        );
        assert_eq!(best_platform(&declared, &all, "linux-64"), None);
    }
}
