//! `berth system clean`: print the plan, ask (or take --yes), apply it, report.

use anyhow::Result;

use super::Global;
use crate::clean::{self, Outcome, Plan, human_bytes};
use crate::cli::CleanArgs;
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::process::{self, ChildRecord};
use crate::ui::{self, display_path};

pub fn run(global: &Global, args: &CleanArgs) -> Result<ExitStatus> {
    let (plan, envs_dir, record) = if args.global {
        (clean::plan_global()?, None, None)
    } else {
        let project = global.project()?;
        // The file `berth container …` names its running limactl in, so a clean after a
        // killed `init` (or a killed clean) stops that limactl before planning.
        let record = ChildRecord::new(project.layout.berth_dir.join("limactl.pid"));
        if let Some(limactl) = process::find_program("limactl", Some(&project.layout.envs_dir))
            && let Some(pid) = record.stop_leftover(&limactl)
        {
            ui::note(&format!(
                "stopped `limactl` (pid {pid}), left running by an earlier berth that was killed"
            ));
        }
        (
            clean::plan_project(&project)?,
            Some(project.layout.envs_dir),
            Some(record),
        )
    };
    for kept in &plan.kept {
        ui::note(kept);
    }
    if !args.json {
        print_plan(&plan)?;
    }
    if plan.targets.is_empty() || args.dry_run {
        if args.json {
            ui::out_json(&report(&plan, &Outcome::default(), args.dry_run))?;
        } else if args.dry_run && !plan.targets.is_empty() {
            ui::status("dry run: nothing was removed");
        }
        return Ok(ExitStatus::Success);
    }

    let limactl = process::find_program("limactl", envs_dir.as_deref());
    clean::preflight(&plan, args.force, limactl.as_deref(), envs_dir.as_deref())?;
    if !args.yes {
        let question = format!(
            "Remove {} ({})?",
            paths(plan.targets.len()),
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
                    paths(plan.targets.len())
                ))
                .help("rerun with --yes")
                .into());
            }
        }
    }

    let limactl = limactl.as_deref().map(|program| clean::Limactl {
        program,
        record: record.as_ref(),
    });
    let outcome = clean::apply(&plan, limactl.as_ref());
    if args.json {
        ui::out_json(&report(&plan, &outcome, false))?;
    }
    if outcome.interrupted {
        // Not an `error:`: the user stopped it. Say what is left so the rerun is no surprise.
        ui::warn(&format!(
            "interrupted: {} removed ({}), {} left as they were; rerun `berth system clean` to finish",
            paths(outcome.removed.len()),
            human_bytes(outcome.bytes_freed),
            paths(outcome.not_removed.len() + usize::from(outcome.failed.is_some())),
        ));
        return Ok(ExitStatus::Child(130));
    }
    let Some((failed, error)) = &outcome.failed else {
        ui::status(&format!(
            "Freed {} ({} removed)",
            human_bytes(outcome.bytes_freed),
            paths(outcome.removed.len())
        ));
        return Ok(ExitStatus::Success);
    };
    for path in &outcome.not_removed {
        ui::note(&format!("not removed: {}", display_path(path)));
    }
    let mut diagnostic = Diagnostic::new(format!(
        "failed to remove `{}`: {error}",
        display_path(failed)
    ))
    .help(format!(
        "{} removed ({}); `{}` may be partly removed; {} left as they were",
        paths(outcome.removed.len()),
        human_bytes(outcome.bytes_freed),
        display_path(failed),
        paths(outcome.not_removed.len()),
    ));
    diagnostic = diagnostic
        .help("fix the cause and rerun `berth system clean`; it plans again from what is left");
    Err(diagnostic.into())
}

fn paths(n: usize) -> String {
    if n == 1 {
        "1 path".into()
    } else {
        format!("{n} paths")
    }
}

/// The plan as a table on stdout: size, path, why it goes; then the total.
fn print_plan(plan: &Plan) -> std::io::Result<()> {
    let scope = match plan.scope {
        clean::Scope::Project => "project",
        clean::Scope::Global => "global",
    };
    if plan.targets.is_empty() {
        return ui::out(&format!("Nothing to clean ({scope})."));
    }
    ui::out(&ui::bold_stdout(&format!("Plan ({scope}):")))?;
    let shown: Vec<(String, String)> = plan
        .targets
        .iter()
        .map(|t| (human_bytes(t.bytes), display_path(&t.path)))
        .collect();
    let path_width = shown
        .iter()
        .map(|(_, p)| p.chars().count())
        .max()
        .unwrap_or(0);
    for ((size, path), target) in shown.iter().zip(&plan.targets) {
        let reason = ui::dim_stdout(&target.reason);
        ui::out(&format!("  {size:>10}  {path:<path_width$}  {reason}"))?;
    }
    ui::out(&format!(
        "  {:>10}  total, {}",
        human_bytes(plan.total_bytes()),
        paths(plan.targets.len())
    ))
}

/// The `--json` document (schema in README.md, "`berth system clean --json`").
fn report(plan: &Plan, outcome: &Outcome, dry_run: bool) -> serde_json::Value {
    let failed: Vec<serde_json::Value> = outcome
        .failed
        .iter()
        .map(|(path, error)| serde_json::json!({ "path": path, "error": error }))
        .collect();
    serde_json::json!({
        "scope": plan.scope,
        "plan": plan.json_entries(),
        "total_bytes": plan.total_bytes(),
        "removed": outcome.removed,
        "failed": failed,
        "not_removed": outcome.not_removed,
        "bytes_freed": outcome.bytes_freed,
        "dry_run": dry_run,
    })
}
