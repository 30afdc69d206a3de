//! `berth system clean`: print the plan, ask (or take --yes), apply it, report.

use anyhow::Result;

use super::Global;
use super::engine::{self, Purpose};
use crate::clean::{self, EngineKind, EngineObject, Outcome, Plan, Removal};
use crate::cli::CleanArgs;
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::jobs::{self, container::Docker};
use crate::process;
use crate::project::Project;
use crate::runtime::lifecycle;
use crate::runtime::lima::limactl::Limactl;
use crate::ui::{self, display_path};
use crate::units::human_bytes;

pub fn run(global: &Global, args: &CleanArgs) -> Result<ExitStatus> {
    // `_lock` is held until the clean is over (see `project_lock`).
    let (project, source, _lock) = if args.global {
        (None, None, None)
    } else {
        let (project, source) = global.project_with_source()?;
        let lock = project_lock(&project)?;
        (Some(project), Some(source), lock)
    };
    let limactl = Limactl::installed(project.as_ref().map(|project| &project.layout));
    let mut plan = match &project {
        None => clean::plan_global()?,
        Some(project) => {
            // A clean after a killed `init` (or a killed clean) stops the limactl it left
            // running before planning.
            if let Some(pid) = limactl.as_ref().and_then(Limactl::stop_leftover) {
                ui::note(&format!(
                    "stopped `limactl` (pid {pid}), left running by an earlier berth that was killed"
                ));
            }
            clean::plan_project(project)?
        }
    };
    let docker = match (&project, source) {
        (Some(project), Some(source)) => match on_engine(global, project.clone(), source) {
            Ok((docker, objects)) => {
                plan.on_engine = objects;
                Some(docker)
            }
            Err(why) => {
                plan.engine_unchecked(&why);
                None
            }
        },
        _ => None,
    };
    for note in &plan.notes {
        ui::note(note);
    }
    if !args.json {
        print_plan(&plan)?;
    }
    if plan.is_empty() || args.dry_run {
        if args.json {
            ui::out_json(&report(&plan, &Outcome::default(), args.dry_run))?;
        } else if args.dry_run && !plan.is_empty() {
            ui::status("dry run: nothing was removed");
        }
        return Ok(ExitStatus::Success);
    }

    let layout = project.as_ref().map(|p| &p.layout);
    clean::preflight(&plan, args.force, limactl.as_ref(), layout)?;
    if !args.yes {
        let question = format!(
            "Remove {} ({})?",
            planned(&plan),
            human_bytes(plan.total_bytes())
        );
        match ui::confirm(&question) {
            Some(true) => {}
            Some(false) => {
                ui::status("nothing was removed");
                return Ok(ExitStatus::Failure);
            }
            None => {
                return Err(Diagnostic::new(format!(
                    "refusing to remove {} without confirmation, and there is no terminal to ask on",
                    planned(&plan)
                ))
                .help("rerun with --yes")
                .into());
            }
        }
    }

    let remove_vm = |vm: &clean::Vm| clean::remove_vm(vm, project.as_ref());
    let outcome = clean::apply(&plan, limactl.as_ref(), docker.as_ref(), &remove_vm);
    if args.json {
        ui::out_json(&report(&plan, &outcome, false))?;
    }
    if outcome.interrupted {
        // Not an `error:`: the user stopped it. Say what is left so the rerun is no surprise.
        let left: Vec<Removal> = outcome
            .failed
            .iter()
            .map(|(removal, _)| removal.clone())
            .chain(outcome.not_removed.iter().cloned())
            .collect();
        ui::warn(&format!(
            "interrupted: {} removed ({}), {} left as they were; rerun `berth system clean` to finish",
            count(&outcome.removed),
            human_bytes(outcome.bytes_freed),
            count(&left),
        ));
        return Err(process::signals::interruption().into());
    }
    let Some((failed, error)) = &outcome.failed else {
        ui::status(&format!(
            "Freed {} ({} removed)",
            human_bytes(outcome.bytes_freed),
            count(&outcome.removed)
        ));
        return Ok(ExitStatus::Success);
    };
    for removal in &outcome.not_removed {
        ui::note(&format!("not removed: {}", removal.display()));
    }
    let mut diagnostic =
        Diagnostic::new(format!("failed to remove `{}`: {error}", failed.display())).help(format!(
            "{} removed ({}); `{}` may be partly removed; {} left as they were",
            count(&outcome.removed),
            human_bytes(outcome.bytes_freed),
            failed.display(),
            count(&outcome.not_removed),
        ));
    diagnostic = diagnostic
        .help("fix the cause and rerun `berth system clean`; it plans again from what is left");
    Err(diagnostic.into())
}

/// The project's lifecycle lock, which `container init/start/stop/delete` hold while they
/// work: a clean waits for them, so it never takes the `limactl` of an init that is booting
/// for one an earlier, killed berth left running, nor removes what a start is writing. A
/// project with no `.pixi/berth` has no lock to take, and taking it would create one there.
fn project_lock(project: &Project) -> Result<Option<std::fs::File>> {
    if !project.layout.berth_dir.is_dir() {
        return Ok(None);
    }
    lifecycle::lock(&project.layout).map(Some)
}

