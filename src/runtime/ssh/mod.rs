//! `runtime = "ssh://[user@]host[:port]"`: the Docker engine of another machine, at local
//! socket speed. Docker's own `ssh://` transport starts an ssh process for every docker call;
//! berth instead does what Lima's host agent does for a VM: `container init`/`start` starts one
//! background ssh connection (the master of a shared connection) that forwards the remote
//! engine's socket to a local socket, and `DOCKER_HOST` points there. `status` reads the
//! master's pid and pings the socket; `stop` ends the master.
//!
//! The remote socket is the one the docker CLI on the remote host uses (`docker context
//! inspect`), so its `DOCKER_HOST` or current context decides, as for `ssh host docker …`.

mod command;
mod config_check;
mod failure;
mod forward;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::Result;

use self::command::SshCommands;
use self::forward::Found;
pub use self::forward::{ForwardDir, Record};
use super::{Context, Runtime, State, Status, lifecycle};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::process::{self, signals};
use crate::settings::{Endpoint, RuntimeKind, SshDestination};
use crate::{docker_api, private_fs, ui};

/// Asked on the remote host: the engine endpoint its docker CLI would use.
const ENDPOINT_QUERY: &str = "docker context inspect --format '{{.Endpoints.docker.Host}}'";

/// How long setting up the forward may take in all; ssh's connect timeout is within it.
const SETUP_LIMIT: Duration = Duration::from_secs(30);

pub struct Ssh<'a> {
    ctx: &'a Context<'a>,
    destination: SshDestination,
}

