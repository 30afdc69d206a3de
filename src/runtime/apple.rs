//! Apple's `container` CLI (macOS 26+, Apple silicon): one system service per user session,
//! each container its own lightweight VM, and no Docker API socket, so `berth docker` words
//! are translated into `container` commands (`apple_args`) instead of pointing docker at it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::apple_args::{self, Needs, Release};
use super::{Context, Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host::{Arch, Os};
use crate::settings::RuntimeKind;
use crate::{process, ui};

/// The first macOS major version Apple supports `container` on (research B1: it builds for
/// 15 but networking is gated on 26, and 15-only issues are not fixed).
const MIN_MACOS: u32 = 26;

/// A host that can run Apple `container`.
#[derive(Debug, Clone)]
pub struct AppleSupport {
    pub program: PathBuf,
    pub macos_version: String,
}

/// The first condition a host fails, for the explicit choice's error and `berth doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    NotMacos(Os),
    NotAppleSilicon,
    UnknownMacosVersion(String),
    OldMacos(String),
    NotInstalled,
}

impl Unsupported {
    pub fn diagnostic(&self) -> Diagnostic {
        let other_runtimes =
            "or choose another runtime: `runtime = \"lima\"` in [tool.berth] (or `--runtime lima`)";
        match self {
            Unsupported::NotMacos(os) => Diagnostic::new(format!(
                "Apple container runs only on macOS, and this host is {}",
                os.name()
            ))
            .help("use `--runtime docker` (the host engine) or `--runtime lima` here"),
            Unsupported::NotAppleSilicon => Diagnostic::new(
                "Apple container needs Apple silicon (arm64), and this Mac is x86_64",
            )
            .help(other_runtimes),
            Unsupported::UnknownMacosVersion(why) => {
                Diagnostic::new(format!("cannot tell the macOS version: {why}"))
                    .help("`sw_vers -productVersion` must print it; it ships with macOS in /usr/bin")
            }
            Unsupported::OldMacos(version) => Diagnostic::new(format!(
                "Apple container needs macOS {MIN_MACOS} or later, and this Mac runs macOS {version}"
            ))
            .help(format!("update to macOS {MIN_MACOS}, {other_runtimes}")),
            Unsupported::NotInstalled => Diagnostic::new("`container` was not found on PATH")
                .help("install Apple's container CLI from https://github.com/apple/container/releases (the signed .pkg)")
                .help(other_runtimes),
        }
    }
}

/// Whether this host can run Apple `container`: macOS 26+ on Apple silicon with the CLI
/// installed. The OS and architecture come from `host` (so tests can set them); the macOS
/// version always from `sw_vers -productVersion`.
pub fn detect(envs_dir: Option<&Path>) -> Result<AppleSupport, Unsupported> {
    match Os::current() {
        Os::Macos => {}
        os => return Err(Unsupported::NotMacos(os)),
    }
    if Arch::current() != Arch::Aarch64 {
        return Err(Unsupported::NotAppleSilicon);
    }
    let macos_version = macos_version().map_err(Unsupported::UnknownMacosVersion)?;
    let major = macos_version
        .split('.')
        .next()
        .and_then(|major| major.parse::<u32>().ok())
        .ok_or_else(|| {
            Unsupported::UnknownMacosVersion(format!(
                "`sw_vers -productVersion` printed `{macos_version}`"
            ))
        })?;
    if major < MIN_MACOS {
        return Err(Unsupported::OldMacos(macos_version));
    }
    let program = process::find_program("container", envs_dir).ok_or(Unsupported::NotInstalled)?;
    Ok(AppleSupport {
        program,
        macos_version,
    })
}

fn macos_version() -> Result<String, String> {
    let sw_vers = process::find_program("sw_vers", None)
        .ok_or_else(|| "`sw_vers` was not found on PATH".to_string())?;
    let mut command = Command::new(sw_vers);
    command.arg("-productVersion");
    let out = process::capture(command).map_err(|e| format!("{e:#}"))?;
    let version = out.stdout.trim();
    if out.status != ExitStatus::Success || version.is_empty() {
        return Err(format!(
            "`sw_vers -productVersion` failed (exit {}): {}",
            out.status.code(),
            out.stderr.trim()
        ));
    }
    Ok(version.to_string())
}

pub struct Apple {
    program: PathBuf,
}

