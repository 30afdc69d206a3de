//! Colima, kept inside the project: `COLIMA_HOME=<root>/.pixi/colima`, profile
//! `berth-<instance>`, and every docker context Colima writes lands in the project's
//! `DOCKER_CONFIG`, never in `~/.docker`. Colima's Lima state (`LIMA_HOME`) is its own
//! `.pixi/colima/_lima`, or a short directory of the project's own (`~/.berth/colima/<id>`)
//! when Lima's socket paths would be too long there.
//!
//! berth needs Colima 0.8.1 or newer: `status --json` and a fractional `--memory` arrived in
//! 0.8.1 (`cmd/status.go`, `cmd/start.go`).
//!
//! Lifecycle commands take the project's lifecycle lock and log Colima's output to
//! `.pixi/berth/logs/colima-<verb>.log`, showing its steps on one progress line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::lifecycle::{self, Line, Step, logrus_fatal, logrus_message};
use super::lima::{InstanceDir, ShortHomes, Version, home};
use super::mounts::{self, HostDir};
use super::{Context, Resources, Runtime, SocketBudget, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::host::{Arch, Os};
use crate::process::{self, Stream};
use crate::project::Layout;
use crate::settings::{Mount, RuntimeKind, Setting, Source, VmType};
use crate::ui;

pub struct Colima<'a> {
    ctx: &'a Context<'a>,
}

/// The VM types `colima start --vm-type` accepts on macOS (`config/configmanager/configmanager.go`).
const VM_TYPES: &[VmType] = &[VmType::Qemu, VmType::Vz, VmType::Krunkit];

/// The first Colima whose `delete` keeps the container data disk unless given `--data`
/// (`cmd/delete.go`, `app/app.go`, v0.9.0).
const DATA_DISK_SINCE: Version = Version(0, 9, 0);

/// The longest socket Colima forwards into the profile directory: `containerd.sock`, next to
/// `docker.sock` (`environment/vm/lima/yaml.go`, v0.9.0 to v0.10.3). Lima refuses a
/// `hostSocket` path as long as the OS limit (`pkg/limayaml/validate.go`).
const LONGEST_PROFILE_SOCKET: &str = "containerd.sock";

const SHORTER_PATH_HELP: &str =
    "move the project to a shorter path, or choose a shorter `instance` in [tool.berth]";

