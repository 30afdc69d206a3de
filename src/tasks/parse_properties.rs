//! Property: whatever TOML sits where a task goes, reading the tasks never panics, and every
//! error is a diagnostic that points inside the manifest.
//!
//! The generated documents are built with `toml_edit` and printed, so they are valid TOML
//! with every kind of value (strings, numbers, floats incl. nan/inf, booleans, datetimes,
//! mixed arrays, inline tables, standard and implicit tables, arrays of tables) under task
//! keys that are mostly the real ones.

use std::path::Path;

use proptest::prelude::*;
use toml_edit::{Array, ArrayOfTables, Datetime, DocumentMut, InlineTable, Item, Table, Value};

use crate::diag::Diagnostic;
use crate::manifest::Manifest;
use crate::manifest::tasks::TaskSet;
use crate::project::ManifestKind;
use crate::tasks::environments::Environments;
use crate::tasks::graph::{Invocation, Planner, bind_cli};
use crate::tasks::template::Renderer;

/// Keys a task, a dependency or an argument table knows, plus the deprecated spelling.
const KEYS: &[&str] = &[
    "cmd",
    "depends-on",
    "depends_on",
    "env",
    "args",
    "cwd",
    "inputs",
    "outputs",
    "description",
    "clean-env",
    "default-environment",
    "task",
    "environment",
    "arg",
    "default",
    "choices",
];

/// Strings that mean something to the task reader: task and argument names, templates.
const WORDS: &[&str] = &[
    "a", "b", "x", "default", "pixi", "a-b", "1x", "echo hi", "{{ x }}", "{{", "{% if %}", "--", "",
];

const DATETIMES: &[&str] = &[
    "1979-05-27T07:32:00Z",
    "1979-05-27T00:32:00.999999-07:00",
    "1979-05-27 07:32:00",
    "1979-05-27",
    "07:32:00",
];

fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_string),
        1 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        prop::sample::select(DATETIMES)
            .prop_map(|d| Value::from(d.parse::<Datetime>().expect("a valid datetime"))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|values| Value::Array(values.into_iter().collect::<Array>())),
            prop::collection::vec((key(), inner), 0..4).prop_map(|entries| {
                let mut table = InlineTable::new();
                for (key, value) in entries {
                    table.insert(&key, value);
                }
                Value::InlineTable(table)
            }),
        ]
    })
}

fn table(entries: Vec<(String, Item)>, implicit: bool) -> Table {
    let mut table = Table::new();
    for (key, item) in entries {
        table.insert(&key, item);
    }
    table.set_implicit(implicit);
    table
}

/// Mostly `good`, sometimes any value at all: errors then sit deep inside valid structure.
fn mostly(good: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![4 => good, 1 => value()].boxed()
}

