//! `berth docker`, `berth compose` and `berth env`.

use std::ffi::OsString;

use anyhow::Result;

use super::Global;
use super::engine::{self, Purpose};
use crate::cli::{EnvArgs, ShellKind};
use crate::docker::{self, Shell};
use crate::exit::ExitStatus;
use crate::runtime::selection;
use crate::{host, process, ui};

pub fn docker(global: &Global, args: Vec<OsString>) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let ctx = workspace.runtime_context();
    let selection = selection::select(&ctx)?;
    // A runtime without a Docker API (Apple's container) runs docker words itself.
    if let Some(command) = selection.runtime.docker_command(&args)? {
        return process::exec_replace(command);
    }
    let env = engine::for_words(&workspace, &args, Some(&selection))?;
    process::exec_replace(env.docker(&args)?)
}

pub fn compose(global: &Global, args: Vec<OsString>) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let env = engine::for_words(&workspace, &args, None)?.with_compose_project(
        &host::current_dir()?,
        &args,
        &workspace.settings.compose_project,
    );
    process::exec_replace(env.compose(&args)?)
}

pub fn env(global: &Global, args: &EnvArgs) -> Result<ExitStatus> {
    let workspace = global.workspace()?;
    let env = engine::for_engine(&workspace, None, Purpose::Use)?.with_compose_project(
        &host::current_dir()?,
        &[],
        &workspace.settings.compose_project,
    );
    let vars = env.vars_text()?;
    let shell = match (args.json, args.shell) {
        (true, _) | (_, Some(ShellKind::Json)) => {
            let object: serde_json::Map<String, serde_json::Value> = vars
                .into_iter()
                .map(|(name, value)| (name.to_string(), value.into()))
                .collect();
            ui::out_json(&object.into())?;
            return Ok(ExitStatus::Success);
        }
        (_, Some(ShellKind::Sh | ShellKind::Bash | ShellKind::Zsh)) => Shell::Posix,
        (_, Some(ShellKind::Fish)) => Shell::Fish,
        (_, Some(ShellKind::Powershell)) => Shell::Powershell,
        (_, None) => match host::var_str("SHELL").filter(|s| !s.is_empty()) {
            Some(program) => Shell::from_program(&program),
            None if host::Os::current() == host::Os::Windows => Shell::Powershell,
            None => Shell::Posix,
        },
    };
    let set: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
    ui::out(&docker::render_shell(shell, &set, &env.removed()))?;
    Ok(ExitStatus::Success)
}
