//! `berth container init|start|stop|delete|status|shell|logs`.

use anyhow::Result;

use super::Global;
use crate::cli::ContainerCommand;
use crate::exit::ExitStatus;
use crate::runtime::{self, State};

pub fn run(global: &Global, command: ContainerCommand) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let ctx = workspace.runtime_context();
    let selection = runtime::select(&ctx)?;
    let runtime = selection.runtime;
    match command {
        ContainerCommand::Init => runtime.init().map(|()| ExitStatus::Success),
        ContainerCommand::Start => runtime.start().map(|()| ExitStatus::Success),
        ContainerCommand::Stop(args) => runtime.stop(args.force).map(|()| ExitStatus::Success),
        ContainerCommand::Delete(args) => runtime.delete(args.force).map(|()| ExitStatus::Success),
        ContainerCommand::Status(args) => {
            let status = runtime.status()?;
            if args.json {
                crate::ui::out_json(&serde_json::to_value(&status)?)?;
            } else {
                crate::ui::out(&format!(
                    "{} {}: {:?}",
                    status.runtime, status.instance, status.state
                ))?;
            }
            Ok(match status.state {
                State::Running => ExitStatus::Success,
                State::Stopped | State::Absent => ExitStatus::NotRunning,
                State::Broken => ExitStatus::Failure,
            })
        }
        ContainerCommand::Shell(args) => runtime.shell(&args.command),
        ContainerCommand::Logs(args) => runtime.logs(args.follow),
    }
}
