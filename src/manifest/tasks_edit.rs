//! Format-preserving edits of a manifest's tasks, for `berth task add|remove|alias`: a task
//! is written, replaced or removed where pixi would put it (`[tasks]`,
//! `[target.<platform>.tasks]`, `[feature.<name>.tasks]`, `[environments.<name>.tasks]`,
//! under `[tool.pixi]` in a pyproject), in the form pixi writes it
//! (`crates/pixi_manifest/src/task.rs`, `impl From<Task> for Item`, v0.77.0). `toml_edit`
//! keeps every other byte: comments, order and spacing of what is not touched.

use anyhow::Result;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::diag::Diagnostic;
use crate::project::ManifestKind;

/// Whose tasks an edit changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The top-level tables.
    Default,
    /// `[feature.<name>]`.
    Feature(String),
    /// `[environments.<name>]`, written inline on the environment.
    Environment(String),
}

impl Owner {
    /// How pixi names it in messages (`FeatureName::user_facing`).
    pub fn describe(&self) -> String {
        match self {
            Owner::Default => "feature 'default'".to_string(),
            Owner::Feature(name) => format!("feature '{name}'"),
            Owner::Environment(name) => format!("environment '{name}'"),
        }
    }
}

/// The table a task lives in (`TableName`).
#[derive(Debug, Clone)]
pub struct Place {
    pub kind: ManifestKind,
    pub owner: Owner,
    /// `target.<selector>`: a platform's name, or its subdir.
    pub selector: Option<String>,
}

impl Place {
    fn keys(&self) -> Vec<&str> {
        let mut keys = Vec::new();
        if self.kind == ManifestKind::Pyproject {
            keys.extend(["tool", "pixi"]);
        }
        match &self.owner {
            Owner::Default => {}
            Owner::Feature(name) => keys.extend(["feature", name.as_str()]),
            Owner::Environment(name) => keys.extend(["environments", name.as_str()]),
        }
        if let Some(selector) = &self.selector {
            keys.extend(["target", selector.as_str()]);
        }
        keys.push("tasks");
        keys
    }

    /// The table's dotted name, for messages.
    pub fn table_name(&self) -> String {
        self.keys().join(".")
    }
}

