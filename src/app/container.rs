//! `berth container init|start|stop|delete|status|shell|logs`.

use anyhow::Result;

use super::Global;
use crate::cli::ContainerCommand;
use crate::exit::ExitStatus;
use crate::runtime::selection;
use crate::runtime::{State, Status};

pub fn run(global: &Global, command: ContainerCommand) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let ctx = workspace.runtime_context();
    let selection = selection::select(&ctx)?;
    let runtime = selection.runtime;
    let done = match command {
        ContainerCommand::Init => runtime.init(),
        ContainerCommand::Start => runtime.start(),
        ContainerCommand::Stop(args) => runtime.stop(args.force),
        ContainerCommand::Delete(args) => runtime.delete(args.force),
        ContainerCommand::Status(args) => {
            let status = runtime.status()?;
            if args.json {
                crate::ui::out_json(&serde_json::to_value(&status)?)?;
            } else {
                print_status(&status)?;
            }
            return Ok(match status.state {
                State::Running => ExitStatus::Success,
                State::Stopped | State::Absent => ExitStatus::NotRunning,
                State::Broken => ExitStatus::Failure,
            });
        }
        ContainerCommand::Shell(args) => return runtime.shell(&args.command),
        ContainerCommand::Logs(args) => return runtime.logs(args.follow),
    };
    // An interrupted lifecycle command is an `exit::Interrupted` error: berth exits 128+N.
    done.map(|()| ExitStatus::Success)
}

/// A few readable lines: the state, then where Docker answers and what the VM has.
fn print_status(status: &Status) -> std::io::Result<()> {
    use crate::ui::{bold_stdout, dim_stdout, out};
    let state = match status.state {
        State::Running => "running",
        State::Stopped => "stopped",
        State::Broken => "broken",
        State::Absent => "not created (run `berth container init`)",
    };
    out(&format!(
        "{} {}: {}",
        status.runtime,
        bold_stdout(&status.instance),
        bold_stdout(state)
    ))?;
    let detail = |label: &str, value: String| {
        out(&format!(
            "  {} {value}",
            dim_stdout(&format!("{label:<12}"))
        ))
    };
    if let Some(reason) = &status.reason {
        detail("why", reason.clone())?;
    }
    if let Some(host) = &status.docker_host {
        detail("DOCKER_HOST", host.clone())?;
    }
    if let Some(home) = &status.lima_home {
        detail("LIMA_HOME", home.display().to_string())?;
    }
    let resources: Vec<String> = [
        status.cpus.map(|c| format!("{c} CPUs")),
        status.memory.as_ref().map(|m| format!("{m} memory")),
        status.disk.as_ref().map(|d| format!("{d} disk")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !resources.is_empty() {
        detail("resources", resources.join(", "))?;
    }
    if let Some(version) = &status.lima_version {
        detail("Lima", version.clone())?;
    }
    Ok(())
}
