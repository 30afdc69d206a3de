//! `berth docker`, `berth compose` and `berth env`.

use std::ffi::OsString;

use anyhow::Result;

use super::Global;
use crate::cli::EnvArgs;
use crate::exit::ExitStatus;

pub fn docker(_global: &Global, _args: Vec<OsString>) -> Result<ExitStatus> {
    anyhow::bail!("`berth docker` is not implemented yet")
}

pub fn compose(_global: &Global, _args: Vec<OsString>) -> Result<ExitStatus> {
    anyhow::bail!("`berth compose` is not implemented yet")
}

pub fn env(_global: &Global, _args: &EnvArgs) -> Result<ExitStatus> {
    anyhow::bail!("`berth env` is not implemented yet")
}