impl Apple {
    /// The runtime, or an error naming the condition this host fails and what to do.
    pub fn new(ctx: &Context<'_>) -> Result<Apple> {
        let support = detect(Some(&ctx.project.layout.envs_dir)).map_err(|u| u.diagnostic())?;
        ui::debug(&format!(
            "apple: macOS {}, {}",
            support.macos_version,
            support.program.display()
        ));
        Ok(Apple {
            program: support.program,
        })
    }

    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(&self.program);
        command.args(args);
        command
    }

    /// `container system status --format json`: exit 0 when running, 1 with `status` set
    /// to `not running` or `unregistered` when not.
    fn service(&self) -> Result<Service> {
        let out = process::capture(self.command(["system", "status", "--format", "json"]))?;
        let reported = serde_json::from_str::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|json| json.get("status")?.as_str().map(str::to_string));
        Ok(match (out.status, reported.as_deref()) {
            (ExitStatus::Success, _) => Service::Running,
            (_, Some("not running")) => {
                Service::Stopped("the container system service is registered but not running")
            }
            (_, Some("unregistered")) => {
                Service::Stopped("the container system service is not registered with launchd")
            }
            (status, _) => Service::Broken(format!(
                "`container system status` failed (exit {}): {}",
                status.code(),
                out.stderr.trim()
            )),
        })
    }

    fn run_checked(&self, args: &[&str]) -> Result<()> {
        let status = process::run_foreground(self.command(args))?;
        if status == ExitStatus::Success {
            return Ok(());
        }
        Err(Diagnostic::new(format!(
            "`container {}` failed (exit {})",
            args.join(" "),
            status.code()
        ))
        .help("its own message is above; `container system logs` has the service's side")
        .into())
    }

    /// Refuse docker words this `container` is too old for, before it refuses them with a
    /// usage error. When `container --version` says nothing readable, `container` decides.
    fn require(&self, needs: Needs) -> Result<()> {
        let out = process::capture(self.command(["--version"]))?;
        let release = match (out.status, cli_release(&out.stdout)) {
            (ExitStatus::Success, Some(release)) => release,
            _ => return Ok(()),
        };
        if release >= needs.release {
            return Ok(());
        }
        Err(Diagnostic::new(format!(
            "{} needs Apple container {} or later, and this is {release}",
            needs.what, needs.release
        ))
        .help("update it from https://github.com/apple/container/releases, or leave the option out")
        .into())
    }
}

/// The release in `container --version`'s `container CLI version 1.2.2 (build: release,
/// commit: abc1234)` (ContainerVersion/ReleaseVersion.swift, 1.0.0-1.2.2).
fn cli_release(text: &str) -> Option<Release> {
    let (_, rest) = text.split_once("version ")?;
    let word = rest.split_whitespace().next()?;
    let mut numbers = word.split('.').map(str::parse::<u32>);
    let mut next = || numbers.next().and_then(Result::ok);
    Some(Release(next()?, next()?, next()?))
}

enum Service {
    Running,
    Stopped(&'static str),
    Broken(String),
}

impl Runtime for Apple {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Apple
    }

    fn status(&self) -> Result<Status> {
        let (state, reason) = match self.service()? {
            Service::Running => (State::Running, None),
            Service::Stopped(why) => (State::Stopped, Some(why.to_string())),
            Service::Broken(why) => (State::Broken, Some(why)),
        };
        // One API server per user session: there is no per-project instance.
        Ok(Status {
            reason,
            ..Status::new(RuntimeKind::Apple, "system", state)
        })
    }

    fn init(&self) -> Result<()> {
        if let Service::Running = self.service()? {
            ui::status("Apple container's system service is running; nothing to start");
            return Ok(());
        }
        // Without a TTY the first start's kernel prompt would hang (research B2): answer it
        // up front. When a kernel is already set, the flag changes nothing.
        ui::step("Starting", "Apple container's system service");
        self.run_checked(&["system", "start", "--enable-kernel-install"])?;
        match self.service()? {
            Service::Running => Ok(()),
            Service::Stopped(why) => Err(not_started(why)),
            Service::Broken(why) => Err(not_started(&why)),
        }
    }

    fn start(&self) -> Result<()> {
        self.init()
    }

    fn stop(&self, _force: bool) -> Result<()> {
        if !matches!(self.service()?, Service::Running) {
            ui::status("Apple container's system service is not running; nothing to stop");
            return Ok(());
        }
        ui::note("this stops every Apple container of this user, not only this project's");
        ui::step("Stopping", "Apple container's system service");
        self.run_checked(&["system", "stop"])
    }

    fn delete(&self, _force: bool) -> Result<()> {
        ui::status("Apple container has no per-project VM; nothing to delete");
        ui::note(
            "`berth container stop` stops the system service; `berth docker rm NAME` removes a container",
        );
        Ok(())
    }

    fn docker_host(&self) -> Result<String> {
        Err(Diagnostic::new("Apple container has no Docker API socket, so there is no DOCKER_HOST")
            .help("`berth docker ...` works: berth translates it into `container` commands")
            .help("for tools that need the Docker API (Compose, SDKs) use runtime `lima` or `docker`")
            .into())
    }

    fn docker_command(&self, args: &[OsString]) -> Result<Option<Command>> {
        let translated = apple_args::translate(args).map_err(Diagnostic::from)?;
        if let Some(needs) = translated.needs {
            self.require(needs)?;
        }
        for note in translated.notes {
            ui::note(note);
        }
        Ok(Some(self.command(translated.args)))
    }

    fn shell(&self, _command: &[OsString]) -> Result<ExitStatus> {
        Err(Diagnostic::new(
            "Apple container has no shared VM to open a shell in (each container is its own VM)",
        )
        .help("open a shell in a container: `berth docker run -it IMAGE sh`")
        .into())
    }

    fn logs(&self, follow: bool) -> Result<ExitStatus> {
        let mut command = self.command(["system", "logs"]);
        if follow {
            command.arg("--follow");
        }
        process::run_foreground(command)
    }
}

fn not_started(why: &str) -> anyhow::Error {
    Diagnostic::new(format!("`container system start` finished, but {why}"))
        .help("run `container system status` and `container system logs` to see why")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_release_is_read_from_the_version_line() {
        let line = "container CLI version 1.2.1 (build: release, commit: 0190097)\n";
        assert_eq!(cli_release(line), Some(Release(1, 2, 1)));
        assert_eq!(cli_release("container CLI version 1.2"), None);
        assert_eq!(cli_release("something else"), None);
    }
}
