//! Running an ordered list of invocations: render, print the banner, consult the cache, run
//! the script in the task shell with pixi's variables, stop at the first failure.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::cache::{CacheKey, TaskCache};
use super::graph::Invocation;
use super::shell::{self, Shell};
use super::template::{self, Renderer};
use crate::diag::{Diagnostic, locate};
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::Manifest;
use crate::manifest::tasks::{CmdBody, Span, join_words};
use crate::project::Project;
use crate::ui;

/// Everything about the workspace a task's process needs.
pub struct Runner<'r> {
    pub project: &'r Project,
    pub manifest: &'r Manifest<'r>,
    pub renderer: &'r Renderer,
    pub workspace_name: String,
    pub workspace_version: Option<String>,
    /// `--clean-env`: every task starts from a clean environment.
    pub clean_env: bool,
    pub dry_run: bool,
    /// Name the environment in the banner (the workspace has several).
    pub show_environment: bool,
}

/// A rendered task, ready for the shell.
struct Prepared {
    /// What the banner shows: the rendered command and the extra words, unquoted.
    shown: String,
    script: String,
    cwd: PathBuf,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

impl Runner<'_> {
    pub fn run(&self, plan: &[Invocation<'_>]) -> Result<ExitStatus> {
        if self.dry_run {
            ui::status("🌵 Dry-run mode enabled - no tasks will be executed.");
        }
        let cache = TaskCache::new(&self.project.layout.task_cache_dir, &self.project.root);
        let mut shell: Option<Shell> = None;
        let mut first = true;
        for invocation in plan {
            let Some(prepared) = self.prepare(invocation)? else {
                continue; // an alias only runs its dependencies
            };
            if !first {
                ui::status("");
            }
            first = false;
            self.banner(invocation, &prepared);
            if self.dry_run {
                continue;
            }
            if !prepared.cwd.is_dir() {
                return Err(Diagnostic::new(format!(
                    "invalid working directory '{}'",
                    invocation.task.cwd.as_deref().unwrap_or_default()
                ))
                .at_opt(self.manifest.location(invocation.task.span.clone()))
                .help(format!(
                    "`cwd` of task `{}` is relative to {}; create the directory or fix the path",
                    invocation.task.name,
                    ui::display_path(&self.project.root)
                ))
                .into());
            }
            let cached = !prepared.inputs.is_empty() || !prepared.outputs.is_empty();
            let key = CacheKey {
                environment: &invocation.environment,
                task: &invocation.task.name,
                script: &prepared.script,
                inputs: &prepared.inputs,
                outputs: &prepared.outputs,
            };
            if cached && cache.is_fresh(&cache.fingerprint(&key)?) {
                ui::status(&format!(
                    "Task '{}' can be skipped (cache hit) 🚀",
                    invocation.task.name
                ));
                continue;
            }
            let shell = match &mut shell {
                Some(shell) => shell,
                None => shell.insert(Shell::new()?),
            };
            let env = self.environment(invocation);
            let code = shell
                .run(&invocation.task.name, &prepared.script, env, prepared.cwd)
                .map_err(|err| {
                    let cmd = invocation.task.cmd.as_ref().and_then(|c| c.span.clone());
                    locate(
                        err,
                        self.manifest.location(cmd.or(invocation.task.span.clone())),
                    )
                })?;
            if code != 0 {
                return Ok(ExitStatus::from_code(code));
            }
            if cached {
                let fingerprint = cache.fingerprint(&key)?;
                for (set, matched) in [
                    (
                        "input",
                        !prepared.inputs.is_empty() && !fingerprint.inputs_matched,
                    ),
                    (
                        "output",
                        !prepared.outputs.is_empty() && !fingerprint.outputs_matched,
                    ),
                ] {
                    if matched {
                        ui::warn(&format!(
                            "No files matched the {set} globs for task '{}'",
                            invocation.task.name
                        ));
                    }
                }
                if fingerprint.complete {
                    cache.save(&fingerprint)?;
                }
            }
        }
        Ok(ExitStatus::Success)
    }

    fn banner(&self, invocation: &Invocation<'_>, prepared: &Prepared) {
        let task = invocation.task;
        let environment = if self.show_environment {
            format!(" in {}", invocation.environment)
        } else {
            String::new()
        };
        let description = task
            .description
            .as_deref()
            .map(|d| format!(": ({})", collapse_whitespace(d)))
            .unwrap_or_default();
        ui::status(&format!(
            "✨ berth task ({}{environment}): {}{description}",
            task.name, prepared.shown
        ));
    }

    /// Render the task's command, env and globs; `None` for an alias.
    fn prepare(&self, invocation: &Invocation<'_>) -> Result<Option<Prepared>> {
        let task = invocation.task;
        let Some(cmd) = &task.cmd else {
            return Ok(None);
        };
        let render = |text: &str, span: &Span, what: &str| -> Result<String> {
            self.renderer
                .render(text, &invocation.environment, &invocation.args)
                .map_err(|err| {
                    Diagnostic::new(format!(
                        "failed to replace argument placeholders in {what} of task '{}': {}",
                        task.name,
                        template::describe(&err)
                    ))
                    .at_opt(self.manifest.location(span.clone()))
                    .help("write a literal `{{` as {{ '{{' }}, or wrap the text in {% raw %}…{% endraw %}")
                    .into()
                })
        };
        let command = match &cmd.body {
            CmdBody::Script(script) => render(script, &cmd.span, "the command")?,
            CmdBody::Words(words) => {
                let rendered = words
                    .iter()
                    .map(|w| render(w, &cmd.span, "the command"))
                    .collect::<Result<Vec<_>>>()?;
                join_words(rendered.iter().map(String::as_str))
            }
        };
        let mut script = String::new();
        for (key, value) in &task.env {
            let value = render(value, &task.span, &format!("env `{key}`"))?;
            script.push_str(&format!(
                "export \"{key}={}\";\n",
                value.replace('"', "\\\"")
            ));
        }
        script.push_str(&command);
        let mut shown = command;
        for word in &invocation.extra {
            script.push(' ');
            script.push_str(&shell::quote(word));
            shown.push(' ');
            shown.push_str(word);
        }
        let globs = |list: &[String], what: &str| -> Result<Vec<String>> {
            list.iter().map(|g| render(g, &task.span, what)).collect()
        };
        let cwd = match &task.cwd {
            Some(cwd) => self.project.root.join(cwd),
            None => self.project.root.clone(),
        };
        Ok(Some(Prepared {
            shown,
            script,
            cwd,
            inputs: globs(&task.inputs, "`inputs`")?,
            outputs: globs(&task.outputs, "`outputs`")?,
        }))
    }

    /// The task's process environment (pixi.md 2.7).
    fn environment(&self, invocation: &Invocation<'_>) -> HashMap<OsString, OsString> {
        let clean = self.clean_env || invocation.task.clean_env;
        let mut env: HashMap<OsString, OsString> = host::vars()
            .into_iter()
            .filter(|(key, _)| !clean || key.to_str().is_some_and(kept_by_clean_env))
            .collect();
        let root = &self.project.root;
        let prefix = self.project.layout.envs_dir.join(&invocation.environment);
        let bin = prefix.join("bin");
        let path = if clean {
            Some(bin.clone().into_os_string())
        } else if bin.is_dir() {
            let mut dirs = vec![bin];
            dirs.extend(host::path_dirs());
            std::env::join_paths(dirs).ok()
        } else {
            None
        };
        if let Some(path) = path {
            env.insert("PATH".into(), path);
        }
        let mut set = |key: &str, value: &Path| {
            env.insert(key.into(), value.as_os_str().to_owned());
        };
        set("PIXI_PROJECT_ROOT", root);
        set("PIXI_PROJECT_MANIFEST", &self.project.manifest_path);
        set("CONDA_PREFIX", &prefix);
        if let Ok(exe) = host::current_exe() {
            set("PIXI_EXE", &exe);
        }
        if let Ok(cwd) = host::current_dir() {
            set("INIT_CWD", &cwd);
        }
        let version = self
            .workspace_version
            .as_deref()
            .unwrap_or("NO_VERSION_SPECIFIED");
        for (key, value) in [
            ("PIXI_PROJECT_NAME", self.workspace_name.as_str()),
            ("PIXI_PROJECT_VERSION", version),
            ("PIXI_ENVIRONMENT_NAME", invocation.environment.as_str()),
            ("PIXI_IN_SHELL", "1"),
        ] {
            env.insert(key.into(), value.into());
        }
        env
    }
}

/// Whether `clean-env` keeps a variable (pixi's list; three more on macOS).
fn kept_by_clean_env(key: &str) -> bool {
    CLEAN_ENV_KEEP.contains(&key)
        || (host::Os::current() == host::Os::Macos && CLEAN_ENV_KEEP_MACOS.contains(&key))
}

const CLEAN_ENV_KEEP: &[&str] = &[
    "DISPLAY",
    "LC_ALL",
    "LC_TIME",
    "LC_NUMERIC",
    "LC_MEASUREMENT",
    "SHELL",
    "USER",
    "USERNAME",
    "LOGNAME",
    "HOME",
    "HOSTNAME",
];

const CLEAN_ENV_KEEP_MACOS: &[&str] = &["TMPDIR", "XPC_SERVICE_NAME", "XPC_FLAGS"];

pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
