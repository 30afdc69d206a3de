//! From a task name and its words to the ordered list of task invocations: arguments bound
//! as pixi binds them, `depends-on` walked depth-first in post-order, each unique
//! (task, args, environment) once, and a cycle reported as `a -> b -> a`.

use std::collections::HashSet;

use anyhow::Result;

use super::environments::{Chooser, Environments, Source};
use super::template::{self, Context, Renderer};
use crate::diag::{Diagnostic, locate};
use crate::manifest::Manifest;
use crate::manifest::tasks::{ArgSpec, Dependency, DependencyArg, Task};

/// One task to run, with everything that makes it unique.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    pub task: &'a Task<'a>,
    pub environment: String,
    /// Values of the task's typed args, in declaration order.
    pub args: Vec<(String, String)>,
    /// Words appended to the script, each single-quoted.
    pub extra: Vec<String>,
}

impl Invocation<'_> {
    /// The arguments as pixi shows them (`ArgValues`'s `Display`): typed ones as
    /// `name = value`, then ` -- ` and the extra words; or just the words.
    pub fn describe_args(&self) -> String {
        if self.task.arg_specs().is_empty() {
            return self.extra.join(", ");
        }
        let typed: Vec<String> = self
            .args
            .iter()
            .map(|(name, value)| format!("{name} = {value}"))
            .collect();
        let mut text = typed.join(", ");
        if !self.extra.is_empty() {
            text.push_str(" -- ");
            text.push_str(&self.extra.join(", "));
        }
        text
    }

    fn key(&self) -> (String, String, Vec<(String, String)>, Vec<String>) {
        (
            self.task.name.to_string(),
            self.environment.clone(),
            self.args.clone(),
            self.extra.clone(),
        )
    }
}

/// Typed args and appended words, bound from what a caller gave.
#[derive(Debug, PartialEq, Eq)]
pub struct Bound {
    pub args: Vec<(String, String)>,
    pub extra: Vec<String>,
}

/// Bind the words after the task name on the command line (pixi.md 2.3).
///
/// Without typed args every word is appended, a leading `--` dropped. With typed args the
/// words before the first `--` fill them in order and only the words after it are appended.
pub fn bind_cli(task: &Task, words: &[String]) -> Result<Bound> {
    // `args = []` still counts as typed args here, as in pixi's `from_cmd_args`.
    let Some(specs) = &task.args else {
        let words = match words.first() {
            Some(first) if first == "--" => &words[1..],
            _ => words,
        };
        return Ok(Bound {
            args: Vec::new(),
            extra: words.to_vec(),
        });
    };
    let (values, extra) = match words.iter().position(|w| w == "--") {
        Some(at) => (&words[..at], words[at + 1..].to_vec()),
        None => (words, Vec::new()),
    };
    if values.len() > specs.len() {
        return Err(Diagnostic::new(format!(
            "task '{}' received more arguments than expected",
            task.name
        ))
        .help("use `--` to separate task arguments from extra passthrough arguments")
        .into());
    }
    let given: Vec<Option<&str>> = (0..specs.len())
        .map(|i| values.get(i).map(String::as_str))
        .collect();
    Ok(Bound {
        args: fill(task, &given)?,
        extra,
    })
}

/// Bind the rendered `args` of a `depends-on` entry: positional first, then named.
/// A task without typed args gets them as words (`name=value` for named ones).
pub fn bind_dependency(task: &Task, args: &[DependencyArg]) -> Result<Bound> {
    if task.arg_specs().is_empty() {
        let extra = args
            .iter()
            .map(|arg| match arg {
                DependencyArg::Positional(value) => value.clone(),
                DependencyArg::Named(name, value) => format!("{name}={value}"),
            })
            .collect();
        return Ok(Bound {
            args: Vec::new(),
            extra,
        });
    }
    let mut given: Vec<Option<&str>> = vec![None; task.arg_specs().len()];
    let mut named_seen = false;
    for (i, arg) in args.iter().enumerate() {
        match arg {
            DependencyArg::Positional(value) => {
                if named_seen {
                    return Err(Diagnostic::new(format!(
                        "Positional argument '{value}' found after named argument for task {}",
                        task.name
                    ))
                    .into());
                }
                let slot = given.get_mut(i).ok_or_else(|| {
                    Diagnostic::new(format!(
                        "task '{}' received more arguments than expected",
                        task.name
                    ))
                })?;
                *slot = Some(value);
            }
            DependencyArg::Named(name, value) => {
                named_seen = true;
                let at = task
                    .arg_specs()
                    .iter()
                    .position(|a| &a.name == name)
                    .ok_or_else(|| {
                        Diagnostic::new(format!(
                            "named argument '{name}' does not exist for task {}",
                            task.name
                        ))
                    })?;
                given[at] = Some(value);
            }
        }
    }
    Ok(Bound {
        args: fill(task, &given)?,
        extra: Vec::new(),
    })
}