fn string() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        prop::sample::select(WORDS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

fn array(element: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    prop::collection::vec(element, 0..4)
        .prop_map(|values| Value::Array(values.into_iter().collect::<Array>()))
}

fn inline_table(
    entries: impl Strategy<Value = Vec<(String, Value)>>,
) -> impl Strategy<Value = Value> {
    entries.prop_map(|entries| {
        let mut table = InlineTable::new();
        for (key, value) in entries {
            table.insert(&key, value);
        }
        Value::InlineTable(table)
    })
}

fn entry(
    key: &'static str,
    value: impl Strategy<Value = Value> + 'static,
) -> BoxedStrategy<(String, Value)> {
    (Just(key.to_string()), mostly(value)).boxed()
}

/// `{ task = …, args = […], environment = … }` or a name.
fn dependency() -> impl Strategy<Value = Value> {
    let argument = prop_oneof![
        string(),
        inline_table(prop::collection::vec((key(), mostly(string())), 0..3)),
    ];
    let fields = prop_oneof![
        entry("task", string()),
        entry("args", array(mostly(argument))),
        entry("environment", string()),
        (key(), value()),
    ];
    prop_oneof![string(), inline_table(prop::collection::vec(fields, 0..4)),]
}

/// `"name"` or `{ arg = …, default = …, choices = […] }`.
fn argument() -> impl Strategy<Value = Value> {
    let fields = prop_oneof![
        entry("arg", string()),
        entry("default", string()),
        entry("choices", array(mostly(string()))),
        (key(), value()),
    ];
    prop_oneof![string(), inline_table(prop::collection::vec(fields, 0..4)),]
}

/// A task's key with a value that is mostly of the right shape.
fn task_field() -> impl Strategy<Value = (String, Value)> + Clone {
    prop_oneof![
        entry(
            "cmd",
            prop_oneof![string().boxed(), array(mostly(string())).boxed()]
        ),
        entry(
            "depends-on",
            prop_oneof![string().boxed(), array(mostly(dependency())).boxed()]
        ),
        entry(
            "env",
            inline_table(prop::collection::vec((key(), mostly(string())), 0..3))
        ),
        entry("args", array(mostly(argument()))),
        entry("inputs", array(mostly(string()))),
        entry("outputs", array(mostly(string()))),
        entry("cwd", string()),
        entry("description", string()),
        entry("default-environment", string()),
        entry("clean-env", any::<bool>().prop_map(Value::from)),
        (key(), value()).boxed(),
    ]
}

/// A task written as a table of mostly well-shaped fields, inline or as `[tasks.name]`.
fn task_table() -> impl Strategy<Value = Item> {
    let fields = prop::collection::vec(task_field(), 0..5);
    prop_oneof![
        inline_table(fields.clone()).prop_map(Item::Value),
        fields.prop_map(|fields| {
            let entries = fields
                .into_iter()
                .map(|(k, v)| (k, Item::Value(v)))
                .collect();
            Item::Table(table(entries, false))
        }),
    ]
}

/// What a task key can hold: a value, or a `[tasks.name]` table with nested tables and arrays
/// of tables.
fn item() -> impl Strategy<Value = Item> {
    value()
        .prop_map(Item::Value)
        .prop_recursive(2, 16, 4, |inner| {
            let entries = prop::collection::vec((key(), inner), 0..4);
            prop_oneof![
                (entries.clone(), any::<bool>())
                    .prop_map(|(entries, implicit)| Item::Table(table(entries, implicit))),
                prop::collection::vec(entries, 1..3).prop_map(|tables| {
                    let mut list = ArrayOfTables::new();
                    for entries in tables {
                        list.push(table(entries, false));
                    }
                    Item::ArrayOfTables(list)
                }),
            ]
        })
}

/// Where the tasks go: `[tasks]`, a target's, a feature's (used by an environment), or an
/// environment's inline tasks.
const POSITIONS: &[&[&str]] = &[
    &["tasks"],
    &["target", "linux-64", "tasks"],
    &["feature", "f", "tasks"],
    &["environments", "e", "tasks"],
];

fn document(position: &[&str], tasks: Vec<(String, Item)>) -> String {
    let mut doc: DocumentMut =
        "[workspace]\nname = \"p\"\nchannels = []\nplatforms = [\"linux-64\"]\n"
            .parse()
            .expect("the workspace header parses");
    if position[0] == "feature" {
        doc["environments"]["f"] = toml_edit::value(Array::from_iter(["f"]));
    }
    let mut parent = doc.as_table_mut();
    for key in &position[..position.len() - 1] {
        parent = parent
            .entry(key)
            .or_insert_with(|| Item::Table(table(Vec::new(), true)))
            .as_table_mut()
            .expect("a table just made");
    }
    parent.insert(
        position[position.len() - 1],
        Item::Table(table(tasks, false)),
    );
    doc.to_string()
}

/// An error of the task reader must be a diagnostic pointing at a line and column that exist.
fn assert_located(err: &anyhow::Error, source: &str) -> Result<(), TestCaseError> {
    let Some(diagnostic) = err.downcast_ref::<Diagnostic>() else {
        return Err(TestCaseError::fail(format!("not a diagnostic: {err:#}")));
    };
    let Some(location) = &diagnostic.location else {
        return Err(TestCaseError::fail(format!(
            "no location: {}",
            diagnostic.message
        )));
    };
    let lines: Vec<&str> = source.split('\n').collect();
    prop_assert!(
        (1..=lines.len()).contains(&location.line),
        "line {} of {} ({})",
        location.line,
        lines.len(),
        diagnostic.message
    );
    let width = lines[location.line - 1].chars().count();
    prop_assert!(
        (1..=width + 1).contains(&location.column),
        "column {} of a {width}-character line ({})",
        location.column,
        diagnostic.message
    );
    Ok(())
}

/// Read the tasks as `berth run` does: parse, resolve, then plan every task without arguments.
fn check(source: &str) -> Result<(), TestCaseError> {
    let path = Path::new("/p/pixi.toml");
    let manifest = match Manifest::parse(path, ManifestKind::Pixi, source) {
        Ok(manifest) => manifest,
        Err(err) => return assert_located(&err, source),
    };
    let set = match TaskSet::parse(&manifest) {
        Ok(set) => set,
        Err(err) => return assert_located(&err, source),
    };
    let environments = match Environments::resolve(&manifest, &set) {
        Ok(environments) => environments,
        Err(err) => return assert_located(&err, source),
    };
    let renderer = Renderer::for_tests(&path.display().to_string());
    let planner = Planner::for_tests(&environments, &renderer, &manifest);
    for environment in &environments.list {
        for task in environment.tasks.values() {
            // A task whose args need values cannot run without them; that is a command-line
            // error, not a manifest one.
            let Ok(bound) = bind_cli(task, &[]) else {
                continue;
            };
            let root = Invocation {
                task,
                environment: environment.name.clone(),
                args: bound.args,
                extra: bound.extra,
            };
            if let Err(err) = planner.plan(root) {
                assert_located(&err, source)?;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(crate::proptest_config::cases(128))]

    #[test]
    fn prop_any_toml_in_a_task_position_parses_or_is_located(
        position in prop::sample::select(POSITIONS),
        tasks in prop::collection::vec(
            (key(), prop_oneof![1 => item(), 3 => task_table()]),
            1..4,
        ),
    ) {
        check(&document(position, tasks))?;
    }
}
