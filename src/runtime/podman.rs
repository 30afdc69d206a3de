//! Podman: on Linux its rootless API socket when that answers (no VM), else the project's
//! own Podman machine `berth-<instance>-<root id>`. Podman runs one machine at a time, and its
//! socket path moves between versions, so berth asks `podman machine inspect` for it once and
//! caches it in `.pixi/berth/podman-socket`. Which machines exist, and which project each was
//! made for, berth reads from Podman's own machine configuration files.
//!
//! Lifecycle commands take the project's lifecycle lock and log podman's output to
//! `.pixi/berth/logs/podman-machine-<verb>.log`, showing its steps on one progress line.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};
use serde::Deserialize;

use super::lifecycle::{self, Line, Step};
use super::mounts;
use super::{Context, Resources, Runtime, State, Status};
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::exit::ExitStatus;
use crate::host::{self, Os};
use crate::process::{self, Stream};
use crate::settings::RuntimeKind;
use crate::ui;

pub struct Podman<'a> {
    ctx: &'a Context<'a>,
}

/// One row of `podman machine list --format json` (`cmd/podman/machine/list.go`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListedMachine {
    name: String,
    #[serde(default)]
    running: bool,
    /// Podman counts a machine that is still booting as active (`checkExclusiveActiveVM`).
    #[serde(default)]
    starting: bool,
    #[serde(default, rename = "VMType")]
    vm_type: String,
}

/// Podman's limit on a machine's name (`cmd/podman/machine/init.go`, v5.0.0 to v5.8.2).
const MAX_MACHINE_NAME: usize = 30;

/// What every machine berth makes is called first.
const MACHINE_PREFIX: &str = "berth-";

/// `berth-<instance>-<root id>`, the instance cut so the whole fits Podman's limit. Podman's
/// machines belong to the user, not the project: the root's id keeps two checkouts of one
/// repository (one instance name) on machines of their own.
fn machine_name(instance: &str, root_id: &str) -> String {
    let room = MAX_MACHINE_NAME - MACHINE_PREFIX.len() - 1 - root_id.len();
    let cut: String = instance.chars().take(room).collect();
    let cut = cut.trim_end_matches(['-', '_', '.']);
    format!("{MACHINE_PREFIX}{cut}-{root_id}")
}

/// A machine of berth's as Podman's own configuration records it: one JSON file per machine
/// in `<config home>/containers/podman/machine/<provider>/` (`pkg/machine/env/dir.go`,
/// `pkg/machine/vmconfigs/config.go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineRecord {
    pub name: String,
    /// Podman's provider directory it is in (`qemu`, `applehv`, `libkrun`, ...).
    pub provider: String,
    /// The project it was made for: the source of its first volume, the project root berth
    /// always mounts first.
    pub project_root: Option<PathBuf>,
}

/// The parts of a machine's config file berth reads.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MachineConfigFile {
    name: String,
    #[serde(default)]
    mounts: Vec<MountConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MountConfig {
    source: String,
}

/// `$XDG_CONFIG_HOME/containers/podman/machine`, else under `~/.config`: Podman's
/// `homedir.GetConfigHome` on every OS, macOS included.
fn machine_config_root() -> Option<PathBuf> {
    let config_home = host::var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| Some(host::home_dir()?.join(".config")))?;
    Some(config_home.join("containers/podman/machine"))
}

/// Every machine of berth's (named `berth-…`) that Podman's configuration holds, of every
/// provider, sorted by provider and name. Reads files only.
pub fn berth_machines() -> Vec<MachineRecord> {
    let Some(root) = machine_config_root() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for provider in sorted_entries(&root).into_iter().filter(|p| p.is_dir()) {
        for file in sorted_entries(&provider) {
            if file.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let Some(config) = fs_err::read_to_string(&file)
                .ok()
                .and_then(|text| serde_json::from_str::<MachineConfigFile>(&text).ok())
            else {
                continue;
            };
            if !config.name.starts_with(MACHINE_PREFIX) {
                continue;
            }
            found.push(MachineRecord {
                provider: provider
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into(),
                project_root: config.mounts.first().map(|m| PathBuf::from(&m.source)),
                name: config.name,
            });
        }
    }
    found
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs_err::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    entries
}