/// Each arg's value: given, else its default; checked against its choices.
fn fill(task: &Task, given: &[Option<&str>]) -> Result<Vec<(String, String)>> {
    task.arg_specs()
        .iter()
        .zip(given)
        .map(|(spec, value)| {
            let value = match value.map(str::to_string).or_else(|| spec.default.clone()) {
                Some(value) => value,
                None => {
                    return Err(Diagnostic::new(format!(
                        "no value provided for argument '{}' of task '{}'{}",
                        spec.name,
                        task.name,
                        choose_from(spec)
                    ))
                    .into());
                }
            };
            if let Some(choices) = &spec.choices
                && !choices.contains(&value)
            {
                return Err(Diagnostic::new(format!(
                    "got '{value}' for argument '{}' of task '{}'{}",
                    spec.name,
                    task.name,
                    choose_from(spec)
                ))
                .into());
            }
            Ok((spec.name.clone(), value))
        })
        .collect()
}

fn choose_from(spec: &ArgSpec) -> String {
    spec.choices
        .as_ref()
        .map(|c| format!(", choose from: {}", c.join(", ")))
        .unwrap_or_default()
}

/// Orders a task and its dependencies.
pub struct Planner<'p, 'a> {
    pub environments: &'p Environments<'a>,
    pub renderer: &'p Renderer,
    pub manifest: &'p Manifest<'p>,
    /// `-e`: dependencies without their own `environment` run there too.
    pub forced_environment: Option<&'p str>,
    /// Settles a dependency several environments define.
    pub chooser: Chooser<'p>,
}

#[cfg(test)]
impl<'p, 'a> Planner<'p, 'a> {
    /// A planner that forces no environment and settles no ambiguity.
    pub fn for_tests(
        environments: &'p Environments<'a>,
        renderer: &'p Renderer,
        manifest: &'p Manifest,
    ) -> Planner<'p, 'a> {
        Planner {
            environments,
            renderer,
            manifest,
            forced_environment: None,
            chooser: &|_| None,
        }
    }
}

impl<'a> Planner<'_, 'a> {
    /// The invocations to run, dependencies first (depth-first post-order).
    ///
    /// The walk keeps its own stack instead of recursing, so a `depends-on` chain of any
    /// length fits, and does constant work per dependency edge: resolution is linear in the
    /// size of the graph.
    pub fn plan(&self, root: Invocation<'a>) -> Result<Vec<Invocation<'a>>> {
        let mut walk = Walk::default();
        walk.enter(root);
        while let Some(top) = walk.stack.last_mut() {
            let task: &'a Task<'a> = top.node.task;
            let Some(dependency) = task.depends_on.get(top.next) else {
                walk.leave();
                continue;
            };
            top.next += 1;
            let parent = &walk.stack[walk.stack.len() - 1].node;
            let child = self.dependency(parent, dependency, &walk)?;
            if !walk.seen.contains(&child.key()) {
                walk.enter(child);
            }
        }
        Ok(walk.order)
    }

    /// The invocation `dependency` of `parent` stands for, or an error at the dependency.
    fn dependency(
        &self,
        parent: &Invocation<'a>,
        dependency: &'a Dependency<'a>,
        walk: &Walk<'a>,
    ) -> Result<Invocation<'a>> {
        // A position costs a scan of the source, so it is only computed for an error.
        let at = || self.manifest.location(dependency.span.clone());
        let in_environment = dependency
            .environment
            .as_deref()
            .or(self.forced_environment);
        let (environment, task) = self
            .environments
            .find(
                &dependency.task,
                in_environment,
                Source::DependsOn(&parent.task.name),
                self.chooser,
            )
            .map_err(|err| locate(err, at()))?;
        if let Some(cycle) = walk.cycle_to(&task.name, &environment.name) {
            return Err(Diagnostic::new(format!(
                "the tasks depend on each other in a cycle: {}",
                cycle.join(" -> ")
            ))
            .at_opt(at())
            .help(format!(
                "remove `{}` from the `depends-on` of task `{}`",
                task.name, parent.task.name
            ))
            .into());
        }
        let rendered = dependency
            .args
            .iter()
            .flatten()
            .map(|arg| self.render_arg(arg, parent))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|err| {
                Diagnostic::new(format!(
                    "failed to replace argument placeholders in a dependency of task '{}': {}",
                    parent.task.name,
                    template::describe(&err)
                ))
                .at_opt(at())
            })?;
        let bound = bind_dependency(task, &rendered).map_err(|err| locate(err, at()))?;
        Ok(Invocation {
            task,
            environment: environment.name.clone(),
            args: bound.args,
            extra: bound.extra,
        })
    }

    fn render_arg(
        &self,
        arg: &DependencyArg,
        parent: &Invocation<'a>,
    ) -> std::result::Result<DependencyArg, minijinja::Error> {
        // Every environment in a plan comes from `environments`.
        let platform = self
            .environments
            .get(&parent.environment)
            .map_or_else(super::platforms::host, |e| e.platform());
        let context = Context {
            platform: &platform,
            environment: &parent.environment,
            args: &parent.args,
            dependency: true,
        };
        let render = |text: &str| self.renderer.render(text, &context);
        Ok(match arg {
            DependencyArg::Positional(value) => DependencyArg::Positional(render(value)?),
            DependencyArg::Named(name, value) => DependencyArg::Named(name.clone(), render(value)?),
        })
    }
}

