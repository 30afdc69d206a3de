//! Running an ordered list of invocations, or a command given on the command line: render,
//! print the banner, consult the cache, activate the environment, run the script in the task
//! shell, stop at the first failure or fatal signal.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Result;

use super::activation::{self, Workspace};
use super::cache::{self, Key, TaskCache};
use super::environments::{Environment, Environments};
use super::graph::Invocation;
use super::lockfile;
use super::shell::{self, Shell};
use super::template::{self, Context, Renderer};
use crate::diag::{Diagnostic, locate};
use crate::exit::ExitStatus;
use crate::host;
use crate::manifest::Manifest;
use crate::manifest::tasks::{CmdBody, Span, join_words};
use crate::project::Project;
use crate::ui;

/// Everything about the workspace a task's process needs.
pub struct Runner<'r, 'a> {
    pub project: &'r Project,
    pub manifest: &'r Manifest<'a>,
    pub environments: &'r Environments<'a>,
    pub renderer: &'r Renderer,
    pub workspace_name: String,
    pub workspace_version: Option<String>,
    /// `--clean-env`: every task starts from a clean environment.
    pub clean_env: bool,
    pub dry_run: bool,
}

/// A command given on the command line in place of a task name (pixi's `Custom` task).
pub struct AdHoc {
    pub script: String,
    /// `--templated`: render it as a task's command is rendered.
    pub templated: bool,
    pub environment: String,
}

/// A rendered task, ready for the shell.
struct Prepared {
    /// The rendered command and the extra words, unquoted: the banner and the cache key.
    command: String,
    script: String,
    cwd: PathBuf,
    inputs: Option<Vec<String>>,
    outputs: Option<Vec<String>>,
}

/// What a run keeps between tasks: the shell, and each environment's variables.
#[derive(Default)]
struct Session {
    shell: Option<Shell>,
    activated: HashMap<(String, bool), HashMap<OsString, OsString>>,
    environment_hashes: HashMap<String, u64>,
}

impl Runner<'_, '_> {
    pub fn run(&self, plan: &[Invocation<'_>]) -> Result<ExitStatus> {
        if self.dry_run {
            ui::status("🌵 Dry-run mode enabled - no tasks will be executed.");
        }
        let cache = TaskCache::new(&self.project.layout.task_cache_dir, &self.project.root);
        let mut session = Session::default();
        let mut first = true;
        for (position, invocation) in plan.iter().enumerate() {
            let environment = self.environment(&invocation.environment);
            let Some(prepared) = self.prepare(invocation, environment)? else {
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
            self.check_cwd(invocation, &prepared)?;
            let args = invocation.describe_args();
            // Only a task with `inputs` or `outputs` has an entry, and only it pays for one.
            let key = invocation.task.is_cached().then(|| Key {
                environment: &invocation.environment,
                task: &invocation.task.name,
                args: &args,
                command: &prepared.command,
                inputs: prepared.inputs.as_deref(),
                outputs: prepared.outputs.as_deref(),
                environment_hash: self.environment_hash(&mut session, environment),
            });
            if let Some(key) = &key
                && cache.is_fresh(key, &cache.fingerprint(key)?)
            {
                let args = if key.args.is_empty() {
                    String::new()
                } else {
                    format!(" with args {}", key.args)
                };
                ui::status(&format!(
                    "Task '{}'{args} can be skipped (cache hit) 🚀",
                    invocation.task.name
                ));
                continue;
            }
            let clean = self.clean_env || invocation.task.clean_env;
            let code = self
                .execute(
                    &mut session,
                    &format!("task '{}'", invocation.task.name),
                    environment,
                    clean,
                    &prepared,
                )
                .map_err(|err| {
                    let cmd = invocation.task.cmd.as_ref().and_then(|c| c.span.clone());
                    locate(
                        err,
                        self.manifest.location(cmd.or(invocation.task.span.clone())),
                    )
                })?;
            let interrupted = session.shell.as_ref().and_then(Shell::fatal_signal);
            if code != 0 || interrupted.is_some() {
                let more = position + 1 < plan.len();
                return Ok(self.finish(code, interrupted, more));
            }
            if let Some(key) = &key {
                record(&cache, key)?;
            }
        }
        Ok(ExitStatus::Success)
    }

    /// Run a command given in place of a task: in the caller's directory, without a banner
    /// or a cache, rendered only with `--templated`.
    pub fn run_command(&self, command: &AdHoc) -> Result<ExitStatus> {
        if self.dry_run {
            ui::status("🌵 Dry-run mode enabled - no tasks will be executed.");
            return Ok(ExitStatus::Success);
        }
        let environment = self.environment(&command.environment);
        let script = if command.templated {
            let platform = environment.platform();
            let context = Context {
                platform: &platform,
                environment: &environment.name,
                args: &[],
                dependency: false,
            };
            self.renderer
                .render(&command.script, &context)
                .map_err(|err| template_error("the command", &err))?
        } else {
            command.script.clone()
        };
        let prepared = Prepared {
            command: script.clone(),
            script,
            cwd: host::current_dir()?,
            inputs: None,
            outputs: None,
        };
        let mut session = Session::default();
        let code = self.execute(
            &mut session,
            "the command",
            environment,
            self.clean_env,
            &prepared,
        )?;
        let interrupted = session.shell.as_ref().and_then(Shell::fatal_signal);
        Ok(self.finish(code, interrupted, false))
    }

    /// The environment of an invocation: every name in a plan comes from `environments`.
    fn environment(&self, name: &str) -> &Environment<'_> {
        self.environments
            .get(name)
            .unwrap_or_else(|| &self.environments.list[0])
    }

    /// How a run that stopped ends: the script's code, or 128+N when a fatal signal N cut
    /// the run short after a script that succeeded.
    fn finish(&self, code: i32, interrupted: Option<i32>, more: bool) -> ExitStatus {
        match interrupted {
            Some(signal) if code == 0 && more => ExitStatus::Child(128 + signal),
            _ => ExitStatus::from_code(code),
        }
    }

    fn execute(
        &self,
        session: &mut Session,
        label: &str,
        environment: &Environment<'_>,
        clean: bool,
        prepared: &Prepared,
    ) -> Result<i32> {
        let env = match session.activated.entry((environment.name.clone(), clean)) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => {
                let workspace = Workspace {
                    root: &self.project.root,
                    manifest_path: &self.project.manifest_path,
                    name: &self.workspace_name,
                    version: self.workspace_version.as_deref(),
                    envs_dir: &self.project.layout.envs_dir,
                };
                entry.insert(activation::activate(&workspace, environment, clean)?)
            }
        }
        .clone();
        let shell = match &mut session.shell {
            Some(shell) => shell,
            None => session.shell.insert(Shell::new()?),
        };
        shell.run(label, &prepared.script, env, prepared.cwd.clone())
    }