impl<'a> Colima<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Colima<'a> {
        Colima { ctx }
    }

    fn profile(&self) -> String {
        format!("berth-{}", self.ctx.settings.instance.value)
    }

    fn colima_home(&self) -> PathBuf {
        colima_home(&self.ctx.project.layout)
    }

    fn profile_dir(&self) -> PathBuf {
        self.colima_home().join(self.profile())
    }

    fn lima_instance(&self) -> String {
        lima_instance(&self.profile())
    }

    /// Where Colima's Lima state lives: where its instance already is, else Colima's own
    /// `.pixi/colima/_lima`, unless Lima's socket paths would be too long there; then a short
    /// directory of the project's own, as for berth's own Lima (see [`home::move_to_short`]).
    fn lima_home(&self) -> PathBuf {
        let layout = &self.ctx.project.layout;
        let instance = self.lima_instance();
        if let Some(existing) = existing_lima_home(layout, &instance) {
            return existing;
        }
        let local = local_lima_home(layout);
        let short = ShortHomes::Colima.for_project(layout);
        // Lima measures its socket paths in LIMA_HOME with symlinks resolved.
        home::move_to_short(&home::real_path(&local), true, short, &instance).unwrap_or(local)
    }

    /// Make the Lima home berth passes to Colima, refusing paths Lima would refuse.
    fn prepare_lima_home(&self) -> Result<PathBuf> {
        let lima_home = self.lima_home();
        let budget = self.socket_budget_at(&lima_home);
        if !budget.fits() {
            return Err(Diagnostic::new(format!(
                "Colima's socket paths for profile `{}` would be {} characters, over the limit \
                 of {} on {}",
                self.profile(),
                budget.length,
                budget.limit - 1,
                Os::current().name()
            ))
            .help(SHORTER_PATH_HELP)
            .into());
        }
        if lima_home == local_lima_home(&self.ctx.project.layout) {
            return Ok(lima_home);
        }
        if !lima_home.is_dir() {
            ui::note(&format!(
                "Colima's Lima state goes to `{}`: the project path is too long for Lima's \
                 socket paths; `berth system clean` removes it",
                ui::display_path(&lima_home)
            ));
        }
        crate::private_fs::ensure_dir(&lima_home)?;
        crate::runtime::project_marker::mark(&lima_home, &self.ctx.project.root)?;
        Ok(lima_home)
    }

    /// The longest socket path Colima would make with its Lima state in `lima_home`: Lima's
    /// ssh socket in the instance directory, or the sockets forwarded into the profile dir.
    fn socket_budget_at(&self, lima_home: &Path) -> SocketBudget {
        let lima = home::socket_budget(&home::real_path(lima_home), &self.lima_instance());
        let forwarded = self
            .profile_dir()
            .join(LONGEST_PROFILE_SOCKET)
            .as_os_str()
            .len();
        SocketBudget {
            owner: "Colima",
            length: lima.length.max(forwarded),
            help: SHORTER_PATH_HELP,
            ..lima
        }
    }

    /// The size the profile was configured with, from its `colima.yaml`: `cpu`, `memory` in
    /// GiB (a fraction allowed), `disk` in GiB (`config/config.go`). Lima's own YAML has the
    /// memory in MiB and, from Colima 0.9.0, the root disk rather than the data disk.
    fn configured_resources(&self) -> Resources {
        let Ok(text) = fs_err::read_to_string(self.profile_dir().join("colima.yaml")) else {
            return Resources::default();
        };
        let value = |key: &str| super::lima::top_level_scalar(&text, key);
        Resources {
            cpus: value("cpu").and_then(|c| c.parse().ok()),
            memory: value("memory").map(|gib| format!("{gib}GiB")),
            disk: value("disk").map(|gib| format!("{gib}GiB")),
        }
    }

    fn socket(&self) -> PathBuf {
        self.profile_dir().join("docker.sock")
    }

    /// Colima's own config for the profile: present once the profile was created.
    pub fn exists(&self) -> bool {
        self.profile_dir().join("colima.yaml").is_file()
    }

    /// The directory of Colima's Lima instance for the profile.
    fn lima_instance_dir(&self) -> PathBuf {
        self.lima_home().join(self.lima_instance())
    }

    /// `colima ARGS` with the project's `COLIMA_HOME`, `DOCKER_CONFIG` and the `LIMA_HOME`
    /// berth chose for Colima's Lima state (never the caller's own).
    fn colima<I, S>(&self, args: I) -> Result<Command>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let layout = &self.ctx.project.layout;
        let program = process::require_program("colima", Some(&layout.envs_dir))?;
        colima_command(&program, layout, &self.lima_home(), args)
    }

    fn start_args(&self) -> Result<Vec<OsString>> {
        let settings = self.ctx.settings;
        let mut args: Vec<OsString> = vec![
            "start".into(),
            "--profile".into(),
            self.profile().into(),
            // `-c` is `--cpu` in 0.8.1 and `--cpus` from 0.8.2 (`cmd/start.go`).
            "-c".into(),
            settings.cpus.value.to_string().into(),
            "--memory".into(),
            settings.memory.value.gib_decimal().into(),
            "--disk".into(),
            settings.disk.value.gib_ceil().to_string().into(),
        ];
        if let Some(vm_type) = settings.vm_type.value {
            args.extend(vm_type_args(vm_type, &settings.vm_type.source)?);
        }
        if let Some(arch) = settings.arch.value {
            args.extend(["--arch".into(), arch.name().into()]);
        }
        // Any `--mount` replaces Colima's default `$HOME` mount: the project root, writable
        // (`dir:w` mounts at the same path), then the user's own mounts.
        let root = &self.ctx.project.root;
        let root_mount = HostDir {
            path: root.clone(),
            written: root.display().to_string(),
            writable: true,
        };
        for mount in std::iter::once(root_mount).chain(user_mounts(root, &settings.mounts)?) {
            let mut spec = mount.path.into_os_string();
            if mount.writable {
                spec.push(":w");
            }
            args.extend(["--mount".into(), spec]);
        }
        // Never make Colima's context the user's current one, never edit ~/.ssh/config.
        args.extend(["--activate=false".into(), "--ssh-config=false".into()]);
        Ok(args)
    }

    fn delete_args(&self) -> Result<Vec<OsString>> {
        let program = process::require_program("colima", Some(&self.ctx.project.layout.envs_dir))?;
        delete_args(&program, &self.profile())
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
        .with_resources(self.configured_resources())
    }
}

