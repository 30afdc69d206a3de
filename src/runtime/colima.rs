//! Colima, kept inside the project: `COLIMA_HOME=<root>/.pixi/colima`, profile
//! `berth-<instance>`, and every docker context Colima writes lands in the project's
//! `DOCKER_CONFIG`, never in `~/.docker`.
//!
//! Lifecycle commands take the project's lifecycle lock and log Colima's output to
//! `.pixi/berth/logs/colima-<verb>.log`, showing its steps on one progress line.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::Result;

use super::lifecycle::{self, Line, Step, logrus_fatal, logrus_message};
use super::{Context, Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::host;
use crate::process::{self, Stream};
use crate::settings::{RuntimeKind, Source, VmType};
use crate::ui;

pub struct Colima<'a> {
    ctx: &'a Context<'a>,
}

/// The VM types `colima start --vm-type` accepts.
const VM_TYPES: &[VmType] = &[VmType::Qemu, VmType::Vz, VmType::Krunkit];

impl<'a> Colima<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Colima<'a> {
        Colima { ctx }
    }

    fn profile(&self) -> String {
        format!("berth-{}", self.ctx.settings.instance.value)
    }

    /// Colima honours `COLIMA_HOME` only when the directory exists, so berth creates it.
    fn colima_home(&self) -> PathBuf {
        self.ctx.project.layout.pixi_dir.join("colima")
    }

    fn profile_dir(&self) -> PathBuf {
        self.colima_home().join(self.profile())
    }

    fn socket(&self) -> PathBuf {
        self.profile_dir().join("docker.sock")
    }

    /// Colima's own config for the profile: present once the profile was created.
    pub fn exists(&self) -> bool {
        self.profile_dir().join("colima.yaml").is_file()
    }

    /// The Lima instance directory Colima keeps under its own `_lima` (profile `p` is
    /// instance `colima-p`).
    fn lima_instance_dir(&self) -> PathBuf {
        self.colima_home()
            .join("_lima")
            .join(format!("colima-{}", self.profile()))
    }

    /// `colima ARGS` with the project's `COLIMA_HOME` and `DOCKER_CONFIG`, and without any
    /// `LIMA_HOME` (Colima keeps its Lima instances in its own `_lima`).
    fn colima<I, S>(&self, args: I) -> Result<Command>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let layout = &self.ctx.project.layout;
        let program = process::require_program("colima", Some(&layout.envs_dir))?;
        fs_err::create_dir_all(self.colima_home())?;
        crate::private_fs::ensure_dir(&layout.docker_config)?;
        let mut command = Command::new(program);
        command
            .args(args)
            .env("COLIMA_HOME", self.colima_home())
            .env("DOCKER_CONFIG", &layout.docker_config)
            .env_remove("LIMA_HOME");
        Ok(command)
    }

    fn start_args(&self) -> Result<Vec<OsString>> {
        let settings = self.ctx.settings;
        let mut args: Vec<OsString> = vec![
            "start".into(),
            "--profile".into(),
            self.profile().into(),
            "--cpus".into(),
            settings.cpus.value.to_string().into(),
            "--memory".into(),
            settings.memory.value.gib_decimal().into(),
            "--disk".into(),
            settings.disk.value.gib_ceil().to_string().into(),
        ];
        if let Some(vm_type) = settings.vm_type.value {
            if !VM_TYPES.contains(&vm_type) {
                return Err(unsupported(&settings.vm_type.source, vm_type));
            }
            args.extend(["--vm-type".into(), vm_type.name().into()]);
        }
        if let Some(arch) = settings.arch.value {
            args.extend(["--arch".into(), arch.name().into()]);
        }
        // Any `--mount` replaces Colima's default `$HOME` mount: the project root, writable
        // (`dir:w` mounts at the same path), then the user's own mounts.
        let mut root_mount = self.ctx.project.root.clone().into_os_string();
        root_mount.push(":w");
        args.extend(["--mount".into(), root_mount]);
        for mount in &settings.mounts.value {
            let mut spec = host::expand_home(&mount.location).into_os_string();
            if mount.writable {
                spec.push(":w");
            }
            args.extend(["--mount".into(), spec]);
        }
        // Never make Colima's context the user's current one, never edit ~/.ssh/config.
        args.extend(["--activate=false".into(), "--ssh-config=false".into()]);
        Ok(args)
    }

    fn not_running(&self) -> anyhow::Error {
        let message = if self.exists() {
            format!("colima profile {} is stopped", self.profile())
        } else {
            format!("colima profile {} does not exist", self.profile())
        };
        Diagnostic::new(message)
            .help("run `berth container init`")
            .into()
    }

    /// Run one `colima` lifecycle command with its output in `colima-<verb>.log`.
    fn run_logged(&self, args: Vec<OsString>, first: Step, progress: &ui::Progress) -> Result<()> {
        let what = format!("colima {}", args[0].to_string_lossy());
        let logs_dir = &self.ctx.project.layout.logs_dir;
        let command = self.colima(args)?;
        lifecycle::run_step(command, &what, logs_dir, progress, first, classify)
    }

    fn report(&self, state: State, reason: Option<String>) -> Status {
        Status {
            docker_host: (state == State::Running)
                .then(|| format!("unix://{}", self.socket().display())),
            reason,
            ..Status::new(RuntimeKind::Colima, self.profile(), state)
        }
        .with_resources(super::lima::configured_resources(&self.lima_instance_dir()))
    }
}