/// A task as `task add` or `task alias` writes it (pixi's `Task::Plain`, `Execute`, `Alias`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewTask {
    Plain(String),
    Execute(Box<Execute>),
    Alias {
        depends_on: Vec<String>,
        description: Option<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Execute {
    pub cmd: String,
    pub args: Vec<String>,
    pub default_environment: Option<String>,
    pub depends_on: Vec<String>,
    pub cwd: Option<String>,
    pub env: Vec<(String, String)>,
    pub description: Option<String>,
}

impl NewTask {
    /// How pixi shows an added task (`impl Display for Task`): the command, then
    /// `, depends-on = …`, `, default_environment = …`, `, env = …`, `, description = …`.
    pub fn describe(&self) -> String {
        let (cmd, depends_on, default_environment, env, description) = match self {
            NewTask::Plain(cmd) => (cmd.as_str(), &[][..], None, &[][..], None),
            NewTask::Execute(e) => (
                e.cmd.as_str(),
                &e.depends_on[..],
                e.default_environment.as_deref(),
                &e.env[..],
                e.description.as_deref(),
            ),
            NewTask::Alias {
                depends_on,
                description,
            } => ("", &depends_on[..], None, &[][..], description.as_deref()),
        };
        let mut text = cmd.to_string();
        match depends_on {
            [] => {}
            [one] => text.push_str(&format!(", depends-on = '{one}'")),
            many => text.push_str(&format!(", depends-on = [{}]", many.join(","))),
        }
        if let Some(environment) = default_environment {
            text.push_str(&format!(", default_environment = {environment}"));
        }
        if !env.is_empty() {
            let entries: Vec<String> = env.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
            text.push_str(&format!(", env = {{{}}}", entries.join(", ")));
        }
        if let Some(description) = description {
            text.push_str(&format!(", description = {description:?}"));
        }
        text
    }

    fn to_item(&self) -> Item {
        match self {
            NewTask::Plain(cmd) => Item::Value(cmd.as_str().into()),
            NewTask::Execute(e) => {
                let mut table = InlineTable::new();
                table.insert("cmd", e.cmd.as_str().into());
                if !e.args.is_empty() {
                    table.insert("args", Value::Array(e.args.iter().collect()));
                }
                if let Some(environment) = &e.default_environment {
                    table.insert("default-environment", environment.as_str().into());
                }
                if !e.depends_on.is_empty() {
                    table.insert("depends-on", Value::Array(e.depends_on.iter().collect()));
                }
                if let Some(cwd) = &e.cwd {
                    table.insert("cwd", cwd.as_str().into());
                }
                if !e.env.is_empty() {
                    let env: InlineTable = e
                        .env
                        .iter()
                        .map(|(k, v)| (k.as_str(), Value::from(v.as_str())))
                        .collect();
                    table.insert("env", Value::InlineTable(env));
                }
                if let Some(description) = &e.description {
                    table.insert("description", description.as_str().into());
                }
                Item::Value(Value::InlineTable(table))
            }
            NewTask::Alias {
                depends_on,
                description,
            } => {
                let list: Array = depends_on
                    .iter()
                    .map(|name| {
                        let mut dependency = InlineTable::new();
                        dependency.insert("task", name.as_str().into());
                        Value::InlineTable(dependency)
                    })
                    .collect();
                match description {
                    Some(description) => {
                        let mut table = InlineTable::new();
                        table.insert("depends-on", Value::Array(list));
                        table.insert("description", description.as_str().into());
                        Item::Value(Value::InlineTable(table))
                    }
                    None => Item::Value(Value::Array(list)),
                }
            }
        }
    }
}

/// `source` with `task` under `name` in `place` (a task already there is replaced in its
/// position), the tables on the way created as needed.
pub fn add_task(source: &str, place: &Place, name: &str, task: &NewTask) -> Result<String> {
    let mut doc = parse(source)?;
    if let Owner::Environment(environment) = &place.owner {
        environment_as_table(&mut doc, place.kind, environment)?;
    }
    let table = nested_item(&mut doc, &place.keys())?;
    let not_a_table = || {
        Diagnostic::new(format!(
            "`{}` in the manifest is not a table",
            place.table_name()
        ))
        .help("write the tasks as a table, e.g. [tasks]")
    };
    match task.to_item() {
        Item::Value(value) => match table {
            Item::Table(table) => match table.get_mut(name).and_then(Item::as_value_mut) {
                Some(existing) => replace_value(existing, value),
                None => {
                    table.insert(name, Item::Value(value));
                }
            },
            Item::Value(Value::InlineTable(inline)) => match inline.get_mut(name) {
                Some(existing) => replace_value(existing, value),
                None => {
                    inline.insert(name, value);
                }
            },
            _ => return Err(not_a_table().into()),
        },
        item => {
            table
                .as_table_like_mut()
                .ok_or_else(not_a_table)?
                .insert(name, item);
        }
    }
    Ok(doc.to_string())
}

/// `source` without the task `name` of `place`, and `None` when that table does not hold it.
/// The comment lines above a removed task stay, in front of what follows it.
pub fn remove_task(source: &str, place: &Place, name: &str) -> Result<Option<String>> {
    let mut doc = parse(source)?;
    let mut item: &mut Item = doc.as_item_mut();
    for key in place.keys() {
        match item.get_mut(key) {
            Some(next) => item = next,
            None => return Ok(None),
        }
    }
    let removed = match item {
        Item::Table(table) => remove_from_table(table, name),
        Item::Value(Value::InlineTable(inline)) => inline.remove(name).is_some(),
        _ => false,
    };
    Ok(removed.then(|| doc.to_string()))
}

/// `source` with `platform` in `[workspace].platforms` (`add_platforms`); unchanged when it
/// is there already.
pub fn declare_platform(source: &str, kind: ManifestKind, platform: &str) -> Result<String> {
    let mut doc = parse(source)?;
    let mut keys = match kind {
        ManifestKind::Pyproject => vec!["tool", "pixi"],
        ManifestKind::Pixi => Vec::new(),
    };
    let workspace = if doc_has(&doc, &keys, "project") && !doc_has(&doc, &keys, "workspace") {
        "project"
    } else {
        "workspace"
    };
    keys.push(workspace);
    let table = nested_item(&mut doc, &keys)?
        .as_table_like_mut()
        .ok_or_else(|| {
            Diagnostic::new(format!(
                "`{}` in the manifest is not a table",
                keys.join(".")
            ))
        })?;
    match table.get_mut("platforms") {
        Some(existing) => {
            let list = existing.as_array_mut().ok_or_else(|| {
                Diagnostic::new(format!(
                    "`{}.platforms` in the manifest is not a list",
                    keys.join(".")
                ))
            })?;
            if !list.iter().any(|p| p.as_str() == Some(platform)) {
                list.push(platform);
            }
        }
        None => {
            table.insert(
                "platforms",
                Item::Value(Value::Array(Array::from_iter([platform]))),
            );
        }
    }
    Ok(doc.to_string())
}

fn doc_has(doc: &DocumentMut, parents: &[&str], key: &str) -> bool {
    let mut item = doc.as_item();
    for parent in parents {
        match item.get(parent) {
            Some(next) => item = next,
            None => return false,
        }
    }
    item.get(key).is_some()
}

fn parse(source: &str) -> Result<DocumentMut> {
    Ok(source.parse::<DocumentMut>()?)
}

/// The item at `keys`, each missing table on the way created without a header of its own
/// (`TomlDocument::get_or_insert_nested_item`).
fn nested_item<'d>(doc: &'d mut DocumentMut, keys: &[&str]) -> Result<&'d mut Item> {
    let mut item: &mut Item = doc.as_item_mut();
    for key in keys {
        let table = item.as_table_like_mut().ok_or_else(|| {
            Diagnostic::new(format!("`{key}`'s parent in the manifest is not a table"))
        })?;
        if table.get(key).is_none() {
            let mut new = Table::new();
            new.set_implicit(true);
            table.insert(key, Item::Table(new));
        }
        item = table.get_mut(key).expect("inserted just above");
    }
    Ok(item)
}