/// The containers of the project's `berth pool` and the services its killed cluster jobs
/// left, on the engine that runs now (clean never starts a runtime), and the docker CLI that
/// removes them.
fn on_engine(
    global: &Global,
    project: Project,
    source: Vec<u8>,
) -> Result<(Docker, Vec<EngineObject>)> {
    let workspace = global.workspace_of(project, source)?;
    let docker = Docker::new(engine::for_engine(&workspace, None, Purpose::Inspect)?)?;
    let members = super::exec::pool_of(&workspace, &docker).members()?;
    let containers = members.into_iter().map(|m| EngineObject {
        kind: EngineKind::PoolContainer,
        name: m.name,
        id: m.id,
        state: m.state,
    });
    let services = jobs::cluster::leftover_services(&docker, &workspace.project.layout.jobs_dir)?
        .into_iter()
        .map(|s| EngineObject {
            kind: EngineKind::JobService,
            name: s.name,
            id: s.id,
            state: "orphaned".to_string(),
        });
    let objects = containers.chain(services).collect();
    Ok((docker, objects))
}

/// `3 paths`, `1 pool container`, `3 paths and 2 pool containers`, `1 VM and 2 paths`;
/// `0 paths` for none.
fn amount(paths: usize, containers: usize, services: usize, vms: usize) -> String {
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let counted = [
        (vms, "VM"),
        (containers, "pool container"),
        (services, "swarm service"),
    ];
    let mut parts: Vec<String> = counted
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, one)| plural(n, one))
        .collect();
    if paths > 0 || parts.is_empty() {
        parts.insert(0, plural(paths, "path"));
    }
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => unreachable!("a path count is always there when nothing else is"),
    }
}

fn planned(plan: &Plan) -> String {
    let removals: Vec<Removal> = plan
        .on_engine
        .iter()
        .map(EngineObject::removal)
        .chain(plan.vms.iter().map(|vm| Removal::Vm(vm.removal_name())))
        .chain(plan.targets.iter().map(|t| Removal::Path(t.path.clone())))
        .collect();
    count(&removals)
}

fn count(removals: &[Removal]) -> String {
    let of = |is: fn(&Removal) -> bool| removals.iter().filter(|r| is(r)).count();
    let containers = of(|r| matches!(r, Removal::Container(_)));
    let services = of(|r| matches!(r, Removal::Service(_)));
    let vms = of(|r| matches!(r, Removal::Vm(_)));
    let paths = removals.len() - containers - services - vms;
    amount(paths, containers, services, vms)
}

/// The plan as a table on stdout: size, path, why it goes; then the total, and the files
/// it keeps.
fn print_plan(plan: &Plan) -> std::io::Result<()> {
    let scope = match plan.scope {
        clean::Scope::Project => "project",
        clean::Scope::Global => "global",
    };
    if plan.is_empty() {
        ui::out(&format!("Nothing to clean ({scope})."))?;
    } else {
        print_targets(plan, scope)?;
    }
    if !plan.kept.is_empty() {
        ui::out(&ui::bold_stdout("Kept:"))?;
    }
    for kept in &plan.kept {
        let reason = ui::dim_stdout(&kept.reason);
        ui::out(&format!("  {}  {reason}", display_path(&kept.path)))?;
    }
    Ok(())
}

fn print_targets(plan: &Plan, scope: &str) -> std::io::Result<()> {
    ui::out(&ui::bold_stdout(&format!("Plan ({scope}):")))?;
    // A container or service has no size of its own to show: the engine owns its storage.
    let on_engine = plan
        .on_engine
        .iter()
        .map(|o| (String::new(), format!("{} ({})", o.name, o.id), o.reason()));
    // Nor has a VM: its runtime keeps its disk, and removes it.
    let vms = plan
        .vms
        .iter()
        .map(|vm| (String::new(), vm.display(), vm.reason()));
    let paths = plan.targets.iter().map(|t| {
        let size = human_bytes(t.bytes);
        (size, display_path(&t.path), t.reason.clone())
    });
    let shown: Vec<(String, String, String)> = on_engine.chain(vms).chain(paths).collect();
    let what_width = shown
        .iter()
        .map(|(_, what, _)| what.chars().count())
        .max()
        .unwrap_or(0);
    for (size, what, reason) in &shown {
        let reason = ui::dim_stdout(reason);
        ui::out(&format!("  {size:>10}  {what:<what_width$}  {reason}"))?;
    }
    ui::out(&format!(
        "  {:>10}  total, {}",
        human_bytes(plan.total_bytes()),
        planned(plan)
    ))
}

/// The `--json` document (schema in README.md, "`berth system clean --json`").
fn report(plan: &Plan, outcome: &Outcome, dry_run: bool) -> serde_json::Value {
    let failed: Vec<serde_json::Value> = outcome
        .failed
        .iter()
        .map(|(removal, error)| {
            let mut entry = serde_json::json!({ "error": error });
            entry[removal.json_key()] = serde_json::json!(removal);
            entry
        })
        .collect();
    serde_json::json!({
        "scope": plan.scope,
        "plan": plan.json_entries(),
        "kept": plan.kept,
        "total_bytes": plan.total_bytes(),
        "removed": outcome.removed,
        "failed": failed,
        "not_removed": outcome.not_removed,
        "bytes_freed": outcome.bytes_freed,
        "dry_run": dry_run,
    })
}
