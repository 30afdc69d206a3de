//! The task tables of a manifest, read as pixi reads them: `[tasks]`, `[target.<sel>.tasks]`,
//! `[feature.<F>(.target.<sel>).tasks]`, `[environments]` and their inline `tasks`, with what
//! decides where and how a task runs: `[workspace].platforms`, a feature's `platforms`, and
//! `[activation]` next to each `tasks` table.
//!
//! This is a model only: nothing here resolves platforms or runs anything. Positions are kept
//! as byte spans and turned into `file:line:col` only when an error needs one, so listing
//! thousands of tasks does not rescan the source per task.

use std::borrow::Cow;
use std::ops::Range;

use super::document::{Array, Node, Table};
use anyhow::Result;

use super::Manifest;
use crate::diag::Diagnostic;
use crate::diag::closest;
use crate::project::ManifestKind;
use crate::ui;

pub type Span = Option<Range<usize>>;

/// Text from the manifest: borrowed from its source unless TOML escapes had to be decoded,
/// so 10,000 tasks do not copy their names and commands.
pub type Text<'s> = Cow<'s, str>;

/// Every task declaration of the manifest, grouped by feature and environment.
pub struct TaskSet<'s> {
    /// The default feature (top-level tables) first, then `[feature.*]` in declaration order.
    pub features: Vec<Feature<'s>>,
    /// `[environments]` in declaration order (without the implicit `default`).
    pub environments: Vec<EnvironmentDecl<'s>>,
    /// `[workspace].platforms` in declaration order.
    pub platforms: Vec<DeclaredPlatform>,
}

/// One entry of `[workspace].platforms`: a conda subdir (`"linux-64"`), or a named platform
/// on a subdir (`{ platform = "linux-64", name = "gpu" }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredPlatform {
    pub name: String,
    pub subdir: String,
}

impl DeclaredPlatform {
    pub fn new(name: &str, subdir: &str) -> DeclaredPlatform {
        DeclaredPlatform {
            name: name.to_string(),
            subdir: subdir.to_string(),
        }
    }

    /// A platform named after its subdir, as a string entry declares it.
    pub fn subdir(subdir: &str) -> DeclaredPlatform {
        DeclaredPlatform::new(subdir, subdir)
    }
}

pub const DEFAULT_FEATURE: &str = "default";

/// Where a feature comes from, which decides how `task list --json` and `task add` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureKind {
    /// The top-level tables.
    Default,
    /// `[feature.<name>]`.
    Named,
    /// The content written inline in `[environments.<name>]`.
    Environment(String),
}

/// A feature's tasks and activation: its plain tables first, then every `[target.<sel>]` in
/// declaration order.
pub struct Feature<'s> {
    pub name: String,
    pub kind: FeatureKind,
    /// The feature's own `platforms`, which limit the environments that use it.
    pub platforms: Option<Vec<String>>,
    /// Whether any of its targets declares a dependency (conda, PyPI or dev).
    pub has_dependencies: bool,
    pub targets: Vec<Target<'s>>,
}

pub struct Target<'s> {
    /// `None` for the plain tables.
    pub selector: Option<String>,
    pub tasks: Vec<Task<'s>>,
    pub activation: Option<Activation>,
}

/// `[activation]`: scripts sourced and variables set before a task runs.
#[derive(Debug, Default, Clone)]
pub struct Activation {
    pub scripts: Option<Vec<String>>,
    pub env: Option<Vec<(String, String)>>,
}

pub struct EnvironmentDecl<'s> {
    pub name: String,
    pub features: Vec<String>,
    pub no_default_feature: bool,
    /// The inline `[environments.E.tasks]` / `[environments.E.target.<sel>.tasks]`.
    pub inline: Feature<'s>,
    pub span: Span,
}

