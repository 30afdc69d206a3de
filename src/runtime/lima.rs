//! The project's Lima VM: `LIMA_HOME=<root>/.pixi/lima`, created from `template:docker`.

use std::ffi::OsString;

use anyhow::Result;

use super::{Context, Runtime, Status};
use crate::exit::ExitStatus;

pub struct Lima<'a> {
    ctx: &'a Context<'a>,
}

impl<'a> Lima<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Lima<'a> {
        Lima { ctx }
    }

    /// Whether the project's instance directory has a `lima.yaml`.
    pub fn instance_exists(&self) -> bool {
        self.ctx
            .project
            .layout
            .lima_home
            .join(&self.ctx.settings.instance.value)
            .join("lima.yaml")
            .is_file()
    }

    pub fn limactl_found(&self) -> bool {
        crate::process::find_program("limactl", Some(&self.ctx.project.layout.envs_dir)).is_some()
    }
}

fn not_yet() -> anyhow::Error {
    anyhow::anyhow!("the Lima runtime is not implemented yet")
}

impl Runtime for Lima<'_> {
    fn name(&self) -> &'static str {
        "lima"
    }
    fn status(&self) -> Result<Status> {
        Err(not_yet())
    }
    fn init(&self) -> Result<()> {
        Err(not_yet())
    }
    fn start(&self) -> Result<()> {
        Err(not_yet())
    }
    fn stop(&self, _force: bool) -> Result<()> {
        Err(not_yet())
    }
    fn delete(&self, _force: bool) -> Result<()> {
        Err(not_yet())
    }
    fn docker_host(&self) -> Result<String> {
        Err(not_yet())
    }
    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(not_yet())
    }
    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(not_yet())
    }
}