/// Make `[environments].<name>` a table, so inline content can be added to it
/// (`ensure_environment_is_table`): `dev = ["a"]` becomes `[environments.dev]` with
/// `features = ["a"]`.
fn environment_as_table(doc: &mut DocumentMut, kind: ManifestKind, name: &str) -> Result<()> {
    let mut keys = match kind {
        ManifestKind::Pyproject => vec!["tool", "pixi"],
        ManifestKind::Pixi => Vec::new(),
    };
    keys.push("environments");
    let environments = nested_item(doc, &keys)?;
    let Some(table) = environments.as_table_mut() else {
        return Ok(());
    };
    let converted = match table.get(name) {
        Some(Item::Value(Value::Array(features))) => {
            let mut environment = Table::new();
            environment.insert("features", Item::Value(Value::Array(features.clone())));
            environment
        }
        Some(Item::Value(Value::InlineTable(inline))) => inline.clone().into_table(),
        _ => return Ok(()),
    };
    table.insert(name, Item::Table(converted));
    if let Some(mut key) = table.key_mut(name) {
        key.leaf_decor_mut().clear();
    }
    Ok(())
}

/// Put `value` where `existing` is, keeping the spacing and comments around it.
fn replace_value(existing: &mut Value, mut value: Value) {
    *value.decor_mut() = existing.decor().clone();
    *existing = value;
}