    /// The hash of what the environment brings to a cache key, once per environment.
    fn environment_hash(&self, session: &mut Session, environment: &Environment<'_>) -> u64 {
        *session
            .environment_hashes
            .entry(environment.name.clone())
            .or_insert_with(|| {
                let platform = environment.platform();
                let spec = activation::spec(environment);
                let locked = lockfile::locked_packages(
                    &self.project.root.join("pixi.lock"),
                    &environment.name,
                    &platform.name,
                );
                cache::environment_hash(&platform.name, &spec.scripts, &spec.env, &locked)
            })
    }

    fn check_cwd(&self, invocation: &Invocation<'_>, prepared: &Prepared) -> Result<()> {
        if prepared.cwd.is_dir() {
            return Ok(());
        }
        Err(Diagnostic::new(format!(
            "invalid working directory '{}'",
            invocation.task.cwd.as_deref().unwrap_or_default()
        ))
        .at_opt(self.manifest.location(invocation.task.span.clone()))
        .help(format!(
            "`cwd` of task `{}` is relative to {}; create the directory or fix the path",
            invocation.task.name,
            ui::display_path(&self.project.root)
        ))
        .into())
    }

    fn banner(&self, invocation: &Invocation<'_>, prepared: &Prepared) {
        let task = invocation.task;
        let environment = if self.environments.has_several() {
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
            task.name, prepared.command
        ));
    }

    /// Render the task's command, env and globs; `None` for an alias.
    fn prepare(
        &self,
        invocation: &Invocation<'_>,
        environment: &Environment<'_>,
    ) -> Result<Option<Prepared>> {
        let task = invocation.task;
        let Some(cmd) = &task.cmd else {
            return Ok(None);
        };
        let platform = environment.platform();
        let context = Context {
            platform: &platform,
            environment: &invocation.environment,
            args: &invocation.args,
            dependency: false,
        };
        let render = |text: &str, span: &Span, what: &str| -> Result<String> {
            self.renderer.render(text, &context).map_err(|err| {
                locate(
                    template_error(&format!("{what} of task '{}'", task.name), &err),
                    self.manifest.location(span.clone()),
                )
            })
        };
        let rendered = match &cmd.body {
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
        for (key, value) in task.env.iter().flatten() {
            let value = render(value, &task.span, &format!("env `{key}`"))?;
            script.push_str(&format!(
                "export \"{key}={}\";\n",
                value.replace('"', "\\\"")
            ));
        }
        script.push_str(&rendered);
        let mut command = rendered;
        for word in &invocation.extra {
            script.push(' ');
            script.push_str(&shell::quote(word));
            command.push(' ');
            command.push_str(word);
        }
        let globs = |list: &Option<Vec<String>>, what: &str| -> Result<Option<Vec<String>>> {
            list.as_ref()
                .map(|list| list.iter().map(|g| render(g, &task.span, what)).collect())
                .transpose()
        };
        let cwd = match &task.cwd {
            Some(cwd) => self.project.root.join(cwd),
            None => self.project.root.clone(),
        };
        Ok(Some(Prepared {
            command,
            script,
            cwd,
            inputs: globs(&task.inputs, "`inputs`")?,
            outputs: globs(&task.outputs, "`outputs`")?,
        }))
    }
}

/// After a successful run: warn about glob sets that matched nothing, and save the entry
/// when none did (`warn_on_missing_globs`, `save_cache`).
fn record(cache: &TaskCache, key: &Key<'_>) -> Result<()> {
    let fingerprint = cache.fingerprint(key)?;
    for (set, globs) in TaskCache::unmatched(key, &fingerprint) {
        ui::warn(&format!(
            "No files matched the {set} globs for task '{}'",
            key.task
        ));
        let listed: Vec<String> = globs.iter().map(|g| format!("`{g}`")).collect();
        let label = if set == "output" { "Output" } else { "Input" };
        ui::warn(&format!("{label} globs: {}", listed.join(", ")));
    }
    cache.save(key, &fingerprint)
}

/// pixi's "failed to replace argument placeholders" (`TemplateStringError`), naming what
/// held the template.
fn template_error(what: &str, err: &minijinja::Error) -> anyhow::Error {
    Diagnostic::new(format!(
        "failed to replace argument placeholders in {what}: {}",
        template::describe(err)
    ))
    .help("write a literal `{{` as {{ '{{' }}, or wrap the text in {% raw %}…{% endraw %}")
    .into()
}

pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