/// `podman ARGS` acting on `provider`'s machines (every `podman machine` command but `list
/// --all-providers` sees only one provider's, `CONTAINERS_MACHINE_PROVIDER` names it).
fn podman_for(provider: &str, envs_dir: Option<&Path>, args: &[&str]) -> Result<Command> {
    let mut command = Command::new(process::require_program("podman", envs_dir)?);
    command
        .args(args)
        .env("CONTAINERS_MACHINE_PROVIDER", provider);
    Ok(command)
}

/// Whether `machine` of `provider` is running or starting, as `podman machine inspect` says.
pub fn machine_active(machine: &MachineRecord, envs_dir: Option<&Path>) -> Result<bool> {
    let args = [
        "machine",
        "inspect",
        "--format",
        "{{.State}}",
        &machine.name,
    ];
    let answer = process::capture(podman_for(&machine.provider, envs_dir, &args)?)?;
    if answer.status != ExitStatus::Success {
        anyhow::bail!(
            "`podman machine inspect {}` failed: {}",
            machine.name,
            answer.stderr.trim()
        );
    }
    Ok(matches!(answer.stdout.trim(), "running" | "starting"))
}

/// Remove `machine` as `berth system clean` does: `podman machine stop` first when it runs,
/// then `podman machine rm --force` (which skips Podman's own prompt).
pub fn remove_machine(
    machine: &MachineRecord,
    running: bool,
    envs_dir: Option<&Path>,
) -> Result<()> {
    let name = machine.name.as_str();
    let mut steps = Vec::new();
    if running {
        ui::step("Stopping", &format!("podman machine {name}"));
        steps.push(vec!["machine", "stop", name]);
    }
    steps.push(vec!["machine", "rm", "--force", name]);
    for args in steps {
        let answer = process::capture(podman_for(&machine.provider, envs_dir, &args)?)?;
        if answer.status != ExitStatus::Success {
            anyhow::bail!(
                "`podman {}` failed (exit {}): {}",
                args.join(" "),
                answer.status.code(),
                answer.stderr.trim()
            );
        }
    }
    Ok(())
}

/// The parts of `podman machine inspect` berth reads (research D1).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspected {
    #[serde(default)]
    state: String,
    #[serde(default)]
    resources: Option<MachineResources>,
}

/// `Resources` of `podman machine inspect`: memory in MiB, disk in GiB.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MachineResources {
    #[serde(rename = "CPUs")]
    cpus: Option<u32>,
    memory: Option<u64>,
    disk_size: Option<u64>,
}

impl From<Option<MachineResources>> for Resources {
    fn from(resources: Option<MachineResources>) -> Resources {
        let Some(r) = resources else {
            return Resources::default();
        };
        Resources {
            cpus: r.cpus,
            memory: r.memory.map(|mib| format!("{mib}MiB")),
            disk: r.disk_size.map(|gib| format!("{gib}GiB")),
        }
    }
}

