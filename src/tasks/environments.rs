//! Which tasks each environment sees on this platform (pixi.md 1.5–1.6), and finding a task
//! by name across environments (pixi.md 2.5).

use std::collections::HashMap;

use anyhow::Result;

use crate::diag::Diagnostic;
use crate::manifest::Manifest;
use crate::manifest::tasks::{DEFAULT_FEATURE, Feature, Task, TaskSet};
use crate::settings::closest;

pub const DEFAULT_ENVIRONMENT: &str = "default";

/// One environment with its resolved tasks.
pub struct Environment<'a> {
    pub name: String,
    pub tasks: HashMap<&'a str, &'a Task<'a>>,
}

/// Every environment of the workspace, resolved for one platform.
pub struct Environments<'a> {
    /// `default` first, then `[environments]` in declaration order.
    pub list: Vec<Environment<'a>>,
    set: &'a TaskSet<'a>,
    platform: String,
}

impl<'a> Environments<'a> {
    /// Resolve every environment's tasks for `platform` (the platform that selects targets).
    pub fn resolve(
        manifest: &Manifest,
        set: &'a TaskSet<'a>,
        platform: &str,
    ) -> Result<Environments<'a>> {
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
        let list = decls
            .into_iter()
            .map(|(name, features)| Environment {
                name: name.to_string(),
                tasks: tasks_for(&features, platform, &set.rich_platforms),
            })
            .collect();
        Ok(Environments {
            list,
            set,
            platform: platform.to_string(),
        })
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

    /// Find task `name`: in `explicit` if given, else by pixi's search rules.
    pub fn find(
        &self,
        name: &str,
        explicit: Option<&str>,
    ) -> Result<(&Environment<'a>, &'a Task<'a>)> {
        if let Some(env_name) = explicit {
            let env = self.require(env_name)?;
            return match env.tasks.get(name) {
                Some(task) => Ok((env, task)),
                None => Err(self.not_found(name, Some(env_name))),
            };
        }
        if let Some(default) = self.get(DEFAULT_ENVIRONMENT)
            && let Some(&task) = default.tasks.get(name)
        {
            if let Some(preferred) = task.default_environment.as_deref()
                && let Some(env) = self.get(preferred)
                && let Some(&other) = env.tasks.get(name)
            {
                return Ok((env, other));
            }
            let differs = self
                .list
                .iter()
                .any(|e| e.tasks.get(name).is_some_and(|t| t.id != task.id));
            if !differs {
                return Ok((default, task));
            }
        }
        let matches: Vec<(&Environment<'a>, &'a Task<'a>)> = self
            .list
            .iter()
            .filter_map(|e| e.tasks.get(name).map(|&t| (e, t)))
            .collect();
        match matches.as_slice() {
            [] => Err(self.not_found(name, None)),
            [only] => Ok(*only),
            several => {
                let envs: Vec<&str> = several.iter().map(|(e, _)| e.name.as_str()).collect();
                Err(Diagnostic::new(format!("the task '{name}' is ambiguous"))
                    .help(format!(
                        "it can run in the environments {}; choose one with `berth run --environment {} {name}`",
                        envs.join(", "),
                        envs[0]
                    ))
                    .into())
            }
        }
    }

    fn not_found(&self, name: &str, env: Option<&str>) -> anyhow::Error {
        let elsewhere = self
            .set
            .features
            .iter()
            .chain(self.set.environments.iter().map(|e| &e.inline))
            .any(|f| {
                f.targets
                    .iter()
                    .any(|t| t.tasks.iter().any(|task| task.name == name))
            });
        let message = match env {
            Some(env) if self.get(env).is_some() && elsewhere => {
                format!("the task '{name}' is not available in environment '{env}'")
            }
            _ if elsewhere => format!(
                "the task '{name}' is not available for platform '{}'",
                self.platform
            ),
            _ => format!("could not find the task '{name}'"),
        };
        let mut names: Vec<&str> = self
            .list
            .iter()
            .flat_map(|e| e.tasks.keys().copied())
            .filter(|n| !n.starts_with('_'))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut diagnostic = Diagnostic::new(message);
        if let Some(close) = closest(name, &names) {
            diagnostic = diagnostic.help(format!("did you mean '{close}'?"));
        }
        diagnostic.help("`berth task list` shows the tasks").into()
    }
}

/// The tasks of an environment made of `features` (most specific first) on `platform`:
/// inserted from least to most specific, so later inserts win.
fn tasks_for<'a>(
    features: &[&'a Feature<'a>],
    platform: &str,
    rich: &[(String, String)],
) -> HashMap<&'a str, &'a Task<'a>> {
    let mut tasks = HashMap::new();
    for feature in features.iter().rev() {
        for target in &feature.targets {
            let applies = target
                .selector
                .as_deref()
                .is_none_or(|s| selector_matches(s, platform, rich));
            if applies {
                for task in &target.tasks {
                    tasks.insert(task.name.as_ref(), task);
                }
            }
        }
    }
    tasks
}