impl Runtime for Colima<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Colima
    }

    fn socket_budget(&self) -> Option<SocketBudget> {
        Some(self.socket_budget_at(&self.lima_home()))
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
        let args = self.start_args()?;
        self.prepare_lima_home()?;
        let (verb, first) = if self.exists() {
            ("Starting", Step::Booting)
        } else {
            ("Creating", Step::Creating)
        };
        ui::step(verb, &format!("colima profile {}", self.profile()));
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
            // Colima's `stop --force` is `limactl stop --force` (environment/vm/lima/lima.go).
            spare_strangers(&self.lima_instance_dir())?;
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
        let args = self.delete_args()?;
        spare_strangers(&self.lima_instance_dir())?;
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

/// The project's `COLIMA_HOME`. Colima honours it only when the directory exists, so berth
/// creates it before calling Colima.
pub fn colima_home(layout: &Layout) -> PathBuf {
    layout.pixi_dir.join("colima")
}

/// Colima's Lima instance for profile `p`: `colima-p` (`config/profile.go`).
pub fn lima_instance(profile: &str) -> String {
    format!("colima-{profile}")
}

/// Colima's own place for its Lima state: `<COLIMA_HOME>/_lima` (`config/files.go`).
fn local_lima_home(layout: &Layout) -> PathBuf {
    colima_home(layout).join("_lima")
}

/// The Lima home that already holds `instance`, if any does: Colima's own, or the project's
/// short directory (where berth makes it now, or made it before). An instance stays where it
/// was created.
fn existing_lima_home(layout: &Layout, instance: &str) -> Option<PathBuf> {
    std::iter::once(local_lima_home(layout))
        .chain(ShortHomes::Colima.of_project(layout))
        .find(|home| home.join(instance).is_dir())
}

/// Every profile in the project's `COLIMA_HOME` (a directory with a `colima.yaml`), with the
/// Lima home its instance is in: what `berth system clean` removes.
pub fn profiles_on_disk(layout: &Layout) -> Vec<(String, PathBuf)> {
    let Ok(entries) = fs_err::read_dir(colima_home(layout)) else {
        return Vec::new();
    };
    let mut profiles: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| !name.starts_with(['_', '.']))
        .filter(|name| colima_home(layout).join(name).join("colima.yaml").is_file())
        .map(|name| {
            let home = existing_lima_home(layout, &lima_instance(&name))
                .unwrap_or_else(|| local_lima_home(layout));
            (name, home)
        })
        .collect();
    profiles.sort();
    profiles
}

/// `colima ARGS` with the project's `COLIMA_HOME` (created), `DOCKER_CONFIG` and `lima_home`
/// as `LIMA_HOME` (never the caller's own).
fn colima_command<I, S>(
    program: &Path,
    layout: &Layout,
    lima_home: &Path,
    args: I,
) -> Result<Command>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    fs_err::create_dir_all(colima_home(layout))?;
    crate::private_fs::ensure_dir(&layout.docker_config)?;
    let mut command = Command::new(program);
    command
        .args(args)
        .env("COLIMA_HOME", colima_home(layout))
        .env("DOCKER_CONFIG", &layout.docker_config)
        .env("LIMA_HOME", lima_home);
    Ok(command)
}

/// Before Colima lets Lima stop its instance forcibly: Colima's `delete` is `limactl delete
/// --force` and its `stop --force` is `limactl stop --force` (`environment/vm/lima/lima.go`,
/// v0.8.1–v0.10.3), which SIGKILL what the instance's pid files name.
fn spare_strangers(instance_dir: &Path) -> Result<()> {
    super::lima::limactl::spare_strangers(&InstanceDir::new(instance_dir.to_path_buf()))
}

/// `colima delete`: `--force` only skips Colima's own prompt (berth asked already, or was
/// told --force); `--data` also deletes the container data disk, which Colima keeps from
/// 0.9.0 on and knows no `--data` before. The version is `colima --version`'s (a build that
/// prints none is taken as current).
fn delete_args(program: &Path, profile: &str) -> Result<Vec<OsString>> {
    let mut version = Command::new(program);
    version.arg("--version");
    let answer = process::capture(version)?;
    let version = Version::parse(&answer.stdout).filter(|_| answer.status == ExitStatus::Success);
    let mut args: Vec<OsString> = ["delete", "--profile", profile, "--force"]
        .map(OsString::from)
        .to_vec();
    if version.is_none_or(|v| v >= DATA_DISK_SINCE) {
        args.push("--data".into());
    }
    Ok(args)
}