impl<'a> Ssh<'a> {
    pub fn new(ctx: &'a Context<'a>, destination: SshDestination) -> Ssh<'a> {
        Ssh { ctx, destination }
    }

    /// The endpoint as the setting writes it: `ssh://user@host:port`.
    fn endpoint(&self) -> String {
        Endpoint::Ssh(self.destination.clone()).to_string()
    }

    /// The host as messages name it: `user@host:port`.
    fn host(&self) -> String {
        self.destination.display_host()
    }

    fn forward_dir(&self) -> Result<ForwardDir> {
        ForwardDir::of_project(&self.ctx.project.layout)
    }

    fn log_path(&self) -> PathBuf {
        self.ctx.project.layout.logs_dir.join("ssh-forward.log")
    }

    /// The project's ssh config, checked before any ssh reads it.
    fn ssh_config(&self) -> Result<Option<PathBuf>> {
        let setting = &self.ctx.settings.ssh_config;
        let Some(relative) = &setting.value else {
            return Ok(None);
        };
        let path = self.ctx.project.root.join(relative);
        config_check::check(&path).map_err(|err| match err.downcast::<Diagnostic>() {
            Ok(diagnostic) => diagnostic
                .help(format!("`ssh-config` is set by {}", setting.source))
                .into(),
            Err(err) => err,
        })?;
        Ok(Some(path))
    }

    fn commands(&self, dir: &ForwardDir) -> Result<SshCommands> {
        SshCommands::new(
            self.destination.clone(),
            self.ssh_config()?,
            &dir.control(),
            &self.ctx.project.layout.envs_dir,
        )
    }

    fn docker_host_of(dir: &ForwardDir) -> String {
        format!("unix://{}", dir.socket().display())
    }

    /// Why the forward cannot serve, as the error `docker_host` gives and `status` reports.
    fn not_serving(&self, found: &Found) -> Option<(State, Diagnostic)> {
        let host = self.host();
        let start = "run `berth container start` (or set `auto-start = true` in [tool.berth])";
        let (state, diagnostic) = match found {
            Found::Running(_) => return None,
            Found::Nothing => (
                State::Stopped,
                Diagnostic::new(format!("the ssh forward to {host} is not running")),
            ),
            Found::Gone(record) => (
                State::Stopped,
                Diagnostic::new(format!(
                    "the ssh forward to {host} (pid {}) has ended",
                    record.pid
                )),
            ),
            Found::OtherEndpoint(record) => (
                State::Broken,
                Diagnostic::new(format!(
                    "the running ssh forward goes to {}, not to {}",
                    record.endpoint,
                    self.endpoint()
                )),
            ),
            Found::Unfinished(record) => (
                State::Broken,
                Diagnostic::new(format!(
                    "the ssh connection to {host} (pid {}) runs, but its forward was never set up",
                    record.pid
                )),
            ),
            Found::NotAnswering(record) => {
                let remote = record
                    .remote_socket
                    .as_deref()
                    .unwrap_or(Path::new("?"))
                    .display()
                    .to_string();
                return Some((State::Broken, failure::engine_not_running(&host, &remote)));
            }
        };
        Some((state, diagnostic.help(start)))
    }

    /// Start the forward unless it runs: the steps of `init` and `start`.
    fn bring_up(&self, progress: &ui::Progress) -> Result<()> {
        let dir = self.forward_dir()?;
        let commands = self.commands(&dir)?;
        dir.prepare(&self.ctx.project.root)?;
        match dir.find(&self.endpoint())? {
            Found::Running(record) => {
                ui::status(&format!(
                    "the ssh forward to {} runs (pid {}); nothing to do",
                    self.host(),
                    record.pid
                ));
                return Ok(());
            }
            found => {
                if let Some(pid) = dir.stop(found.record())? {
                    ui::note(&format!("stopped the earlier ssh forward (pid {pid})"));
                }
            }
        }
        private_fs::ensure_dir(&self.ctx.project.layout.logs_dir)?;
        let log = private_fs::create_file(&self.log_path())?;
        progress.step(&format!("connecting to {}", self.host()));
        let master = process::spawn_detached(commands.master(), log)?;
        let mut setup = Setup {
            dir: &dir,
            master: Some(master),
        };
        let pid = setup.pid();
        dir.write_record(&Record {
            pid,
            endpoint: self.endpoint(),
            remote_socket: None,
        })?;
        let deadline = Instant::now() + SETUP_LIMIT;
        self.wait_for_master(&mut setup, &commands, deadline)?;

        progress.step(&format!("asking {} for its Docker engine", self.host()));
        let remote = self.remote_socket(&commands, deadline)?;

        progress.step(&format!("forwarding {}", remote.display()));
        let local = dir.socket();
        let forwarded = self.within(&commands, commands.forward(&local, &remote)?, deadline)?;
        if forwarded.status.code() != 0 {
            return Err(Diagnostic::new(format!(
                "ssh could not forward {} from {}: {}",
                remote.display(),
                self.host(),
                forwarded.stderr.trim()
            ))
            .help(format!(
                "its full output is in {}",
                ui::display_path(&self.log_path())
            ))
            .into());
        }
        if !private_fs::owned_socket(&local)? || !docker_api::ping(&local) {
            return Err(
                failure::engine_not_running(&self.host(), &remote.display().to_string()).into(),
            );
        }
        dir.write_record(&Record {
            pid,
            endpoint: self.endpoint(),
            remote_socket: Some(remote.clone()),
        })?;
        setup.keep();
        ui::status(&format!(
            "forwarding the Docker engine of {} ({}) to {} (ssh pid {pid})",
            self.host(),
            remote.display(),
            ui::display_path(&local)
        ));
        Ok(())
    }

    /// Wait until the master is connected (its control socket is there), or say why it
    /// ended.
    fn wait_for_master(
        &self,
        setup: &mut Setup<'_>,
        commands: &SshCommands,
        deadline: Instant,
    ) -> Result<()> {
        let control = setup.dir.control();
        loop {
            if let Some(status) = setup.exited()? {
                let said = fs_err::read_to_string(self.log_path()).unwrap_or_default();
                ui::debug(&format!("ssh exited with {status:?}: {said}"));
                return Err(
                    failure::connection(&self.host(), &said, &commands.by_hand("true")).into(),
                );
            }
            if private_fs::owned_socket(&control)? {
                return Ok(());
            }
            if signals::interrupted() {
                return Err(signals::interruption().into());
            }
            if Instant::now() >= deadline {
                return Err(Diagnostic::new(format!(
                    "ssh to {} did not connect within {} s",
                    self.host(),
                    SETUP_LIMIT.as_secs()
                ))
                .help(format!("try it by hand: `{}`", commands.by_hand("true")))
                .into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `command` (one of `commands`), captured, ended when `deadline` passes or berth is
    /// interrupted.
    fn within(
        &self,
        commands: &SshCommands,
        command: std::process::Command,
        deadline: Instant,
    ) -> Result<process::Captured> {
        let left = deadline.saturating_duration_since(Instant::now());
        match process::capture_within(command, left)? {
            Some(captured) => Ok(captured),
            None if signals::interrupted() => Err(signals::interruption().into()),
            None => Err(Diagnostic::new(format!(
                "{} did not answer over ssh within {} s",
                self.host(),
                SETUP_LIMIT.as_secs()
            ))
            .help(format!(
                "try it by hand: `{}`",
                commands.by_hand("docker version")
            ))
            .into()),
        }
    }

    /// The remote engine's socket, as the docker CLI there names it.
    fn remote_socket(&self, commands: &SshCommands, deadline: Instant) -> Result<PathBuf> {
        let asked = self.within(commands, commands.remote(ENDPOINT_QUERY), deadline)?;
        if asked.status.code() != 0 {
            return Err(
                failure::remote_docker(&self.host(), asked.status.code(), &asked.stderr).into(),
            );
        }
        // The last line: a remote shell's start-up files may print before it.
        let endpoint = asked
            .stdout
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("");
        match docker_api::unix_socket(endpoint) {
            Some(socket) if socket.is_absolute() => {
                command::ssh_path(socket)?;
                Ok(socket.to_path_buf())
            }
            _ => Err(failure::not_a_socket(&self.host(), endpoint).into()),
        }
    }
}

/// A master being set up: ended, with its files, unless the setup succeeds, so an error, a
/// timeout or Ctrl-C leaves no ssh process behind.
struct Setup<'a> {
    dir: &'a ForwardDir,
    master: Option<Child>,
}

impl Setup<'_> {
    fn pid(&self) -> u32 {
        self.master.as_ref().map_or(0, Child::id)
    }

    /// The master's exit status, once it has exited.
    fn exited(&mut self) -> Result<Option<std::process::ExitStatus>> {
        match &mut self.master {
            Some(master) => Ok(master.try_wait()?),
            None => Ok(None),
        }
    }

    /// The setup succeeded: the master outlives berth.
    fn keep(&mut self) {
        self.master = None;
    }
}

impl Drop for Setup<'_> {
    fn drop(&mut self) {
        if let Some(mut master) = self.master.take() {
            let _ = master.kill();
            let _ = master.wait();
            let _ = self.dir.remove_leftovers();
        }
    }
}