/// On Linux, the rootless Podman service's socket, when it answers the Docker API.
fn rootless_socket() -> Option<PathBuf> {
    if Os::current() != Os::Linux {
        return None;
    }
    let runtime_dir = host::var("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?;
    let socket = PathBuf::from(runtime_dir).join("podman/podman.sock");
    docker_api::ping(&socket).then_some(socket)
}

impl<'a> Podman<'a> {
    pub fn new(ctx: &'a Context<'a>) -> Podman<'a> {
        Podman { ctx }
    }

    pub fn machine(&self) -> String {
        machine_name(
            &self.ctx.settings.instance.value,
            &self.ctx.project.layout.root_id(),
        )
    }

    fn socket_cache(&self) -> PathBuf {
        self.ctx.project.layout.berth_dir.join("podman-socket")
    }

    /// This project's machine, as Podman's configuration records it (any provider).
    pub fn record(&self) -> Option<MachineRecord> {
        let machine = self.machine();
        berth_machines().into_iter().find(|m| m.name == machine)
    }

    /// Whether this project's machine exists: a read of Podman's configuration, no process.
    pub fn exists(&self) -> bool {
        self.record().is_some()
    }

    /// The machine's socket as cached at `init`, if it answers: a file read and a ping.
    fn cached_socket(&self) -> Option<PathBuf> {
        let text = fs_err::read_to_string(self.socket_cache()).ok()?;
        let socket = PathBuf::from(text.trim());
        (!text.trim().is_empty() && docker_api::ping(&socket)).then_some(socket)
    }

    fn podman<I, S>(&self, args: I) -> Result<Command>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let program = process::require_program("podman", Some(&self.ctx.project.layout.envs_dir))?;
        let mut command = Command::new(program);
        command.args(args);
        Ok(command)
    }

    /// The machine as `podman machine inspect` reports it, `None` when it does not exist.
    fn inspect(&self) -> Result<Option<Inspected>> {
        let machine = self.machine();
        let answer = process::capture(self.podman(["machine", "inspect", &machine])?)?;
        if answer.status != ExitStatus::Success {
            if answer.stderr.contains("does not exist") {
                return Ok(None);
            }
            return Err(Diagnostic::new(format!(
                "`podman machine inspect {machine}` failed: {}",
                answer.stderr.trim()
            ))
            .into());
        }
        let reports: Vec<Inspected> = serde_json::from_str(&answer.stdout).with_context(|| {
            format!("`podman machine inspect {machine}` printed no JSON array of machines")
        })?;
        Ok(Some(reports.into_iter().next().unwrap_or_else(|| {
            Inspected {
                state: "unknown".into(),
                resources: None,
            }
        })))
    }

    /// The machine's state word (`running`, `stopped`, ...), `None` when it does not exist.
    fn machine_state(&self) -> Result<Option<String>> {
        Ok(self.inspect()?.map(|inspected| inspected.state))
    }

    /// Run one `podman machine` lifecycle command with its output in
    /// `podman-machine-<verb>.log`.
    fn run_logged(&self, args: Vec<OsString>, first: Step, progress: &ui::Progress) -> Result<()> {
        let what = format!("podman machine {}", args[1].to_string_lossy());
        let logs_dir = &self.ctx.project.layout.logs_dir;
        let command = self.podman(args)?;
        lifecycle::run_step(command, &what, logs_dir, progress, first, classify)
    }

    /// Ask podman for the machine's API socket and remember it for later calls.
    fn refresh_socket(&self) -> Result<PathBuf> {
        let machine = self.machine();
        let answer = process::capture(self.podman([
            "machine",
            "inspect",
            "--format",
            "{{.ConnectionInfo.PodmanSocket.Path}}",
            &machine,
        ])?)?;
        let path = answer.stdout.trim();
        if answer.status != ExitStatus::Success || path.is_empty() || path == "<nil>" {
            return Err(Diagnostic::new(format!(
                "podman did not report an API socket for machine {machine}"
            ))
            .help(format!(
                "see the machine with `podman machine inspect {machine}`"
            ))
            .into());
        }
        let cache = self.socket_cache();
        crate::private_fs::ensure_dir(cache.parent().expect("the cache is in .pixi/berth"))?;
        crate::private_fs::write_atomic(&cache, format!("{path}\n").as_bytes())?;
        Ok(PathBuf::from(path))
    }

    /// Every machine Podman would weigh before starting one: of every provider (`list
    /// --all-providers`, from v5.3.0), or of the current one where Podman is older and has
    /// no such flag (those versions also check only the current provider).
    fn list_machines(&self) -> Result<Vec<ListedMachine>> {
        let all = ["machine", "list", "--all-providers", "--format", "json"];
        let mut answer = process::capture(self.podman(all)?)?;
        if answer.status != ExitStatus::Success
            && answer.stderr.contains("unknown flag: --all-providers")
        {
            answer = process::capture(self.podman(["machine", "list", "--format", "json"])?)?;
        }
        if answer.status != ExitStatus::Success {
            return Err(Diagnostic::new(format!(
                "`podman machine list` failed: {}",
                answer.stderr.trim()
            ))
            .into());
        }
        serde_json::from_str(&answer.stdout)
            .context("`podman machine list --format json` printed no JSON array")
    }

    /// Podman runs one machine at a time, whatever its provider, and counts one that is
    /// starting (`pkg/machine/shim/host.go`, `checkExclusiveActiveVM`): name the one in the
    /// way, before `init` downloads an image.
    fn ensure_no_other_running(&self) -> Result<()> {
        let ours = self.machine();
        let machines = self.list_machines()?;
        let Some(other) = machines
            .iter()
            .find(|m| (m.running || m.starting) && m.name != ours)
        else {
            return Ok(());
        };
        let state = if other.running { "running" } else { "starting" };
        // Every `podman machine` command but `list` acts on one provider's machines.
        let (provider, stop) = match other.vm_type.as_str() {
            "" => (String::new(), String::new()),
            vm_type => (
                format!(" ({vm_type})"),
                format!("CONTAINERS_MACHINE_PROVIDER={vm_type} "),
            ),
        };
        Err(Diagnostic::new(format!(
            "podman runs one machine at a time and `{}`{provider} is {state}",
            other.name
        ))
        .help(format!(
            "stop it with `{stop}podman machine stop {}`, then rerun",
            other.name
        ))
        .into())
    }

    fn init_args(&self) -> Result<Vec<OsString>> {
        let settings = self.ctx.settings;
        let root = self.ctx.project.root.as_os_str();
        let mut root_volume = root.to_os_string();
        root_volume.push(":");
        root_volume.push(root);
        let mut args: Vec<OsString> = vec![
            "machine".into(),
            "init".into(),
            "--cpus".into(),
            settings.cpus.value.to_string().into(),
            "--memory".into(),
            settings.memory.value.mib_rounded().to_string().into(),
            "--disk-size".into(),
            settings.disk.value.gib_ceil().to_string().into(),
            "--volume".into(),
            root_volume,
        ];
        for mount in mounts::resolve(&self.ctx.project.root, &settings.mounts)? {
            let mut volume = mount.path.clone().into_os_string();
            volume.push(":");
            volume.push(&mount.path);
            if !mount.writable {
                volume.push(":ro");
            }
            args.extend(["--volume".into(), volume]);
        }
        args.push(self.machine().into());
        Ok(args)
    }

    fn report(&self, state: State, docker_host: Option<String>, reason: Option<String>) -> Status {
        Status {
            docker_host,
            reason,
            ..Status::new(RuntimeKind::Podman, self.machine(), state)
        }
    }
}

