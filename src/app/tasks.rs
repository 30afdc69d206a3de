//! `berth run` and `berth task list`.

use anyhow::Result;

use super::Global;
use crate::cli::{RunArgs, TaskListArgs};
use crate::exit::ExitStatus;

pub fn run(_global: &Global, _args: RunArgs) -> Result<ExitStatus> {
    anyhow::bail!("`berth run` is not implemented yet")
}

pub fn list(_global: &Global, _args: &TaskListArgs) -> Result<ExitStatus> {
    anyhow::bail!("`berth task list` is not implemented yet")
}