impl Runtime for Ssh<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Ssh
    }

    fn status(&self) -> Result<Status> {
        let dir = self.forward_dir()?;
        let found = dir.find(&self.endpoint())?;
        let status = Status::new(RuntimeKind::Ssh, self.endpoint(), State::Running);
        Ok(match self.not_serving(&found) {
            None => Status {
                docker_host: Some(Self::docker_host_of(&dir)),
                ..status
            },
            Some((state, why)) => Status {
                state,
                reason: Some(why.message),
                ..status
            },
        })
    }

    fn init(&self) -> Result<()> {
        self.start()
    }

    fn start(&self) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        lifecycle::with_progress(|progress| self.bring_up(progress))
    }

    fn stop(&self, _force: bool) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        let dir = self.forward_dir()?;
        let stopped = match private_fs::owned_dir(&dir.dir)? {
            true => dir.stop(dir.record().as_ref())?,
            false => None,
        };
        match stopped {
            Some(pid) => ui::status(&format!(
                "stopped the ssh forward to {} (pid {pid})",
                self.host()
            )),
            None => ui::status(&format!(
                "no ssh forward to {} runs; nothing to stop",
                self.host()
            )),
        }
        Ok(())
    }

    fn delete(&self, force: bool) -> Result<()> {
        self.stop(force)?;
        let dir = self.forward_dir()?;
        if private_fs::owned_dir(&dir.dir)? {
            fs_err::remove_dir_all(&dir.dir)?;
        }
        Ok(())
    }

    fn docker_host(&self) -> Result<String> {
        let dir = self.forward_dir()?;
        let found = dir.find(&self.endpoint())?;
        match self.not_serving(&found) {
            None => Ok(Self::docker_host_of(&dir)),
            Some((_, why)) => Err(why.into()),
        }
    }

    fn shell(&self, command: &[OsString]) -> Result<ExitStatus> {
        let dir = self.forward_dir()?;
        process::exec_replace(self.commands(&dir)?.shell(command))
    }

    fn logs(&self, follow: bool) -> Result<ExitStatus> {
        let log = self.log_path();
        if !log.is_file() {
            ui::status("the ssh forward has no log yet (it appears when it first starts)");
            return Ok(ExitStatus::Success);
        }
        lifecycle::print_logs(&[log], follow, |_, line| line.to_string())?;
        Ok(ExitStatus::Success)
    }
}