impl Runtime for Podman<'_> {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Podman
    }

    fn status(&self) -> Result<Status> {
        if let Some(socket) = rootless_socket() {
            let mut status = self.report(
                State::Running,
                Some(format!("unix://{}", socket.display())),
                None,
            );
            status.instance = "rootless".into();
            return Ok(status);
        }
        // One inspect answers both the state and the machine's size.
        let Some(inspected) = self.inspect()? else {
            return Ok(self.report(State::Absent, None, None));
        };
        let resources = Resources::from(inspected.resources);
        let status = match inspected.state.as_str() {
            "stopped" => self.report(State::Stopped, None, None),
            "running" => {
                let socket = match self.cached_socket() {
                    Some(socket) => socket,
                    None => self.refresh_socket()?,
                };
                if docker_api::ping(&socket) {
                    let host = format!("unix://{}", socket.display());
                    self.report(State::Running, Some(host), None)
                } else {
                    let reason = format!(
                        "the machine runs, but its API socket {} does not answer",
                        socket.display()
                    );
                    self.report(State::Broken, None, Some(reason))
                }
            }
            other => self.report(
                State::Broken,
                None,
                Some(format!("podman reports `{other}`")),
            ),
        };
        Ok(status.with_resources(resources))
    }

    fn init(&self) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        if let Some(socket) = rootless_socket() {
            ui::status(&format!(
                "podman's rootless API answers at {}; no machine needed",
                socket.display()
            ));
            return Ok(());
        }
        let machine = self.machine();
        if self.cached_socket().is_some() {
            ui::status(&format!(
                "podman machine {machine} is running; nothing to do"
            ));
            return Ok(());
        }
        let state = self.machine_state()?;
        // Checked before anything runs: a mount that is not a directory is refused.
        let init = match state {
            None => Some(self.init_args()?),
            Some(_) => None,
        };
        if state.as_deref() != Some("running") {
            self.ensure_no_other_running()?;
        }
        let start = ["machine", "start", &machine].map(OsString::from).to_vec();
        let timeout = self.ctx.settings.start_timeout.value;
        let logs_hint = format!("podman machine inspect {machine}");
        let socket = lifecycle::with_progress(|progress| {
            if let Some(init) = init {
                ui::step("Creating", &format!("podman machine {machine}"));
                self.run_logged(init, Step::Creating, progress)?;
            }
            if state.as_deref() != Some("running") {
                ui::step("Starting", &format!("podman machine {machine}"));
                self.run_logged(start, Step::Booting, progress)?;
            }
            let socket = self.refresh_socket()?;
            lifecycle::wait_for_docker(&socket, timeout, &logs_hint, progress)?;
            Ok(socket)
        })?;
        ui::status(&format!(
            "podman machine {machine} is running at unix://{}",
            socket.display()
        ));
        Ok(())
    }

    fn start(&self) -> Result<()> {
        self.init()
    }

    fn stop(&self, _force: bool) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        if rootless_socket().is_some() {
            ui::status("podman's rootless service is not berth's to stop; nothing done");
            return Ok(());
        }
        let machine = self.machine();
        match self.status()?.state {
            State::Absent => {
                ui::status(&format!(
                    "podman machine {machine} does not exist; nothing to stop"
                ));
                Ok(())
            }
            State::Stopped => {
                ui::status(&format!("podman machine {machine} is already stopped"));
                Ok(())
            }
            State::Running | State::Broken => {
                ui::step("Stopping", &format!("podman machine {machine}"));
                let args = ["machine", "stop", &machine].map(OsString::from).to_vec();
                lifecycle::with_progress(|progress| self.run_logged(args, Step::Stopping, progress))
            }
        }
    }

    fn delete(&self, force: bool) -> Result<()> {
        let _lock = lifecycle::lock(&self.ctx.project.layout)?;
        if rootless_socket().is_some() {
            ui::status("podman's rootless service is not berth's to delete; nothing done");
            return Ok(());
        }
        let machine = self.machine();
        let what = format!("podman machine {machine}");
        if !lifecycle::may_delete(&what, self.status()?.state, force)? {
            return Ok(());
        }
        ui::step("Deleting", &format!("podman machine {machine}"));
        let args = ["machine", "rm", "--force", &machine]
            .map(OsString::from)
            .to_vec();
        lifecycle::with_progress(|progress| self.run_logged(args, Step::Deleting, progress))?;
        match fs_err::remove_file(self.socket_cache()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    fn docker_host(&self) -> Result<String> {
        if let Some(socket) = rootless_socket().or_else(|| self.cached_socket()) {
            return Ok(format!("unix://{}", socket.display()));
        }
        let status = self.status()?;
        let machine = self.machine();
        let message = match status.state {
            State::Running => return Ok(status.docker_host.unwrap_or_default()),
            State::Stopped => format!("podman machine {machine} is stopped"),
            State::Absent => format!("podman machine {machine} does not exist"),
            State::Broken => format!(
                "podman machine {machine} is not usable: {}",
                status.reason.unwrap_or_default()
            ),
        };
        Err(Diagnostic::new(message)
            .help("run `berth container init`")
            .into())
    }

    fn shell(&self, command: &[OsString]) -> Result<ExitStatus> {
        if rootless_socket().is_some() {
            return Err(Diagnostic::new(
                "podman runs rootless on this machine: there is no VM to open a shell in",
            )
            .help("use `berth docker run -it IMAGE sh` for a shell in a container")
            .into());
        }
        let machine = self.machine();
        let mut ssh = self.podman(["machine", "ssh", &machine])?;
        ssh.args(command);
        process::exec_replace(ssh)
    }

    fn logs(&self, _follow: bool) -> Result<ExitStatus> {
        Err(
            Diagnostic::new("podman keeps no log file of its machine that berth can show")
                .help(format!(
                    "see the machine's state with `podman machine inspect {}`",
                    self.machine()
                ))
                .into(),
        )
    }
}

/// What a line of `podman machine` output says. Podman prints plain text: image download
/// lines at `init`, `Starting machine "NAME"`, the API forwarding line once the socket is
/// up, and `Error: ...` on stderr when it fails.
fn classify(stream: Stream, line: &str) -> Line {
    if stream == Stream::Stderr
        && let Some(message) = line.strip_prefix("Error: ")
    {
        return Line::Fatal(message.to_string());
    }
    let step = if line.starts_with("Looking up Podman Machine image")
        || line.starts_with("Getting image source signatures")
        || line.starts_with("Copying blob")
        || line.starts_with("Extracting compressed file")
    {
        Step::Downloading
    } else if line.starts_with("Starting machine") || line.starts_with("Waiting for VM") {
        Step::Booting
    } else if line.starts_with("API forwarding listening on") {
        Step::WaitingForDocker
    } else {
        return Line::Other;
    };
    Line::Step(step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_lines_map_to_steps() {
        let cases = [
            (
                Stream::Stdout,
                "Looking up Podman Machine image at quay.io/podman/machine-os:5.5 to create VM",
                Line::Step(Step::Downloading),
            ),
            (
                Stream::Stdout,
                "Starting machine \"berth-demo\"",
                Line::Step(Step::Booting),
            ),
            (
                Stream::Stdout,
                "API forwarding listening on: /tmp/podman/berth-demo-api.sock",
                Line::Step(Step::WaitingForDocker),
            ),
            (
                Stream::Stderr,
                "Error: berth-demo: VM already exists",
                Line::Fatal("berth-demo: VM already exists".into()),
            ),
            (Stream::Stdout, "Machine init complete", Line::Other),
        ];
        for (stream, line, expected) in cases {
            assert_eq!(classify(stream, line), expected, "{line}");
        }
    }

    #[test]
    fn machine_names_fit_podmans_limit_and_name_the_project() {
        assert_eq!(machine_name("demo", "1a2b3c4d"), "berth-demo-1a2b3c4d");
        let long = machine_name("customer-analytics-platform", "1a2b3c4d");
        assert_eq!(long, "berth-customer-analyt-1a2b3c4d");
        assert_eq!(long.len(), MAX_MACHINE_NAME);
        // A cut that ends in a separator drops it rather than doubling the dash.
        assert_eq!(
            machine_name("abcdefghijklmn-x", "1a2b3c4d"),
            "berth-abcdefghijklmn-1a2b3c4d"
        );
    }

    #[test]
    fn inspect_resources_keep_podmans_units() {
        let reports: Vec<Inspected> = serde_json::from_str(
            r#"[{"State": "running", "Resources": {"CPUs": 3, "DiskSize": 12, "Memory": 1536, "USBs": []}}]"#,
        )
        .unwrap();
        let resources = Resources::from(reports.into_iter().next().unwrap().resources);
        assert_eq!(
            resources,
            Resources {
                cpus: Some(3),
                memory: Some("1536MiB".into()),
                disk: Some("12GiB".into()),
            }
        );
    }
}