/// Remove `name` from a table; the comment and blank lines written above it move to the
/// entry that follows (`pixi_toml_edit::remove_table_entry`).
fn remove_from_table(table: &mut Table, name: &str) -> bool {
    let keys: Vec<String> = table.iter().map(|(k, _)| k.to_string()).collect();
    let Some(position) = keys.iter().position(|k| k == name) else {
        return false;
    };
    let prefix = table
        .key(name)
        .and_then(|k| k.leaf_decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    // The prefix's last line is the removed key's own indentation; the lines before it are
    // comments or blank lines that belong to the file, not to the task.
    let kept = prefix.rsplit_once('\n').map_or("", |(head, _)| head);
    let next = keys[position + 1..]
        .iter()
        .find(|k| table.get(k).is_some_and(Item::is_value))
        .cloned();
    table.remove(name);
    if !kept.trim().is_empty()
        && let Some(next) = next
        && let Some(mut key) = table.key_mut(&next)
    {
        let next_prefix = key
            .leaf_decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        key.leaf_decor_mut()
            .set_prefix(format!("{kept}\n{next_prefix}"));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(owner: Owner, selector: Option<&str>) -> Place {
        Place {
            kind: ManifestKind::Pixi,
            owner,
            selector: selector.map(str::to_string),
        }
    }

    const MANIFEST: &str = "[workspace]\nname = \"w\"   # the name\nchannels = []\nplatforms = [\"linux-64\"]\n\n[tasks]\n# builds it\nbuild = \"make\"   # fast\n\n# tests it\ntest = \"make test\"\n\n[dependencies]\n";

    #[test]
    fn a_new_task_goes_after_the_others_and_nothing_else_moves() {
        let text = add_task(
            MANIFEST,
            &place(Owner::Default, None),
            "lint",
            &NewTask::Plain("ruff check".into()),
        )
        .unwrap();
        assert_eq!(
            text,
            MANIFEST.replace(
                "test = \"make test\"\n",
                "test = \"make test\"\nlint = \"ruff check\"\n"
            )
        );
    }

    #[test]
    fn tables_that_do_not_exist_are_created_at_the_end() {
        let execute = NewTask::Execute(Box::new(Execute {
            cmd: "echo 'Hello {{name | title}}'".into(),
            args: vec!["name".into()],
            depends_on: vec!["build".into()],
            env: vec![("A".into(), "1".into())],
            description: Some("greets".into()),
            ..Execute::default()
        }));
        let text = add_task(
            MANIFEST,
            &place(Owner::Feature("py".into()), Some("linux-64")),
            "greet",
            &execute,
        )
        .unwrap();
        assert_eq!(
            text,
            format!(
                "{MANIFEST}\n[feature.py.target.linux-64.tasks]\ngreet = {{ cmd = \"echo 'Hello {{{{name | title}}}}'\", args = [\"name\"], depends-on = [\"build\"], env = {{ A = \"1\" }}, description = \"greets\" }}\n"
            )
        );
    }

    #[test]
    fn an_alias_is_an_array_of_task_tables_or_a_table_with_a_description() {
        let alias = |description: Option<&str>| NewTask::Alias {
            depends_on: vec!["build".into(), "test".into()],
            description: description.map(str::to_string),
        };
        let text = add_task(MANIFEST, &place(Owner::Default, None), "all", &alias(None)).unwrap();
        assert!(
            text.contains("\nall = [{ task = \"build\" }, { task = \"test\" }]\n"),
            "{text}"
        );
        let text = add_task(
            MANIFEST,
            &place(Owner::Default, None),
            "all",
            &alias(Some("both")),
        )
        .unwrap();
        assert!(
            text.contains("\nall = { depends-on = [{ task = \"build\" }, { task = \"test\" }], description = \"both\" }\n"),
            "{text}"
        );
        assert_eq!(
            alias(Some("both")).describe(),
            ", depends-on = [build,test], description = \"both\""
        );
    }

    #[test]
    fn removing_a_task_keeps_the_comments_above_it() {
        let text = remove_task(MANIFEST, &place(Owner::Default, None), "build")
            .unwrap()
            .unwrap();
        assert_eq!(text, MANIFEST.replace("build = \"make\"   # fast\n", ""));
        assert!(
            remove_task(MANIFEST, &place(Owner::Default, None), "nope")
                .unwrap()
                .is_none()
        );
        assert!(
            remove_task(MANIFEST, &place(Owner::Feature("x".into()), None), "build")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn an_environment_list_becomes_a_table_for_inline_tasks() {
        let source = "[workspace]\nchannels = []\n\n[environments]\ndev = [\"py\"]\n";
        let text = add_task(
            source,
            &place(Owner::Environment("dev".into()), None),
            "t",
            &NewTask::Plain("true".into()),
        )
        .unwrap();
        let doc: DocumentMut = text.parse().unwrap();
        assert_eq!(
            doc["environments"]["dev"]["features"][0].as_str(),
            Some("py")
        );
        assert_eq!(
            doc["environments"]["dev"]["tasks"]["t"].as_str(),
            Some("true")
        );
    }

    #[test]
    fn a_platform_is_declared_once() {
        let text = declare_platform(MANIFEST, ManifestKind::Pixi, "osx-arm64").unwrap();
        assert!(
            text.contains("platforms = [\"linux-64\", \"osx-arm64\"]\n"),
            "{text}"
        );
        assert_eq!(
            declare_platform(&text, ManifestKind::Pixi, "osx-arm64").unwrap(),
            text
        );
    }
}