/// Delete profile `profile` for `berth system clean`: `colima delete` stops it when it runs
/// and removes its VM, data disk and docker context. Without Colima installed, a stopped
/// profile's files are left for clean to remove directly.
pub fn delete_for_clean(
    layout: &Layout,
    profile: &str,
    lima_home: &Path,
    running: bool,
) -> Result<()> {
    let Some(program) = process::find_program("colima", Some(&layout.envs_dir)) else {
        if running {
            anyhow::bail!("it is running and colima, which could stop it, was not found");
        }
        ui::note(&format!(
            "colima was not found; removing the stopped profile `{profile}` directly"
        ));
        return Ok(());
    };
    let args = delete_args(&program, profile)?;
    spare_strangers(&lima_home.join(lima_instance(profile)))?;
    let command = colima_command(&program, layout, lima_home, &args)?;
    let answer = process::capture(command)?;
    if answer.status != ExitStatus::Success {
        let why = answer
            .stderr
            .lines()
            .rev()
            .find_map(logrus_fatal)
            .unwrap_or_else(|| answer.stderr.trim().to_string());
        anyhow::bail!("`colima delete --profile {profile}` failed: {why}");
    }
    Ok(())
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

/// The user's mounts as Colima can take them: resolved (see [`mounts`]) and none overlapping
/// another or the project root, which Colima refuses (`checkOverlappingMounts` in
/// `environment/vm/lima/yaml.go`, v0.8.1–v0.10.3). A writable mount at or inside the project
/// root is mounted already, at the same path and writable, and is left out.
fn user_mounts(root: &Path, setting: &Setting<Vec<Mount>>) -> Result<Vec<HostDir>> {
    let overlap = |a: &Path, b: &Path| a.starts_with(b) || b.starts_with(a);
    let refuse = |message: String, help: &str| -> anyhow::Error {
        let message = format!("{message}; Colima refuses overlapping mounts");
        unsupported(&setting.source, message, help.into())
    };
    let mut kept: Vec<HostDir> = Vec::new();
    for mount in mounts::resolve(root, setting)? {
        if mount.path.starts_with(root) {
            if mount.writable {
                continue;
            }
            return Err(refuse(
                format!(
                    "mount `{}` in [tool.berth] is inside the project root, which Colima \
                     mounts writable",
                    mount.written
                ),
                "remove it from `mounts`: the VM sees it through the project root",
            ));
        }
        if root.starts_with(&mount.path) {
            return Err(refuse(
                format!(
                    "mount `{}` in [tool.berth] holds the project root, which Colima mounts \
                     too",
                    mount.written
                ),
                "mount the directories beside the project instead (`../shared`)",
            ));
        }
        if let Some(other) = kept.iter().find(|k| overlap(&k.path, &mount.path)) {
            return Err(refuse(
                format!(
                    "mounts `{}` and `{}` in [tool.berth] overlap",
                    other.written, mount.written
                ),
                "keep only the outer one in `mounts`",
            ));
        }
        kept.push(mount);
    }
    Ok(kept)
}

/// `--vm-type`, where Colima has it: `cmd/start.go` registers the flag only on macOS (13 or
/// newer), with `krunkit` only on Apple silicon. Elsewhere Colima runs QEMU and knows no such
/// flag, so `qemu` needs none and any other type is refused.
fn vm_type_args(vm_type: VmType, source: &Source) -> Result<Vec<OsString>> {
    let os = Os::current();
    if os != Os::Macos {
        if vm_type == VmType::Qemu {
            return Ok(Vec::new());
        }
        return Err(unsupported(
            source,
            format!("colima has no vm-type `{vm_type}` on {}", os.name()),
            format!(
                "Colima runs QEMU on {} and has no `--vm-type` there: remove `vm-type`, or set \
                 it only where it applies (`BERTH_VM_TYPE`)",
                os.name()
            ),
        ));
    }
    if !VM_TYPES.contains(&vm_type) {
        let names: Vec<&str> = VM_TYPES.iter().map(|v| v.name()).collect();
        return Err(unsupported(
            source,
            format!("colima has no vm-type `{vm_type}`"),
            format!("use one of {} with colima", names.join(", ")),
        ));
    }
    if vm_type == VmType::Krunkit && Arch::current() != Arch::Aarch64 {
        return Err(unsupported(
            source,
            "colima runs `krunkit` only on Apple silicon".into(),
            "use `vz` or `qemu` on this Mac".into(),
        ));
    }
    Ok(vec!["--vm-type".into(), vm_type.name().into()])
}

fn unsupported(source: &Source, message: String, help: String) -> anyhow::Error {
    source.point_at(Diagnostic::new(message).help(help)).into()
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