type Key = (String, String, Vec<(String, String)>, Vec<String>);

/// The state of a depth-first walk.
#[derive(Default)]
struct Walk<'a> {
    /// The invocations being visited, outermost first.
    stack: Vec<Frame<'a>>,
    /// (task, environment) of every frame of `stack`, for a constant-time cycle check.
    on_stack: HashSet<(&'a str, String)>,
    /// Invocations already ordered.
    seen: HashSet<Key>,
    order: Vec<Invocation<'a>>,
}

struct Frame<'a> {
    node: Invocation<'a>,
    /// The index of the next `depends-on` entry to visit.
    next: usize,
}

impl<'a> Walk<'a> {
    fn enter(&mut self, node: Invocation<'a>) {
        self.on_stack
            .insert((node.task.name.as_ref(), node.environment.clone()));
        self.stack.push(Frame { node, next: 0 });
    }

    /// Done with the innermost invocation: its dependencies are ordered, so it is next.
    fn leave(&mut self) {
        let Some(Frame { node, .. }) = self.stack.pop() else {
            return;
        };
        self.on_stack
            .remove(&(node.task.name.as_ref(), node.environment.clone()));
        self.seen.insert(node.key());
        self.order.push(node);
    }

    /// The path `a -> … -> a` if visiting `task` in `environment` closes a cycle.
    fn cycle_to(&self, task: &str, environment: &str) -> Option<Vec<&'a str>> {
        if !self.on_stack.contains(&(task, environment.to_string())) {
            return None;
        }
        let start = self
            .stack
            .iter()
            .position(|f| f.node.task.name == task && f.node.environment == environment)?;
        let mut cycle: Vec<&'a str> = self.stack[start..]
            .iter()
            .map(|f| f.node.task.name.as_ref())
            .collect();
        cycle.push(cycle[0]);
        Some(cycle)
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::tasks::TaskSet;
    use crate::project::ManifestKind;
    use crate::tasks::environments::Environments;

    fn manifest_text(tasks: &str) -> String {
        format!("[workspace]\nname = \"t\"\nchannels = []\nplatforms = []\n\n[tasks]\n{tasks}")
    }

    /// The order `name` runs in, as `task(args)` strings.
    fn order(tasks: &str, name: &str, words: &[&str]) -> Result<Vec<String>> {
        let text = manifest_text(tasks);
        let manifest = Manifest::parse(
            std::path::Path::new("/p/pixi.toml"),
            ManifestKind::Pixi,
            &text,
        )?;
        let set = TaskSet::parse(&manifest)?;
        let envs = Environments::resolve(&manifest, &set)?;
        let renderer = Renderer::for_tests("/p/pixi.toml");
        let planner = Planner::for_tests(&envs, &renderer, &manifest);
        let (env, task) = envs.find(name, None, Source::CommandLine, &|_| None)?;
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let bound = bind_cli(task, &words)?;
        let plan = planner.plan(Invocation {
            task,
            environment: env.name.clone(),
            args: bound.args,
            extra: bound.extra,
        })?;
        Ok(plan
            .iter()
            .map(|i| {
                let mut shown = i.task.name.to_string();
                for (_, v) in &i.args {
                    shown.push_str(&format!(" {v}"));
                }
                for w in &i.extra {
                    shown.push_str(&format!(" '{w}'"));
                }
                shown
            })
            .collect())
    }

    #[test]
    fn dependencies_run_depth_first_each_once() {
        let tasks = "root = \"echo root\"\ntask1 = { cmd = \"echo task1\", depends-on = [\"root\"] }\n\
                     task2 = { cmd = \"echo task2\", depends-on = [\"root\"] }\n\
                     top = { cmd = \"echo top\", depends-on = [\"task1\", \"task2\"] }\n";
        assert_eq!(
            order(tasks, "top", &["--test"]).unwrap(),
            ["root", "task1", "task2", "top '--test'"]
        );
    }