/// One task declaration.
#[derive(Debug)]
pub struct Task<'s> {
    /// Unique per declaration: two environments share a task only if they share its id.
    pub id: usize,
    pub name: Text<'s>,
    /// The task's key in the manifest.
    pub span: Span,
    /// `None` for an alias, which only runs its dependencies.
    pub cmd: Option<Cmd<'s>>,
    pub depends_on: Vec<Dependency<'s>>,
    pub cwd: Option<String>,
    /// `None` when the task has no `env` key (each `Option` here tells "absent" from "empty",
    /// as pixi's model and its `task list --json` do).
    pub env: Option<Vec<(String, String)>>,
    pub description: Option<Text<'s>>,
    pub args: Option<Vec<ArgSpec>>,
    pub inputs: Option<Vec<String>>,
    pub outputs: Option<Vec<String>>,
    pub clean_env: bool,
    pub default_environment: Option<String>,
}

impl Task<'_> {
    /// Hidden tasks (`_name`) run but are not listed.
    pub fn is_hidden(&self) -> bool {
        self.name.starts_with('_')
    }

    /// The typed arguments, none when the task declares no `args`.
    pub fn arg_specs(&self) -> &[ArgSpec] {
        self.args.as_deref().unwrap_or_default()
    }

    /// Whether the task takes part in caching: it declares `inputs` or `outputs`.
    pub fn is_cached(&self) -> bool {
        self.inputs.is_some() || self.outputs.is_some()
    }
}

#[derive(Debug)]
pub struct Cmd<'s> {
    pub body: CmdBody<'s>,
    pub span: Span,
}

#[derive(Debug)]
pub enum CmdBody<'s> {
    /// One script.
    Script(Text<'s>),
    /// Words, each rendered and then joined with pixi's quote rule.
    Words(Vec<String>),
}

impl Cmd<'_> {
    /// The command as written (unrendered); words joined with the quote rule.
    pub fn source(&self) -> String {
        match &self.body {
            CmdBody::Script(script) => script.to_string(),
            CmdBody::Words(words) => join_words(words.iter().map(String::as_str)),
        }
    }
}

/// pixi's rule for joining a `cmd` array: a word is double-quoted only if it holds a space,
/// tab, CR, LF, `[` or `]` (so shell operators in a word stay shell syntax, as in pixi).
pub fn quote_word(word: &str) -> String {
    if word.is_empty() {
        return "\"\"".to_string();
    }
    if !word.contains([' ', '\t', '\r', '\n', '[', ']']) {
        return word.to_string();
    }
    let escaped = word.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

pub fn join_words<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.map(quote_word).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone)]
pub struct Dependency<'s> {
    pub task: Text<'s>,
    /// `None` for a bare name, or a table without `args`.
    pub args: Option<Vec<DependencyArg>>,
    pub environment: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyArg {
    Positional(String),
    Named(String, String),
}

#[derive(Debug, Clone)]
pub struct ArgSpec {
    pub name: String,
    pub default: Option<String>,
    pub choices: Option<Vec<String>>,
}

const EXECUTE_KEYS: &[&str] = &[
    "cmd",
    "inputs",
    "outputs",
    "depends-on",
    "cwd",
    "env",
    "default-environment",
    "description",
    "clean-env",
    "args",
];
const ALIAS_KEYS: &[&str] = &["depends-on", "description", "args"];
const DEPRECATED_DEPENDS_ON: &str = "depends_on";

impl<'s> TaskSet<'s> {
    pub fn parse(manifest: &Manifest<'s>) -> Result<TaskSet<'s>> {
        let mut parser = Parser {
            manifest,
            next_id: 0,
        };
        let mut set = TaskSet {
            features: Vec::new(),
            environments: Vec::new(),
            platforms: parser.declared_platforms()?,
        };
        let Some(pixi) = manifest.pixi() else {
            set.features
                .push(Feature::empty(DEFAULT_FEATURE, FeatureKind::Default));
            return Ok(set);
        };
        let mut default = parser.feature(DEFAULT_FEATURE, FeatureKind::Default, pixi, "")?;
        default.has_dependencies |= pyproject_has_dependencies(manifest);
        set.features.push(default);
        if let Some(features) = pixi.get("feature").and_then(Node::as_table) {
            for (name, item) in features.iter() {
                let Some(table) = item.as_table() else {
                    continue;
                };
                let prefix = format!("feature.{name}.");
                set.features
                    .push(parser.feature(name, FeatureKind::Named, table, &prefix)?);
            }
        }
        if let Some(environments) = pixi.get("environments") {
            let table = environments
                .as_table()
                .ok_or_else(|| manifest.error_at(environments, "`environments` must be a table"))?;
            for (name, item) in table.iter() {
                set.environments
                    .push(parser.environment(table, name, item)?);
            }
        }
        Ok(set)
    }
}

impl Feature<'_> {
    fn empty<'s>(name: &str, kind: FeatureKind) -> Feature<'s> {
        Feature {
            name: name.to_string(),
            kind,
            platforms: None,
            has_dependencies: false,
            targets: Vec::new(),
        }
    }
}