impl Runtime for Colima<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Colima
    }

    fn status(&self) -> Result<Status> {
        if docker_api::ping(&self.socket()) {
            return Ok(self.report(State::Running, None));
        }
        let profile = self.profile();
        if !self.colima_home().is_dir() {
            // Nothing was ever created here; asking colima would first need COLIMA_HOME.
            process::require_program("colima", Some(&self.ctx.project.layout.envs_dir))?;
            return Ok(self.report(State::Absent, None));
        }
        let answer = process::capture(self.colima(["status", "--profile", &profile, "--json"])?)?;
        if answer.status == ExitStatus::Success {
            let reason = format!(
                "colima reports the profile running, but {} does not answer",
                self.socket().display()
            );
            return Ok(self.report(State::Broken, Some(reason)));
        }
        if !answer.stderr.contains("not running") {
            return Err(Diagnostic::new(format!(
                "`colima status --profile {profile}` failed: {}",
                answer.stderr.trim()
            ))
            .help(format!(
                "stop it with `colima stop --force {profile}`, then run `berth container init`"
            ))
            .into());
        }
        Ok(if self.exists() {
            self.report(State::Stopped, None)
        } else {
            self.report(State::Absent, None)
        })
    }

    fn init(&self) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        let socket = self.socket();
        if docker_api::ping(&socket) {
            ui::status(&format!(
                "colima profile {} is running; nothing to do",
                self.profile()
            ));
            return Ok(());
        }
        let (verb, first) = if self.exists() {
            ("Starting", Step::Booting)
        } else {
            ("Creating", Step::Creating)
        };
        ui::step(verb, &format!("colima profile {}", self.profile()));
        let args = self.start_args()?;
        let timeout = self.ctx.settings.start_timeout.value;
        lifecycle::with_progress(|progress| {
            self.run_logged(args, first, progress)?;
            lifecycle::wait_for_docker(&socket, timeout, "berth container logs", progress)
        })?;
        ui::status(&format!(
            "colima profile {} is running at unix://{}",
            self.profile(),
            socket.display()
        ));
        Ok(())
    }

    fn start(&self) -> Result<()> {
        self.init()
    }

    fn stop(&self, force: bool) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        let profile = self.profile();
        match self.status()?.state {
            State::Absent => {
                ui::status(&format!(
                    "colima profile {profile} does not exist; nothing to stop"
                ));
                return Ok(());
            }
            State::Stopped => {
                ui::status(&format!("colima profile {profile} is already stopped"));
                return Ok(());
            }
            State::Running | State::Broken => {}
        }
        ui::step("Stopping", &format!("colima profile {profile}"));
        let mut args: Vec<OsString> = vec!["stop".into(), "--profile".into(), profile.into()];
        if force {
            args.push("--force".into());
        }
        lifecycle::with_progress(|progress| self.run_logged(args, Step::Stopping, progress))
    }

    fn delete(&self, force: bool) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        let profile = self.profile();
        let what = format!("colima profile {profile}");
        if !lifecycle::may_delete(&what, self.status()?.state, force)? {
            return Ok(());
        }
        ui::step("Deleting", &format!("colima profile {profile}"));
        // `-f` only skips Colima's own prompt; berth asked already (or was told --force).
        let args = ["delete", "--profile", &profile, "--force"];
        let args = args.iter().map(OsString::from).collect();
        lifecycle::with_progress(|progress| self.run_logged(args, Step::Deleting, progress))
    }

    fn docker_host(&self) -> Result<String> {
        let socket = self.socket();
        if docker_api::ping(&socket) {
            Ok(format!("unix://{}", socket.display()))
        } else {
            Err(self.not_running())
        }
    }

    fn shell(&self, command: &[OsString]) -> Result<ExitStatus> {
        let profile = self.profile();
        let mut ssh = self.colima(["ssh", "--profile", &profile])?;
        if !command.is_empty() {
            ssh.arg("--").args(command);
        }
        process::exec_replace(ssh)
    }

    fn logs(&self, follow: bool) -> Result<ExitStatus> {
        let log = self.lima_instance_dir().join("ha.stderr.log");
        if !log.is_file() {
            return Err(Diagnostic::new(format!(
                "colima profile {} has no log yet (no {})",
                self.profile(),
                log.display()
            ))
            .help("create it with `berth container init`")
            .into());
        }
        if follow {
            let mut tail = Command::new(process::require_program("tail", None)?);
            tail.args(["-n", "+1", "-f"]).arg(&log);
            return process::exec_replace(tail);
        }
        let text = fs_err::read_to_string(&log)?;
        ui::out(text.trim_end_matches('\n'))?;
        Ok(ExitStatus::Success)
    }
}