    #[test]
    fn the_same_task_runs_once_per_argument_set() {
        let tasks = "echo = { cmd = \"echo {{ x }}\", args = [\"x\"] }\n\
                     both = { depends-on = [{ task = \"echo\", args = [\"a\"] }, { task = \"echo\", args = [\"b\"] }, { task = \"echo\", args = [{ x = \"a\" }] }] }\n";
        assert_eq!(
            order(tasks, "both", &[]).unwrap(),
            ["echo a", "echo b", "both"]
        );
    }

    #[test]
    fn dependency_args_are_rendered_with_the_parents_args() {
        let tasks = "base = { cmd = \"echo {{ a }} {{ b }}\", args = [\"a\", { arg = \"b\", default = \"B\" }] }\n\
                     top = { args = [\"v\"], depends-on = [{ task = \"base\", args = [\"{{ v | upper }}\"] }] }\n";
        assert_eq!(order(tasks, "top", &["x"]).unwrap(), ["base X B", "top x"]);
    }

    #[test]
    fn cycles_are_errors_naming_the_path() {
        let one = "a = { cmd = \"true\", depends-on = [\"a\"] }\n";
        assert!(
            order(one, "a", &[])
                .unwrap_err()
                .to_string()
                .ends_with("a -> a")
        );
        let three = "a = { cmd = \"true\", depends-on = [\"b\"] }\nb = { cmd = \"true\", depends-on = [\"c\"] }\nc = { cmd = \"true\", depends-on = [\"a\"] }\n";
        assert!(
            order(three, "a", &[])
                .unwrap_err()
                .to_string()
                .ends_with("a -> b -> c -> a")
        );
    }

    #[test]
    fn double_dash_rules_follow_pixi() {
        let free = "t = \"echo\"\n";
        assert_eq!(
            order(free, "t", &["arg1", "--", "arg2"]).unwrap(),
            ["t 'arg1' '--' 'arg2'"]
        );
        assert_eq!(
            order(free, "t", &["--", "arg1", "arg2"]).unwrap(),
            ["t 'arg1' 'arg2'"]
        );
        assert_eq!(order(free, "t", &["--verbose"]).unwrap(), ["t '--verbose'"]);
        let typed = "t = { cmd = \"echo {{ mode }}\", args = [{ arg = \"mode\", default = \"debug\", choices = [\"debug\", \"release\"] }] }\n";
        assert_eq!(
            order(typed, "t", &["release", "--", "--verbose"]).unwrap(),
            ["t release '--verbose'"]
        );
        assert_eq!(order(typed, "t", &["--", "x"]).unwrap(), ["t debug 'x'"]);
        let err = order(typed, "t", &["a", "b"]).unwrap_err().to_string();
        assert_eq!(err, "task 't' received more arguments than expected");
        let err = order(typed, "t", &["fast"]).unwrap_err().to_string();
        assert_eq!(
            err,
            "got 'fast' for argument 'mode' of task 't', choose from: debug, release"
        );
        let required = "t = { cmd = \"echo {{ a }}\", args = [\"a\"] }\n";
        let err = order(required, "t", &[]).unwrap_err().to_string();
        assert_eq!(err, "no value provided for argument 'a' of task 't'");
    }

    #[test]
    fn a_long_chain_resolves_each_task_once_in_order() {
        let mut tasks = String::from("step-0 = \"true\"\n");
        for i in 1..3000 {
            tasks.push_str(&format!(
                "step-{i} = {{ cmd = \"true\", depends-on = [\"step-{}\", \"step-0\"] }}\n",
                i - 1
            ));
        }
        let plan = order(&tasks, "step-2999", &[]).unwrap();
        let expected: Vec<String> = (0..3000).map(|i| format!("step-{i}")).collect();
        assert_eq!(plan, expected);
    }

    #[test]
    fn named_dependency_args_are_checked() {
        let tasks = "base = { cmd = \"echo {{ a }}\", args = [\"a\"] }\n\
                     bad = { depends-on = [{ task = \"base\", args = [{ foo = \"x\" }] }] }\n\
                     order = { depends-on = [{ task = \"base\", args = [{ a = \"x\" }, \"y\"] }] }\n";
        let err = order(tasks, "bad", &[]).unwrap_err().to_string();
        assert_eq!(err, "named argument 'foo' does not exist for task base");
        let err = order(tasks, "order", &[]).unwrap_err().to_string();
        assert_eq!(
            err,
            "Positional argument 'y' found after named argument for task base"
        );
    }
}
