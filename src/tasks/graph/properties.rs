//! Properties of the planner over random task graphs of up to 40 tasks.
//!
//! A graph is drawn as a DAG (task `i` may depend only on tasks below `i`) whose names are
//! shuffled, so neither names nor declaration order give the topological order away. Then:
//! every task the root reaches runs exactly once, after all of its dependencies; and once
//! one edge closes a cycle, planning fails naming a real cycle instead of recursing forever.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;

use super::{Invocation, Planner};
use crate::manifest::Manifest;
use crate::manifest::tasks::TaskSet;
use crate::project::ManifestKind;
use crate::tasks::environments::{Environments, Source};
use crate::tasks::template::Renderer;

const MAX_TASKS: usize = 40;

#[derive(Debug, Clone)]
struct Graph {
    /// `names[i]` is task `i`'s name.
    names: Vec<String>,
    /// `depends_on[i]`: the tasks `i` depends on, in declaration order.
    depends_on: Vec<Vec<usize>>,
    /// Tasks without `cmd` (aliases) still take part in the plan.
    alias: Vec<bool>,
}

impl Graph {
    /// The tasks `from` reaches through `depends-on`, itself included.
    fn reachable(&self, from: usize) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(task) = todo.pop() {
            if seen.insert(task) {
                todo.extend(&self.depends_on[task]);
            }
        }
        seen
    }

    fn manifest(&self) -> String {
        let mut text =
            String::from("[workspace]\nname = \"g\"\nchannels = []\nplatforms = []\n\n[tasks]\n");
        // Declared in name order, which the shuffle made unrelated to the dependency order.
        let mut order: Vec<usize> = (0..self.names.len()).collect();
        order.sort_by_key(|&i| &self.names[i]);
        for i in order {
            let deps: Vec<String> = self.depends_on[i]
                .iter()
                .map(|&d| format!("\"{}\"", self.names[d]))
                .collect();
            let cmd = if self.alias[i] {
                ""
            } else {
                "cmd = \"true\", "
            };
            text.push_str(&format!(
                "{} = {{ {cmd}depends-on = [{}] }}\n",
                self.names[i],
                deps.join(", ")
            ));
        }
        text
    }

    /// Plan `root` as `berth run` does; the task names in run order, or the error's text.
    fn plan(&self, root: usize) -> Result<Vec<String>, String> {
        let text = self.manifest();
        let manifest = Manifest::parse(Path::new("/g/pixi.toml"), ManifestKind::Pixi, &text)
            .expect("the generated manifest parses");
        let set = TaskSet::parse(&manifest).expect("the generated tasks are valid");
        let environments = Environments::resolve(&manifest, &set).unwrap();
        let renderer = Renderer::for_tests("/g/pixi.toml");
        let planner = Planner::for_tests(&environments, &renderer, &manifest);
        let (environment, task) = environments
            .find(&self.names[root], None, Source::CommandLine, &|_| None)
            .unwrap();
        let plan = planner
            .plan(Invocation {
                task,
                environment: environment.name.clone(),
                args: Vec::new(),
                extra: Vec::new(),
            })
            .map_err(|err| err.to_string())?;
        Ok(plan.iter().map(|i| i.task.name.to_string()).collect())
    }
}

/// A DAG of 1..=40 tasks with shuffled names.
fn dag() -> impl Strategy<Value = Graph> {
    (1..=MAX_TASKS).prop_flat_map(|n| {
        (
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            prop::collection::vec(prop::collection::vec(prop::bool::weighted(0.15), n), n),
            prop::collection::vec(prop::bool::weighted(0.2), n),
        )
            .prop_map(|(labels, edges, alias)| Graph {
                names: labels.iter().map(|l| format!("t{l}")).collect(),
                depends_on: edges
                    .iter()
                    .enumerate()
                    .map(|(i, row)| (0..i).filter(|&j| row[j]).collect())
                    .collect(),
                alias,
            })
    })
}

/// Close a cycle in `graph`: pick a task `to`, a task `from` that `to` reaches (maybe `to`
/// itself), and make `from` depend on `to`. Returns a root that reaches the cycle.
fn close_cycle(graph: &mut Graph, to: Index, from: Index, root: Index) -> usize {
    let to = to.index(graph.names.len());
    let below: Vec<usize> = graph.reachable(to).into_iter().collect();
    let from = below[from.index(below.len())];
    graph.depends_on[from].push(to);
    let above: Vec<usize> = (0..graph.names.len())
        .filter(|&r| graph.reachable(r).contains(&to))
        .collect();
    above[root.index(above.len())]
}

proptest! {
    #![proptest_config(crate::proptest_config::cases(64))]

    #[test]
    fn prop_each_reachable_task_runs_once_after_its_dependencies(
        graph in dag(),
        root in any::<Index>(),
    ) {
        let root = root.index(graph.names.len());
        let plan = graph.plan(root).map_err(TestCaseError::fail)?;
        let position: HashMap<&str, usize> =
            plan.iter().enumerate().map(|(at, name)| (name.as_str(), at)).collect();
        prop_assert_eq!(position.len(), plan.len(), "a task ran twice: {:?}", plan);
        let expected: BTreeSet<&str> =
            graph.reachable(root).iter().map(|&i| graph.names[i].as_str()).collect();
        let planned: BTreeSet<&str> = plan.iter().map(String::as_str).collect();
        prop_assert_eq!(&planned, &expected);
        for &task in &graph.reachable(root) {
            for &dependency in &graph.depends_on[task] {
                prop_assert!(
                    position[graph.names[dependency].as_str()] < position[graph.names[task].as_str()],
                    "{} ran after {}, which depends on it: {:?}",
                    graph.names[dependency],
                    graph.names[task],
                    plan
                );
            }
        }
    }

    #[test]
    fn prop_a_cycle_is_an_error_naming_it(
        mut graph in dag(),
        to in any::<Index>(),
        from in any::<Index>(),
        root in any::<Index>(),
    ) {
        let root = close_cycle(&mut graph, to, from, root);
        let message = match graph.plan(root) {
            Ok(plan) => return Err(TestCaseError::fail(format!("planned a cycle: {plan:?}"))),
            Err(message) => message,
        };
        let Some((_, path)) = message.split_once("in a cycle: ") else {
            return Err(TestCaseError::fail(format!("not a cycle error: {message}")));
        };
        let path: Vec<&str> = path.split(" -> ").collect();
        prop_assert!(path.len() >= 2 && path.first() == path.last(), "{}", message);
        let index: HashMap<&str, usize> =
            graph.names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        for pair in path.windows(2) {
            let (task, dependency) = (index[pair[0]], index[pair[1]]);
            prop_assert!(
                graph.depends_on[task].contains(&dependency),
                "{} does not depend on {}: {}",
                pair[0],
                pair[1],
                message
            );
        }
    }
}