/// What a line of `colima` output says. Colima logs through logrus on stderr: `starting
/// colima`, `creating and starting ...` (the VM), `provisioning ...` and `starting ...` (the
/// container runtime), `stopping ...`, `deleting ...`, and a fatal line when it fails.
fn classify(stream: Stream, line: &str) -> Line {
    if stream != Stream::Stderr {
        return Line::Other;
    }
    if let Some(message) = logrus_fatal(line) {
        return Line::Fatal(message);
    }
    let msg = logrus_message(line);
    let runtime_context = line.contains("context=docker");
    let step = if msg.contains("downloading") {
        Step::Downloading
    } else if msg.starts_with("provisioning") || (msg.starts_with("starting") && runtime_context) {
        Step::WaitingForDocker
    } else if msg.starts_with("creating and starting") || msg.starts_with("starting") {
        Step::Booting
    } else if msg.starts_with("stopping") {
        Step::Stopping
    } else if msg.starts_with("deleting") {
        Step::Deleting
    } else {
        return Line::Other;
    };
    Line::Step(step)
}

fn unsupported(source: &Source, vm_type: VmType) -> anyhow::Error {
    let names: Vec<&str> = VM_TYPES.iter().map(|v| v.name()).collect();
    let mut diagnostic = Diagnostic::new(format!("colima has no vm-type `{vm_type}`"))
        .help(format!("use one of {} with colima", names.join(", ")));
    match source {
        Source::Manifest(location) => diagnostic = diagnostic.at_opt(location.clone()),
        other => diagnostic = diagnostic.help(format!("it came from {other}")),
    }
    diagnostic.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colima_lines_map_to_steps() {
        let cases = [
            (
                Stream::Stderr,
                "INFO[0000] starting colima",
                Line::Step(Step::Booting),
            ),
            (
                Stream::Stderr,
                r#"time="t" level=info msg="creating and starting ..." context=vm"#,
                Line::Step(Step::Booting),
            ),
            (
                Stream::Stderr,
                r#"time="t" level=info msg="starting ..." context=docker"#,
                Line::Step(Step::WaitingForDocker),
            ),
            (
                Stream::Stderr,
                "INFO[0030] provisioning ...",
                Line::Step(Step::WaitingForDocker),
            ),
            (
                Stream::Stderr,
                "FATA[0031] error starting vm: exit status 1",
                Line::Fatal("error starting vm: exit status 1".into()),
            ),
            (Stream::Stderr, "INFO[0000] runtime: docker", Line::Other),
            (Stream::Stdout, "starting", Line::Other),
        ];
        for (stream, line, expected) in cases {
            assert_eq!(classify(stream, line), expected, "{line}");
        }
    }
}