/// A pyproject's own `[project]` dependencies and `requires-python` become the default
/// feature's PyPI dependencies and python in pixi.
fn pyproject_has_dependencies(manifest: &Manifest) -> bool {
    if manifest.kind != ManifestKind::Pyproject {
        return false;
    }
    let Some(project) = manifest.root().get("project") else {
        return false;
    };
    project.get("requires-python").is_some()
        || project
            .get("dependencies")
            .and_then(Node::as_array)
            .is_some_and(|list| list.iter().next().is_some())
}

/// The tables of a target that declare packages (pixi's `TomlTarget`).
const DEPENDENCY_TABLES: &[&str] = &[
    "dependencies",
    "host-dependencies",
    "build-dependencies",
    "pypi-dependencies",
    "dev",
];

fn declares_dependencies(table: &Table) -> bool {
    DEPENDENCY_TABLES.iter().any(|key| {
        table
            .get(key)
            .and_then(Node::as_table)
            .is_some_and(|t| t.len() > 0)
    })
}

struct Parser<'m, 's> {
    manifest: &'m Manifest<'s>,
    next_id: usize,
}

impl<'s> Parser<'_, 's> {
    fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message).at_opt(self.manifest.location(span))
    }

    /// `[workspace].platforms` (or `[project]`'s): strings, or tables naming a platform on a
    /// subdir (`crates/pixi_manifest/src/toml/platform.rs`, v0.77.0).
    fn declared_platforms(&self) -> Result<Vec<DeclaredPlatform>> {
        let Some(list) = self
            .manifest
            .pixi()
            .and_then(|p| p.get("workspace").or_else(|| p.get("project")))
            .and_then(|w| w.get("platforms"))
        else {
            return Ok(Vec::new());
        };
        let list = list.as_array().ok_or_else(|| {
            self.manifest
                .error_at(list, "`platforms` must be a list of platforms")
        })?;
        list.iter()
            .map(|value| {
                if let Some(subdir) = value.as_str() {
                    return Ok(DeclaredPlatform::subdir(subdir));
                }
                let subdir = value.get("platform").and_then(Node::as_str).ok_or_else(|| {
                    self.error(
                        Some(value.span()),
                        "a platform must be a subdir such as \"linux-64\", or `{ platform = \"linux-64\", name = \"gpu\" }`",
                    )
                })?;
                let name = value.get("name").and_then(Node::as_str).unwrap_or(subdir);
                Ok(DeclaredPlatform::new(name, subdir))
            })
            .collect()
    }

    /// A feature from `table` (the feature's table, or the root for the default feature):
    /// its `platforms`, then its `tasks` and `activation` and those of each `target.<sel>`.
    fn feature(
        &mut self,
        name: &str,
        kind: FeatureKind,
        table: &Table<'s>,
        prefix: &str,
    ) -> Result<Feature<'s>> {
        let mut feature = Feature::empty(name, kind);
        // The default feature's platforms are the workspace's, read separately.
        if prefix.is_empty() {
            feature.has_dependencies = declares_dependencies(table);
        } else {
            if let Some(platforms) = table.get("platforms") {
                let list = platforms.as_array().ok_or_else(|| {
                    self.manifest
                        .error_at(platforms, "`platforms` must be a list of platform names")
                })?;
                feature.platforms = Some(self.strings(list, "a platform name")?);
            }
            feature.has_dependencies = declares_dependencies(table);
        }
        feature.targets.push(self.target(None, table, prefix)?);
        if let Some(targets) = table.get("target").and_then(Node::as_table) {
            for (selector, item) in targets.iter() {
                let Some(target_table) = item.as_table() else {
                    continue;
                };
                feature.has_dependencies |= declares_dependencies(target_table);
                let has_content = ["tasks", "activation"]
                    .iter()
                    .any(|key| target_table.contains_key(key));
                if !has_content {
                    continue;
                }
                if selector.contains('(') {
                    return Err(self
                        .manifest
                        .error_at_key(
                            targets,
                            selector,
                            format!("target selector `{selector}` is not a platform"),
                        )
                        .help("`if(...)` selectors are only allowed in [package] tables; use a platform such as `linux-64`, a family (`linux`, `unix`, `win`, `osx`) or a glob")
                        .into());
                }
                let target = self.target(
                    Some(selector),
                    target_table,
                    &format!("{prefix}target.{selector}."),
                )?;
                feature.targets.push(target);
            }
        }
        Ok(feature)
    }

    /// The `tasks` and `activation` of one target's table.
    fn target(
        &mut self,
        selector: Option<&str>,
        table: &Table<'s>,
        prefix: &str,
    ) -> Result<Target<'s>> {
        let tasks = match table.get("tasks") {
            Some(tasks) => self.tasks_table(tasks, &format!("{prefix}tasks"))?,
            None => Vec::new(),
        };
        let activation = match table.get("activation") {
            Some(activation) => Some(self.activation(activation, &format!("{prefix}activation"))?),
            None => None,
        };
        Ok(Target {
            selector: selector.map(str::to_string),
            tasks,
            activation,
        })
    }

    /// `[activation]`: `scripts` and `env`, nothing else
    /// (`crates/pixi_manifest/src/activation.rs`, v0.77.0).
    fn activation(&self, item: &Node, path: &str) -> Result<Activation> {
        const KEYS: &[&str] = &["scripts", "env"];
        let table = item.as_table().ok_or_else(|| {
            self.manifest
                .error_at(item, format!("`{path}` must be a table"))
        })?;
        let mut activation = Activation::default();
        for (key, value) in table.iter() {
            match key {
                "scripts" => {
                    let list = value.as_array().ok_or_else(|| {
                        self.manifest.error_at(
                            value,
                            "`scripts` must be a list of script paths, e.g. [\"setup.sh\"]",
                        )
                    })?;
                    activation.scripts = Some(self.strings(list, "a script path")?);
                }
                "env" => activation.env = Some(self.string_table(value, "env")?),
                _ => {
                    let mut diagnostic = self.manifest.error_at_key(
                        table,
                        key,
                        format!(
                            "unexpected key `{key}` in [{path}], expected only 'scripts', 'env'"
                        ),
                    );
                    if let Some(suggestion) = closest(key, KEYS) {
                        diagnostic = diagnostic.help(format!("did you mean '{suggestion}'?"));
                    }
                    return Err(diagnostic.into());
                }
            }
        }
        Ok(activation)
    }

    fn environment(
        &mut self,
        table: &Table<'s>,
        name: &str,
        item: &Node<'s>,
    ) -> Result<EnvironmentDecl<'s>> {
        let span = table.key_span(name);
        let inline_kind = FeatureKind::Environment(name.to_string());
        let inline_name = format!("environments.{name}");
        let mut decl = EnvironmentDecl {
            name: name.to_string(),
            features: Vec::new(),
            no_default_feature: false,
            inline: Feature::empty(&inline_name, inline_kind.clone()),
            span: span.clone(),
        };
        if let Some(list) = item.as_array() {
            decl.features = self.strings(list, "a feature name")?;
            return Ok(decl);
        }
        let Some(env) = item.as_table() else {
            return Err(self
                .error(
                    span,
                    format!("environment `{name}` must be a list of features or a table"),
                )
                .help(format!(
                    "write `{name} = [\"feature\"]` or `{name} = {{ features = [\"feature\"] }}`"
                ))
                .into());
        };
        if let Some(features) = env.get("features") {
            let list = features.as_array().ok_or_else(|| {
                self.manifest
                    .error_at(features, "`features` must be a list of feature names")
            })?;
            decl.features = self.strings(list, "a feature name")?;
        }
        if let Some(flag) = env.get("no-default-feature") {
            decl.no_default_feature = flag.as_bool().ok_or_else(|| {
                self.manifest
                    .error_at(flag, "`no-default-feature` must be true or false")
            })?;
        }
        let prefix = format!("environments.{name}.");
        decl.inline = self.feature(&inline_name, inline_kind, env, &prefix)?;
        Ok(decl)
    }

    fn strings(&self, list: &Array, what: &str) -> Result<Vec<String>> {
        list.iter()
            .map(|value| {
                value.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(Some(value.span()), format!("expected {what} (a string)"))
                        .into()
                })
            })
            .collect()
    }

    fn tasks_table(&mut self, item: &Node<'s>, path: &str) -> Result<Vec<Task<'s>>> {
        let table = item.as_table().ok_or_else(|| {
            self.manifest
                .error_at(item, format!("`{path}` must be a table"))
        })?;
        let mut tasks = Vec::with_capacity(table.len());
        for (name, value) in table.iter_text() {
            let span = table.key_span(&name);
            tasks.push(self.task(name, span, value)?);
        }
        Ok(tasks)
    }

    fn new_task(&mut self, name: Text<'s>, span: Span) -> Task<'s> {
        self.next_id += 1;
        Task {
            id: self.next_id,
            name,
            span,
            cmd: None,
            depends_on: Vec::new(),
            cwd: None,
            env: None,
            description: None,
            args: None,
            inputs: None,
            outputs: None,
            clean_env: false,
            default_environment: None,
        }
    }

    fn task(&mut self, name: Text<'s>, span: Span, item: &Node<'s>) -> Result<Task<'s>> {
        // For messages while `task` is being filled in (a borrowed name copies no text).
        let shown = name.clone();
        let name: &str = &shown;
        let mut task = self.new_task(shown.clone(), span.clone());
        if let Some(script) = item.as_text() {
            task.cmd = Some(Cmd {
                body: CmdBody::Script(script),
                span: Some(item.span()),
            });
            return Ok(task);
        }
        if let Some(list) = item.as_array() {
            if let Some(word) = list.iter().find(|v| v.is_str()) {
                return Err(self
                    .error(Some(word.span()), format!("task `{name}` is an array of strings: expected a table, found a string"))
                    .help(format!(
                        "write a command as `{name} = \"cmd args\"`, or run tasks in order with `{name} = [{{ task = \"a\" }}, {{ task = \"b\" }}]`"
                    ))
                    .into());
            }
            // The alias shorthand: `[{ task = "a" }, …]`; unknown keys are ignored, as in pixi.
            for value in list.iter() {
                task.depends_on.push(self.dependency(value, false)?);
            }
            return Ok(task);
        }
        let Some(table) = item.as_table() else {
            return Err(self
                .error(
                    Some(item.span()),
                    format!("task `{name}`: expected a string or a table"),
                )
                .help("write `name = \"command\"` or `name = { cmd = \"command\", … }`")
                .into());
        };
        let allowed = if table.contains_key("cmd") {
            EXECUTE_KEYS
        } else {
            ALIAS_KEYS
        };
        let mut depends_on_seen = false;
        for (key, value) in table.iter() {
            match key {
                "cmd" => task.cmd = Some(self.cmd(name, value)?),
                "depends-on" => {
                    depends_on_seen = true;
                    task.depends_on = self.depends_on(value)?;
                }
                DEPRECATED_DEPENDS_ON if !depends_on_seen && !table.contains_key("depends-on") => {
                    ui::warn(&format!(
                        "the `depends_on` field is deprecated; use `depends-on` instead ({})",
                        self.manifest
                            .location(table.key_span(key))
                            .map_or_else(String::new, |l| l.to_string())
                    ));
                    task.depends_on = self.depends_on(value)?;
                }
                _ if !allowed.contains(&key) => {
                    return Err(self.unknown_key(table, name, key, allowed).into());
                }
                "cwd" => task.cwd = Some(self.string(value, "cwd")?),
                "description" => task.description = Some(self.text(value, "description")?),
                "default-environment" => {
                    task.default_environment = Some(self.string(value, "default-environment")?)
                }
                "clean-env" => {
                    task.clean_env = value.as_bool().ok_or_else(|| {
                        self.manifest
                            .error_at(value, "`clean-env` must be true or false")
                    })?
                }
                "env" => task.env = Some(self.string_table(value, "env")?),
                "inputs" => task.inputs = Some(self.globs(value, "inputs")?),
                "outputs" => task.outputs = Some(self.globs(value, "outputs")?),
                "args" => task.args = Some(self.args(value)?),
                _ => unreachable!("every allowed key is matched above"),
            }
        }
        Ok(task)
    }

    fn unknown_key(&self, table: &Table, task: &str, key: &str, allowed: &[&str]) -> Diagnostic {
        let listed = allowed
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut diagnostic = self.manifest.error_at_key(
            table,
            key,
            format!("unexpected key `{key}` in task `{task}`, expected only {listed}"),
        );
        if let Some(suggestion) = closest(key, allowed) {
            diagnostic = diagnostic.help(format!("did you mean '{suggestion}'?"));
        }
        if allowed == ALIAS_KEYS {
            diagnostic = diagnostic
                .help("a task without `cmd` is an alias; add `cmd` to use the other keys");
        }
        diagnostic
    }

    fn text(&self, item: &Node<'s>, key: &str) -> Result<Text<'s>> {
        item.as_text().ok_or_else(|| {
            self.manifest
                .error_at(item, format!("`{key}` must be a string"))
                .into()
        })
    }

    fn string(&self, item: &Node, key: &str) -> Result<String> {
        item.as_str().map(str::to_string).ok_or_else(|| {
            self.manifest
                .error_at(item, format!("`{key}` must be a string"))
                .into()
        })
    }

    fn cmd(&self, task: &str, item: &Node<'s>) -> Result<Cmd<'s>> {
        let body = if let Some(script) = item.as_text() {
            CmdBody::Script(script)
        } else if let Some(list) = item.as_array() {
            CmdBody::Words(self.strings(list, "a word of the command")?)
        } else {
            return Err(self
                .manifest
                .error_at(
                    item,
                    format!("`cmd` of task `{task}` must be a string or an array of strings"),
                )
                .into());
        };
        Ok(Cmd {
            body,
            span: Some(item.span()),
        })
    }

    /// `env = { KEY = "value" }`, of a task or an activation.
    fn string_table(&self, item: &Node, key: &str) -> Result<Vec<(String, String)>> {
        let table = item.as_table().ok_or_else(|| {
            self.manifest.error_at(
                item,
                format!("`{key}` must be a table of strings, e.g. `{key} = {{ KEY = \"value\" }}`"),
            )
        })?;
        table
            .iter()
            .map(|(key, value)| {
                let value = value.as_str().ok_or_else(|| {
                    self.manifest
                        .error_at(value, format!("the value of `{key}` must be a string"))
                })?;
                Ok((key.to_string(), value.to_string()))
            })
            .collect()
    }

    fn globs(&self, item: &Node, key: &str) -> Result<Vec<String>> {
        let list = item.as_array().ok_or_else(|| {
            self.manifest.error_at(
                item,
                format!("`{key}` must be an array of globs, e.g. [\"main.py\", \"tests_*\"]"),
            )
        })?;
        self.strings(list, "a glob")
    }

    fn depends_on(&self, item: &Node<'s>) -> Result<Vec<Dependency<'s>>> {
        if let Some(name) = item.as_text() {
            return Ok(vec![Dependency {
                task: name,
                args: None,
                environment: None,
                span: Some(item.span()),
            }]);
        }
        let Some(list) = item.as_array() else {
            return Err(self
                .manifest
                .error_at(
                    item,
                    "`depends-on` must be a string or an array, found a table",
                )
                .help("write `depends-on = [{ task = \"name\" }]`")
                .into());
        };
        list.iter()
            .map(|value| self.dependency(value, true))
            .collect()
    }

    fn dependency(&self, value: &Node<'s>, strict: bool) -> Result<Dependency<'s>> {
        if let Some(name) = value.as_text() {
            return Ok(Dependency {
                task: name,
                args: None,
                environment: None,
                span: Some(value.span()),
            });
        }
        let Some(table) = value.as_table() else {
            return Err(self
                .error(Some(value.span()), "a dependency must be a task name or `{ task = \"name\", args = [...], environment = \"env\" }`")
                .into());
        };
        self.dependency_table(table, Some(value.span()), strict)
    }

    fn dependency_table(
        &self,
        table: &Table<'s>,
        span: Span,
        strict: bool,
    ) -> Result<Dependency<'s>> {
        const KEYS: &[&str] = &["task", "args", "environment"];
        if strict && let Some((key, _)) = table.iter().find(|(k, _)| !KEYS.contains(k)) {
            let mut diagnostic = self.manifest.error_at_key(
                table,
                key,
                format!("unexpected key `{key}` in a dependency, expected only 'task', 'args', 'environment'"),
            );
            if let Some(suggestion) = closest(key, KEYS) {
                diagnostic = diagnostic.help(format!("did you mean '{suggestion}'?"));
            }
            return Err(diagnostic.into());
        }
        let task = table
            .get("task")
            .and_then(Node::as_text)
            .ok_or_else(|| self.error(span.clone(), "a dependency needs `task = \"name\"`"))?;
        let environment = match table.get("environment") {
            Some(item) => Some(self.string(item, "environment")?),
            None => None,
        };
        let args = match table.get("args") {
            Some(item) => {
                let list = item.as_array().ok_or_else(|| {
                    self.manifest
                        .error_at(item, "`args` of a dependency must be an array")
                })?;
                Some(
                    list.iter()
                        .map(|value| self.dependency_arg(value))
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            None => None,
        };
        Ok(Dependency {
            task,
            args,
            environment,
            span,
        })
    }

    fn dependency_arg(&self, value: &Node) -> Result<DependencyArg> {
        if let Some(text) = value.as_str() {
            return Ok(DependencyArg::Positional(text.to_string()));
        }
        if let Some(table) = value.as_table() {
            let mut entries = table.iter();
            if let (Some((name, v)), None) = (entries.next(), entries.next()) {
                let text = v.as_str().ok_or_else(|| {
                    self.error(
                        Some(v.span()),
                        format!("the value of argument `{name}` must be a string"),
                    )
                })?;
                return Ok(DependencyArg::Named(name.to_string(), text.to_string()));
            }
            return Err(self
                .error(
                    Some(value.span()),
                    "a named argument must have exactly one key, e.g. `{ name = \"value\" }`",
                )
                .into());
        }
        Err(self
            .error(
                Some(value.span()),
                "a dependency argument must be a string or `{ name = \"value\" }`",
            )
            .into())
    }

    fn args(&self, item: &Node) -> Result<Vec<ArgSpec>> {
        let list = item
            .as_array()
            .ok_or_else(|| self.manifest.error_at(item, "`args` must be an array"))?;
        let mut specs: Vec<ArgSpec> = Vec::new();
        for value in list.iter() {
            let span = Some(value.span());
            let spec = if let Some(name) = value.as_str() {
                ArgSpec {
                    name: name.to_string(),
                    default: None,
                    choices: None,
                }
            } else if let Some(table) = value.as_table() {
                self.arg_table(table, span.clone())?
            } else {
                return Err(self
                    .error(
                        span,
                        "an argument must be a name or `{ arg = \"name\", default = \"value\" }`",
                    )
                    .into());
            };
            check_arg_name(&spec.name).map_err(|msg| self.error(span.clone(), msg))?;
            if specs.last().is_some_and(|prev| prev.default.is_some()) && spec.default.is_none() {
                return Err(self
                    .error(span, format!("argument `{}` needs a default value: default value required after previous arguments with defaults", spec.name))
                    .help("give it a default, or move it before the arguments that have defaults")
                    .into());
            }
            if let (Some(default), Some(choices)) = (&spec.default, &spec.choices)
                && !choices.contains(default)
            {
                return Err(self
                    .error(
                        span,
                        format!(
                            "default value '{default}' is not one of the allowed choices: {}",
                            choices.join(", ")
                        ),
                    )
                    .into());
            }
            specs.push(spec);
        }
        Ok(specs)
    }

    fn arg_table(&self, table: &Table, span: Span) -> Result<ArgSpec> {
        const KEYS: &[&str] = &["arg", "default", "choices"];
        if let Some((key, _)) = table.iter().find(|(k, _)| !KEYS.contains(k)) {
            let mut diagnostic = self.manifest.error_at_key(
                table,
                key,
                format!("unexpected key `{key}` in an argument, expected only 'arg', 'default', 'choices'"),
            );
            if let Some(suggestion) = closest(key, KEYS) {
                diagnostic = diagnostic.help(format!("did you mean '{suggestion}'?"));
            }
            return Err(diagnostic.into());
        }
        let name = table
            .get("arg")
            .and_then(Node::as_str)
            .ok_or_else(|| self.error(span, "an argument table needs `arg = \"name\"`"))?;
        let default = match table.get("default") {
            Some(v) => Some(
                v.as_str()
                    .ok_or_else(|| self.error(Some(v.span()), "`default` must be a string"))?
                    .to_string(),
            ),
            None => None,
        };
        let choices = match table.get("choices") {
            Some(v) => {
                let list = v.as_array().ok_or_else(|| {
                    self.error(Some(v.span()), "`choices` must be an array of strings")
                })?;
                Some(self.strings(list, "a choice")?)
            }
            None => None,
        };
        Ok(ArgSpec {
            name: name.to_string(),
            default,
            choices,
        })
    }
}

/// An argument name must be a MiniJinja identifier (`a-b` would be a subtraction), and not
/// `pixi`, which names the built-in variables.
fn check_arg_name(name: &str) -> std::result::Result<(), String> {
    if let Some(bad) = name.chars().find(|c| *c == '-') {
        return Err(format!(
            "'{name}' is not a valid argument name since it contains the character '{bad}'"
        ));
    }
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "'{name}' is not a valid argument name: use letters, digits and `_`, not starting with a digit"
        ));
    }
    if name == "pixi" {
        return Err(
            "'pixi' is reserved for the built-in template variables; rename the argument".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_rule_matches_pixi() {
        assert_eq!(quote_word("$PATH"), "$PATH");
        assert_eq!(
            quote_word("PATH=\"$PATH;build/Debug\""),
            "PATH=\"$PATH;build/Debug\""
        );
        assert_eq!(quote_word("name=[64,64]"), "\"name=[64,64]\"");
        assert_eq!(quote_word(""), "\"\"");
        assert_eq!(quote_word("a b"), "\"a b\"");
        assert_eq!(quote_word("say \"hi\" \\o"), "\"say \\\"hi\\\" \\\\o\"");
        assert_eq!(
            join_words(["echo", "a;b", "c d"].into_iter()),
            "echo a;b \"c d\""
        );
    }

    #[test]
    fn arg_names_follow_the_identifier_rule() {
        assert!(check_arg_name("python_file").is_ok());
        assert!(
            check_arg_name("python-file")
                .unwrap_err()
                .contains("character '-'")
        );
        assert!(check_arg_name("1x").is_err());
        assert!(check_arg_name("pixi").is_err());
    }
}
