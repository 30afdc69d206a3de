//! The project's Lima VM: `LIMA_HOME=<root>/.pixi/lima`, one instance created from
//! `template:docker`, Docker reached at `<instance dir>/sock/docker.sock` (lima.md).
//!
//! Lifecycle commands take the project's lock, read the instance's state from its files
//! (no child process when nothing needs doing), and recover from interrupted or crashed
//! states on their own.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::{Context, Resources, Runtime, SocketBudget, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::du::disk_usage;
use crate::exit::{ExitStatus, Interrupted};
use crate::process::{self, Streamed, signals};
use crate::settings::RuntimeKind;
use crate::ui;
use crate::units::human_bytes;

pub mod home;
mod inspect;
pub mod limactl;
mod logs;
pub mod name;
mod progress;

use super::lifecycle::{self, Step};
use home::LimaHome;
pub use home::{SHORT_PATH_RECORD, ShortHomes};
use inspect::Phase;
pub(crate) use inspect::top_level_scalar;
pub use inspect::{InstanceDir, Processes};
use limactl::Limactl;
pub use limactl::Version;

pub struct Lima<'a> {
    ctx: &'a Context<'a>,
}

impl<'a> Lima<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Lima<'a> {
        Lima { ctx }
    }

    /// Whether the project's instance directory has a `lima.yaml`.
    pub fn instance_exists(&self) -> bool {
        self.instance(&self.home()).lima_yaml().is_file()
    }

    fn name(&self) -> &str {
        &self.ctx.settings.instance.value
    }

    fn home(&self) -> LimaHome {
        LimaHome::locate(&self.ctx.project.layout)
    }

    fn instance(&self, home: &LimaHome) -> InstanceDir {
        InstanceDir::new(home.instance_dir(self.name()))
    }

    fn docker_host_of(instance: &InstanceDir) -> String {
        format!("unix://{}", instance.docker_socket().display())
    }

    fn limactl(&self, home: &LimaHome) -> Result<Limactl> {
        Limactl::find(&self.ctx.project.layout, &home.path)
    }

    /// Under the lock, before reading the instance's state: stop a `limactl` command an
    /// earlier berth left running when it was killed outright (SIGKILL), so two commands
    /// never act on the instance at once. Returns whether there was one.
    fn stop_leftover_command(&self, home: &LimaHome) -> bool {
        let Ok(limactl) = self.limactl(home) else {
            return false;
        };
        let Some(pid) = limactl.stop_leftover() else {
            return false;
        };
        ui::note(&format!(
            "stopped `limactl` (pid {pid}), left running by an earlier berth that was killed"
        ));
        true
    }

    /// Remove the pid and socket files no live process of the instance owns, without
    /// signalling anything: a pid in them may belong to an unrelated process by now.
    fn remove_stale(stale: &[PathBuf], foreign: Option<&String>) -> Result<()> {
        if let Some(reason) = foreign {
            ui::note(&format!("removing a stale pid file: {reason}"));
        }
        for file in stale {
            ui::debug(&format!("removing stale `{}`", file.display()));
            match fs_err::remove_file(file) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
                _ => {}
            }
        }
        Ok(())
    }

    fn version_cache(&self) -> PathBuf {
        self.ctx.project.layout.berth_dir.join("lima-version")
    }

    /// The installed Lima's version, remembered for `status` (which spawns nothing).
    fn checked_version(&self, limactl: &Limactl) -> Result<Version> {
        let version = limactl.version()?;
        crate::private_fs::write_atomic(&self.version_cache(), format!("{version}\n").as_bytes())?;
        Ok(version)
    }

    fn lock(&self) -> Result<File> {
        lifecycle::lock(&self.ctx.project.layout)
    }

    /// `init` (`allow_create`) and `start`: end with Docker answering on the instance's socket.
    fn bring_up(&self, allow_create: bool) -> Result<()> {
        let _lock = self.lock()?;
        let home = self.home();
        let cut_short = self.stop_leftover_command(&home);
        let mut phase = self.instance(&home).phase();
        if cut_short && matches!(phase, Phase::Running { .. }) {
            // Its boot never finished (provisioning may be half-done): boot it again.
            phase = Phase::Broken {
                reason: "the `limactl` booting it was stopped before it finished".into(),
            };
        }
        match phase {
            Phase::Running { .. } => {
                self.report_ready(&self.instance(&home), None);
                return Ok(());
            }
            Phase::Absent | Phase::HalfCreated if !allow_create => {
                return Err(Diagnostic::new(format!(
                    "this project has no Lima instance `{}` to start",
                    self.name()
                ))
                .help("create and start it with `berth container init`")
                .into());
            }
            _ => {}
        }
        let limactl = self.limactl(&home)?;
        let version = self.checked_version(&limactl)?;
        // Everything `create` needs is checked before anything is made for it.
        let create = match phase {
            Phase::Absent | Phase::HalfCreated => Some(limactl::create_args(
                self.ctx.settings,
                &self.ctx.project.root,
                version,
            )?),
            _ => None,
        };
        let home = match create {
            Some(_) => LimaHome::prepare(&self.ctx.project.layout, self.name())?,
            None => home,
        };
        home.mark_project(&self.ctx.project.root)?;
        let instance = self.instance(&home);
        let interrupts = signals::CatchInterrupts::new();
        let progress = ui::Progress::start();
        let booted = self.boot(&limactl, create, &instance, phase, &progress);
        let elapsed = progress.elapsed();
        progress.finish();
        if let Err(err) = booted {
            if err.is::<Interrupted>() {
                self.stop_after_interrupt(&limactl, &instance);
                return Err(err);
            }
            return Err(self.stop_after_failure(&limactl, &instance, err));
        }
        drop(interrupts);
        self.report_ready(&instance, Some(elapsed));
        Ok(())
    }

    /// Bring the instance from `phase` to running: `create` holds the arguments of
    /// `limactl create` when there is no instance yet.
    fn boot(
        &self,
        limactl: &Limactl,
        create: Option<Vec<String>>,
        instance: &InstanceDir,
        phase: Phase,
        progress: &ui::Progress,
    ) -> Result<()> {
        let name = self.name().to_string();
        match phase {
            Phase::Running { .. } => return Ok(()),
            Phase::Absent => {}
            Phase::HalfCreated => {
                ui::note(&format!(
                    "removing `{}`: an earlier create stopped before Lima wrote its lima.yaml",
                    ui::display_path(&instance.dir)
                ));
                fs_err::remove_dir_all(&instance.dir)?;
            }
            Phase::Stopped { stale, foreign } => {
                Self::remove_stale(&stale, foreign.as_ref())?;
            }
            Phase::Broken { reason } => {
                ui::note(&format!(
                    "instance `{name}` is broken ({reason}); restarting it"
                ));
                self.run(limactl, &limactl::forced_stop(instance, &name)?, progress)?;
            }
        }
        if let Some(args) = create {
            self.run(limactl, &args, progress)?;
        }
        let timeout = self.ctx.settings.start_timeout.value;
        let deadline = Instant::now() + timeout;
        let timeout_arg = format!("--timeout={}s", timeout.as_secs());
        self.run(
            limactl,
            &["start", "--tty=false", &timeout_arg, &name],
            progress,
        )?;
        self.wait_for_docker(instance, progress, deadline)
    }

    /// One `limactl` lifecycle command with progress and a log; an interruption is an error.
    fn run<S: AsRef<str>>(
        &self,
        limactl: &Limactl,
        args: &[S],
        progress: &ui::Progress,
    ) -> Result<()> {
        let args: Vec<String> = args.iter().map(|a| a.as_ref().to_string()).collect();
        progress.step(limactl::first_step(&args).describe());
        match limactl.run_logged(&args, &self.ctx.project.layout.logs_dir, progress)? {
            Streamed::Interrupted => Err(signals::interruption().into()),
            Streamed::Exited(_) => Ok(()),
        }
    }

    /// Lima reports READY once its Docker probe passed; the forward may still be settling.
    fn wait_for_docker(
        &self,
        instance: &InstanceDir,
        progress: &ui::Progress,
        deadline: Instant,
    ) -> Result<()> {
        progress.step(Step::WaitingForDocker.describe());
        let socket = instance.docker_socket();
        loop {
            if docker_api::ping(&socket) {
                return Ok(());
            }
            if signals::interrupted() {
                return Err(signals::interruption().into());
            }
            if Instant::now() >= deadline {
                return Err(Diagnostic::new(format!(
                    "Docker did not answer at `{}` within the start timeout",
                    socket.display()
                ))
                .help("read the VM's logs with `berth container logs`")
                .help("raise `start-timeout` in [tool.berth], or run `berth container init` again to retry")
                .into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// After Ctrl-C: leave the instance stopped (not half-booted), so the next `init`
    /// starts from a known state.
    fn stop_after_interrupt(&self, limactl: &Limactl, instance: &InstanceDir) {
        if matches!(
            instance.phase(),
            Phase::Absent | Phase::HalfCreated | Phase::Stopped { .. }
        ) {
            ui::warn("interrupted; run `berth container init` again to continue");
            return;
        }
        match self.stop_forcibly_quietly(limactl, instance) {
            Ok(()) => ui::warn(&format!(
                "interrupted; stopped instance `{}`. Run `berth container init` again to continue",
                self.name()
            )),
            Err(_) => ui::warn(&format!(
                "interrupted; `limactl stop -f {}` failed too. `berth container init` recovers it",
                self.name()
            )),
        }
    }

    /// After a failed boot: a VM Lima left half-started (a start timeout, DEGRADED, a wait
    /// for Docker that ran out) is stopped, so a failed `init` leaves nothing running, and
    /// the error points at the host agent's log, which the stop keeps.
    fn stop_after_failure(
        &self,
        limactl: &Limactl,
        instance: &InstanceDir,
        err: anyhow::Error,
    ) -> anyhow::Error {
        let agent_log = instance.dir.join("ha.stderr.log");
        let mut help = Vec::new();
        if !matches!(
            instance.phase(),
            Phase::Absent | Phase::HalfCreated | Phase::Stopped { .. }
        ) {
            help.push(match self.stop_forcibly_quietly(limactl, instance) {
                Ok(()) => format!(
                    "berth stopped the half-started instance `{}`; `berth container init` \
                     starts it again",
                    self.name()
                ),
                Err(_) => format!(
                    "`limactl stop -f {}` failed too; `berth container init` recovers it",
                    self.name()
                ),
            });
        }
        if agent_log.is_file() {
            help.push(format!(
                "the host agent's log is {} (`berth container logs` shows it)",
                ui::display_path(&agent_log)
            ));
        }
        match err.downcast::<Diagnostic>() {
            Ok(mut diagnostic) => {
                diagnostic.help.extend(help);
                diagnostic.into()
            }
            Err(err) => help
                .into_iter()
                .fold(Diagnostic::new(format!("{err:#}")), Diagnostic::help)
                .into(),
        }
    }

    /// `limactl stop -f`, after a failure or an interruption: no progress, no log.
    fn stop_forcibly_quietly(&self, limactl: &Limactl, instance: &InstanceDir) -> Result<()> {
        let args = limactl::forced_stop(instance, self.name())?;
        let stopped = process::capture(limactl.command(&args))?;
        if stopped.status.code() != 0 {
            anyhow::bail!("`limactl stop -f` failed: {}", stopped.stderr.trim());
        }
        Ok(())
    }

    fn report_ready(&self, instance: &InstanceDir, took: Option<Duration>) {
        match took {
            Some(took) => ui::status(&format!(
                "Lima instance `{}` is running (ready in {})",
                self.name(),
                ui::format_elapsed(took)
            )),
            None => ui::status(&format!(
                "Lima instance `{}` is already running",
                self.name()
            )),
        }
        // The result of `init`: `eval "export $(berth container init)"` works.
        let _ = ui::out(&format!("DOCKER_HOST={}", Self::docker_host_of(instance)));
    }
}

impl Runtime for Lima<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Lima
    }

    /// The longest Unix socket path Lima would make for this instance (lima.md §6), where
    /// `init` would put it: in a short directory when `.pixi/lima` is too deep.
    fn socket_budget(&self) -> Option<SocketBudget> {
        let home = self.home();
        let real = home.planned(&self.ctx.project.layout, self.name());
        Some(home::socket_budget(&real, self.name()))
    }

    fn status(&self) -> Result<Status> {
        let home = self.home();
        let instance = self.instance(&home);
        let (state, reason) = match instance.phase() {
            Phase::Absent => (State::Absent, None),
            Phase::Stopped {
                foreign: Some(reason),
                ..
            } => (State::Broken, Some(reason)),
            Phase::Stopped { .. } => (State::Stopped, None),
            Phase::Running { .. } => (State::Running, None),
            Phase::HalfCreated => (
                State::Broken,
                Some(format!(
                    "`{}` has no lima.yaml (an interrupted create); `berth container init` recreates it",
                    instance.dir.display()
                )),
            ),
            Phase::Broken { reason } => (State::Broken, Some(reason)),
        };
        let lima_version = fs_err::read_to_string(self.version_cache())
            .ok()
            .map(|v| v.trim().to_string())
            .or_else(|| instance.created_by());
        Ok(Status {
            docker_host: Some(Self::docker_host_of(&instance)),
            lima_home: Some(home.path.clone()),
            lima_version,
            reason,
            ..Status::new(RuntimeKind::Lima, self.name(), state)
        }
        .with_resources(configured_resources(&instance.dir)))
    }

    fn init(&self) -> Result<()> {
        self.bring_up(true)
    }

    fn start(&self) -> Result<()> {
        self.bring_up(false)
    }

    fn stop(&self, force: bool) -> Result<()> {
        let _lock = self.lock()?;
        let home = self.home();
        let name = self.name().to_string();
        self.stop_leftover_command(&home);
        let instance = self.instance(&home);
        let args: Vec<String> = match instance.phase() {
            Phase::Absent | Phase::HalfCreated => {
                ui::status(&format!(
                    "this project has no Lima instance `{name}`; nothing to stop"
                ));
                return Ok(());
            }
            Phase::Stopped { stale, foreign } => {
                Self::remove_stale(&stale, foreign.as_ref())?;
                ui::status(&format!("Lima instance `{name}` is already stopped"));
                return Ok(());
            }
            Phase::Running { .. } if !force => vec!["stop".into(), name.clone()],
            Phase::Running { .. } => limactl::forced_stop(&instance, &name)?,
            Phase::Broken { reason } => {
                ui::note(&format!(
                    "instance `{name}` is broken ({reason}); stopping it forcibly"
                ));
                limactl::forced_stop(&instance, &name)?
            }
        };
        let limactl = self.limactl(&home)?;
        let _interrupts = signals::CatchInterrupts::new();
        let progress = ui::Progress::start();
        self.run(&limactl, &args, &progress)?;
        progress.finish();
        ui::status(&format!("stopped Lima instance `{name}`"));
        Ok(())
    }

    fn delete(&self, force: bool) -> Result<()> {
        let _lock = self.lock()?;
        let layout = &self.ctx.project.layout;
        let home = self.home();
        let instance = self.instance(&home);
        let name = self.name().to_string();
        self.stop_leftover_command(&home);
        let phase = instance.phase();
        if let Phase::Stopped { stale, foreign } = &phase {
            // `limactl delete` refuses an instance whose pid file names a live process.
            Self::remove_stale(stale, foreign.as_ref())?;
        }
        let running = matches!(phase, Phase::Running { .. } | Phase::Broken { .. });
        if running && !force {
            return Err(
                Diagnostic::new(format!("Lima instance `{name}` is running"))
                    .help("stop it first with `berth container stop`")
                    .help("or stop and delete it in one go with `berth container delete --force`")
                    .into(),
            );
        }
        let freed = disk_usage(&instance.dir, &[]);
        match phase {
            Phase::Absent => {
                ui::status(&format!(
                    "this project has no Lima instance `{name}`; nothing to delete"
                ));
            }
            Phase::HalfCreated => fs_err::remove_dir_all(&instance.dir)?,
            _ => {
                let limactl = self.limactl(&home)?;
                let _interrupts = signals::CatchInterrupts::new();
                let progress = ui::Progress::start();
                // A Broken instance, or a Running one that would not stop gracefully, is
                // deleted with `-f`.
                let force = match phase {
                    Phase::Running { .. } => {
                        self.run(&limactl, &["stop", &name], &progress).is_err()
                    }
                    Phase::Broken { .. } => true,
                    _ => false,
                };
                let args = limactl::delete(&instance, &name, force)?;
                self.run(&limactl, &args, &progress)?;
                progress.finish();
            }
        }
        if phase != Phase::Absent {
            if instance.dir.exists() {
                anyhow::bail!(
                    "`{}` is still there after the delete",
                    instance.dir.display()
                );
            }
            ui::status(&format!(
                "deleted Lima instance `{name}` (freed {})",
                human_bytes(freed)
            ));
        }
        if let Some(short) = home.remove_short_target_if_unused(layout)? {
            ui::status(&format!(
                "removed `{}` and the `.pixi/lima` symlink to it",
                ui::display_path(&short)
            ));
        }
        Ok(())
    }

    fn docker_host(&self) -> Result<String> {
        let instance = self.instance(&self.home());
        match instance.phase() {
            Phase::Running { .. } => Ok(Self::docker_host_of(&instance)),
            phase => {
                let state = match phase {
                    Phase::Absent | Phase::HalfCreated => "does not exist yet".to_string(),
                    Phase::Broken { reason } => format!("is not usable: {reason}"),
                    _ => "is stopped".to_string(),
                };
                Err(
                    Diagnostic::new(format!("instance `{}` {state}", self.name()))
                        .help("run `berth container init`")
                        .into(),
                )
            }
        }
    }

    fn shell(&self, command: &[std::ffi::OsString]) -> Result<ExitStatus> {
        let home = self.home();
        self.docker_host()?;
        let mut limactl = self.limactl(&home)?.command(["shell", self.name()]);
        limactl.args(command);
        process::exec_replace(limactl)
    }

    fn logs(&self, follow: bool) -> Result<ExitStatus> {
        let instance = self.instance(&self.home());
        if !instance.dir.is_dir() {
            return Err(Diagnostic::new(format!(
                "this project has no Lima instance `{}`, so no logs",
                self.name()
            ))
            .help("create it with `berth container init`")
            .into());
        }
        logs::print(&instance.dir, follow)?;
        Ok(ExitStatus::Success)
    }
}

/// The CPUs, memory and disk in the `lima.yaml` of the instance at `dir`. Colima's VM is a
/// Lima instance too, and `colima list` reports these same values for it.
pub fn configured_resources(dir: &Path) -> Resources {
    let instance = InstanceDir::new(dir.to_path_buf());
    Resources {
        cpus: instance.config_value("cpus").and_then(|c| c.parse().ok()),
        memory: instance.config_value("memory"),
        disk: instance.config_value("disk"),
    }
}