/// Whether a `[target.<selector>]` applies to `platform` (a conda subdir such as `linux-64`).
pub fn selector_matches(selector: &str, platform: &str, rich: &[(String, String)]) -> bool {
    let os = platform.split('-').next().unwrap_or(platform);
    match selector {
        "unix" => matches!(os, "linux" | "osx" | "emscripten" | "wasi"),
        "linux" | "win" | "osx" => os == selector,
        "macos" => os == "osx",
        _ if selector.contains(['*', '?', '[']) => glob_matches(selector, platform),
        _ => {
            selector == platform
                || rich
                    .iter()
                    .any(|(name, subdir)| name == selector && subdir == platform)
        }
    }
}

/// A small glob over platform names: `*`, `?` and `[...]` classes.
fn glob_matches(pattern: &str, text: &str) -> bool {
    fn matches(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| matches(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && matches(&p[1..], &t[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|&c| c == ']') else {
                    return t.first() == Some(&'[') && matches(&p[1..], &t[1..]);
                };
                let class = &p[1..end];
                let Some(&c) = t.first() else { return false };
                let (negated, class) = match class.first() {
                    Some('!' | '^') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut i = 0;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == '-' {
                        hit |= class[i] <= c && c <= class[i + 2];
                        i += 3;
                    } else {
                        hit |= class[i] == c;
                        i += 1;
                    }
                }
                hit != negated && matches(&p[end + 1..], &t[1..])
            }
            Some(&c) => t.first() == Some(&c) && matches(&p[1..], &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

/// The platform whose targets apply (pixi.md 1.6): the host when the workspace declares it
/// (or declares nothing), an emulated fallback it declares, else the first declared one.
pub fn best_platform(host: &str, declared: &[String]) -> String {
    if declared.is_empty() || declared.iter().any(|p| p == host) {
        return host.to_string();
    }
    let fallback = match host {
        "osx-arm64" => Some("osx-64"),
        "win-arm64" => Some("win-64"),
        "win-64" => Some("win-32"),
        _ => None,
    };
    if let Some(fallback) = fallback.filter(|f| declared.iter().any(|p| p == f)) {
        return fallback.to_string();
    }
    declared[0].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_families_subdirs_and_globs() {
        let rich = vec![("gpu".to_string(), "linux-64".to_string())];
        for (selector, platform, expected) in [
            ("linux", "linux-64", true),
            ("linux", "osx-arm64", false),
            ("unix", "linux-aarch64", true),
            ("unix", "osx-64", true),
            ("unix", "win-64", false),
            ("win", "win-64", true),
            ("osx", "osx-arm64", true),
            ("macos", "osx-64", true),
            ("macos", "linux-64", false),
            ("linux-64", "linux-64", true),
            ("linux-64", "linux-aarch64", false),
            ("linux-*", "linux-aarch64", true),
            ("*-64", "osx-arm64", false),
            ("osx-[a]rm64", "osx-arm64", true),
            ("gpu", "linux-64", true),
            ("gpu", "osx-64", false),
        ] {
            assert_eq!(
                selector_matches(selector, platform, &rich),
                expected,
                "{selector} on {platform}"
            );
        }
    }

    #[test]
    fn best_platform_follows_pixi() {
        let declared = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(best_platform("linux-64", &[]), "linux-64");
        assert_eq!(
            best_platform("linux-64", &declared(&["osx-arm64", "linux-64"])),
            "linux-64"
        );
        assert_eq!(best_platform("osx-arm64", &declared(&["osx-64"])), "osx-64");
        assert_eq!(
            best_platform("linux-64", &declared(&["osx-arm64"])),
            "osx-arm64"
        );
    }
}
