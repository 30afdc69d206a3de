//! Calling `limactl`: always with an explicit `LIMA_HOME` (the project's, or for
//! `system clean` the one an instance lives in), its version read once per lifecycle
//! command, and long commands run with progress and a full log.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::InstanceDir;
use super::progress;
use crate::diag::Diagnostic;
use crate::process::{self, ChildRecord, Stream, Streamed, signals};
use crate::project::Layout;
use crate::runtime::lifecycle::{self, Line, Step};
use crate::runtime::mounts::{self, HostDir};
use crate::settings::{Setting, Settings, VmType};
use crate::ui;

/// The oldest Lima berth drives. Lima 1.0 is the oldest series lima.md documents every
/// create flag berth passes for (`--cpus --memory --disk --vm-type --arch --set --tty`, at
/// tag v1.0.0), with `template://docker` as the locator; 0.x is out of support.
pub const OLDEST_SUPPORTED: Version = Version(1, 0, 0);

/// berth's `--set` edit of `template:docker` (see the comment at its top).
const DOCKER_TEMPLATE_EDIT: &str = include_str!("../../../templates/lima-docker.yq");

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// `limactl version 2.2.0` (or a bare `2.2.0`, with or without `v`, with a suffix).
    pub fn parse(text: &str) -> Option<Version> {
        let word = text.split_whitespace().last()?.trim_start_matches('v');
        let mut numbers = word
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>());
        let major = numbers.next()?.ok()?;
        let minor = numbers.next().and_then(Result::ok).unwrap_or(0);
        let patch = numbers.next().and_then(Result::ok).unwrap_or(0);
        Some(Version(major, minor, patch))
    }

    /// `template:docker` since 2.0; 1.x only understands `template://docker` (lima.md §1.1).
    pub fn docker_template(self) -> &'static str {
        if self >= Version(2, 0, 0) {
            "template:docker"
        } else {
            "template://docker"
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Clone)]
pub struct Limactl {
    program: PathBuf,
    lima_home: PathBuf,
    /// Names the lifecycle command while it runs (see [`Limactl::stop_leftover`]); a
    /// global clean has no project to keep it in.
    running: Option<ChildRecord>,
}

impl Limactl {
    /// The project's `limactl` (PATH, then its pixi environments) for `lima_home`; an error
    /// saying how to install Lima when there is none.
    pub fn find(layout: &Layout, lima_home: &Path) -> Result<Limactl> {
        let program = process::require_program("limactl", Some(&layout.envs_dir))?;
        Ok(Limactl::with_program(program, lima_home, Some(layout)))
    }

    /// The installed `limactl`, if any: for the project's `LIMA_HOME` when there is a
    /// project (its pixi environments searched too), else for `~/.lima`.
    pub fn installed(layout: Option<&Layout>) -> Option<Limactl> {
        let program = process::find_program("limactl", layout.map(|l| l.envs_dir.as_path()))?;
        let lima_home = match layout {
            Some(layout) => layout.lima_home.clone(),
            None => crate::host::home_dir()?.join(".lima"),
        };
        Some(Limactl::with_program(program, &lima_home, layout))
    }

    fn with_program(program: PathBuf, lima_home: &Path, layout: Option<&Layout>) -> Limactl {
        Limactl {
            program,
            lima_home: lima_home.to_path_buf(),
            running: layout.map(|l| ChildRecord::new(l.berth_dir.join("limactl.pid"))),
        }
    }

    /// The same `limactl` for the instances of another `LIMA_HOME`.
    pub fn for_home(&self, lima_home: &Path) -> Limactl {
        Limactl {
            lima_home: lima_home.to_path_buf(),
            ..self.clone()
        }
    }

    /// Stop a `limactl create/start/stop/delete` that an earlier berth, killed outright,
    /// left running, so it does not act on the instance at the same time as this one.
    pub fn stop_leftover(&self) -> Option<u32> {
        self.running.as_ref()?.stop_leftover(&self.program)
    }

    /// `limactl ARGS` with `LIMA_HOME` set and Lima's forced-TTY output off.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .env("LIMA_HOME", &self.lima_home)
            .env_remove("_LIMA_OUTPUT_IS_TTY");
        command
    }

    /// The installed version, refused when older than [`OLDEST_SUPPORTED`].
    pub fn version(&self) -> Result<Version> {
        let captured = process::capture(self.command(["--version"]))?;
        let version = Version::parse(&captured.stdout)
            .filter(|_| captured.status.code() == 0)
            .ok_or_else(|| {
                Diagnostic::new(format!(
                    "`{} --version` did not print a version: {}",
                    self.program.display(),
                    captured.stderr.trim()
                ))
                .help("check the Lima installation with `limactl --version`")
            })?;
        if version < OLDEST_SUPPORTED {
            return Err(Diagnostic::new(format!(
                "Lima {version} is too old; berth needs Lima {OLDEST_SUPPORTED} or newer"
            ))
            .help(upgrade_hint())
            .into());
        }
        Ok(version)
    }

    /// Run one lifecycle command (`create`, `start`, `stop`, `delete`) with its output in
    /// `<logs_dir>/lima-<verb>.log` (mode 0600) and its steps shown on `progress`.
    /// A failure quotes the log's last lines and names it.
    pub fn run_logged(
        &self,
        args: &[String],
        logs_dir: &Path,
        progress: &ui::Progress,
    ) -> Result<Streamed> {
        let verb = args.first().map_or("limactl", String::as_str);
        let log = logs_dir.join(format!("lima-{verb}.log"));
        lifecycle::run_logged(
            self.command(args),
            &format!("limactl {verb}"),
            &log,
            self.running.as_ref(),
            progress,
            |stream, line| match stream {
                Stream::Stderr => progress::classify(line),
                Stream::Stdout => Line::Other,
            },
        )
    }

    /// Run `limactl ARGS` to the end without a log of its own (`system clean`'s stop and
    /// delete). Ctrl-C is [`crate::exit::Interrupted`]; a failure quotes Lima's fatal message, or its
    /// last line.
    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<()> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let mut last_line = None;
        let mut fatal = None;
        let streamed =
            process::run_streaming(self.command(&args), self.running.as_ref(), |_, line| {
                match lifecycle::logrus_fatal(line) {
                    Some(message) => fatal = Some(message),
                    None if !line.trim().is_empty() => last_line = Some(line.to_string()),
                    None => {}
                }
            })?;
        match streamed {
            Streamed::Interrupted => Err(signals::interruption().into()),
            Streamed::Exited(status) if status.code() != 0 => {
                let detail = fatal.or(last_line).unwrap_or_else(|| "no output".into());
                Err(anyhow::anyhow!(
                    "`limactl {}` failed (exit {}): {detail}",
                    args.join(" "),
                    status.code()
                ))
            }
            Streamed::Exited(_) => Ok(()),
        }
    }
}

/// `limactl stop -f NAME`, after [`spare_strangers`]: the only way berth asks for a forced stop.
pub fn forced_stop(instance: &InstanceDir, name: &str) -> Result<Vec<String>> {
    spare_strangers(instance)?;
    Ok(["stop", "-f", name].map(String::from).to_vec())
}

/// `limactl delete [-f] NAME`, after [`spare_strangers`]: Lima's `delete` stops the instance
/// forcibly first, with `-f` or without (`pkg/instance/delete.go`, v1.0.0–v2.2.0).
pub fn delete(instance: &InstanceDir, name: &str, force: bool) -> Result<Vec<String>> {
    spare_strangers(instance)?;
    let force = force.then_some("-f");
    Ok(std::iter::once("delete")
        .chain(force)
        .chain([name])
        .map(String::from)
        .collect())
}

/// The one guard before anything lets Lima stop an instance forcibly (berth's `limactl
/// stop -f` and `delete`, Colima's `stop --force` and `delete`, which call those): Lima
/// SIGKILLs whatever live process the instance's pid files name, so a file naming another
/// process (its pid reused, e.g. after a reboot) is removed first and that process lives.
pub fn spare_strangers(instance: &InstanceDir) -> Result<()> {
    for (file, pid) in instance.remove_foreign_pid_files()? {
        ui::note(&format!(
            "removed `{file}` of `{}`: it named pid {pid}, a live process that is not the \
             instance's (a reused pid), which Lima's forced stop would have killed",
            ui::display_path(&instance.dir)
        ));
    }
    Ok(())
}

/// The arguments of `limactl create` for this project, or the error Lima would give, told in
/// berth's terms before Lima is asked: a mount that is not a directory, a driver this Lima
/// does not have.
pub fn create_args(settings: &Settings, root: &Path, version: Version) -> Result<Vec<String>> {
    let mounts = mounts::resolve(root, &settings.mounts)?;
    check_vm_type(&settings.vm_type, version)?;
    let mut args = vec![
        "create".to_string(),
        format!("--name={}", settings.instance.value),
        "--tty=false".to_string(),
        format!("--cpus={}", settings.cpus.value),
        format!("--memory={}", settings.memory.value.gib_decimal()),
        format!("--disk={}", settings.disk.value.gib_decimal()),
    ];
    if let Some(vm_type) = &settings.vm_type.value {
        args.push(format!("--vm-type={vm_type}"));
    }
    if let Some(arch) = settings.arch.value {
        args.push(format!("--arch={}", arch.name()));
    }
    args.push(format!("--set={}", mounts_edit(root, &mounts)));
    args.push(version.docker_template().to_string());
    Ok(args)
}

/// krunkit is a driver from Lima 2.0 on (`cmd/lima-driver-krunkit`, first in v2.0.0); Lima
/// 1.x accepts only `qemu`, `vz` and `wsl2` (`pkg/limayaml/validate.go`, v1.0.0–v1.2.3).
fn check_vm_type(vm_type: &Setting<Option<VmType>>, version: Version) -> Result<()> {
    const KRUNKIT_SINCE: Version = Version(2, 0, 0);
    if vm_type.value != Some(VmType::Krunkit) || version >= KRUNKIT_SINCE {
        return Ok(());
    }
    let diagnostic = Diagnostic::new(format!(
        "`vm-type = \"krunkit\"` needs Lima {KRUNKIT_SINCE} or newer; this is Lima {version}"
    ));
    Err(vm_type
        .source
        .point_at(diagnostic)
        .help(upgrade_hint())
        .help("or choose `vm-type = \"vz\"` or `\"qemu\"`, which Lima 1.x has")
        .into())
}

/// The yq expression of `templates/lima-docker.yq` for these mounts: the project root
/// writable, then the user's.
fn mounts_edit(root: &Path, extra: &[HostDir]) -> String {
    let root = serde_json::json!({ "location": root, "writable": true }).to_string();
    let extra = extra.iter().map(|m| {
        serde_json::json!({ "location": m.location(), "writable": m.writable }).to_string()
    });
    let mounts: Vec<String> = std::iter::once(root).chain(extra).collect();
    let expression: Vec<&str> = DOCKER_TEMPLATE_EDIT
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .collect();
    expression
        .join(" ")
        .replace("{{mounts}}", &mounts.join(","))
}

fn upgrade_hint() -> String {
    match crate::host::Os::current() {
        crate::host::Os::Macos => "upgrade Lima: `brew upgrade lima` (or `pixi add lima`)".into(),
        _ => "install a newer Lima from https://lima-vm.io/docs/installation/ (or `pixi add lima`)"
            .into(),
    }
}

/// The step to show before a command has printed anything.
pub fn first_step(args: &[String]) -> Step {
    match args.first().map(String::as_str) {
        Some("create") => Step::Creating,
        Some("stop") => Step::Stopping,
        Some("delete") => Step::Deleting,
        _ => Step::Booting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_pick_the_template_locator() {
        assert_eq!(
            Version::parse("limactl version 2.2.0\n"),
            Some(Version(2, 2, 0))
        );
        assert_eq!(
            Version::parse("limactl version 1.2.3-beta.0"),
            Some(Version(1, 2, 3))
        );
        assert_eq!(Version::parse("v0.23.2"), Some(Version(0, 23, 2)));
        assert_eq!(Version::parse("nonsense"), None);
        assert_eq!(Version(1, 2, 3).docker_template(), "template://docker");
        assert_eq!(Version(2, 0, 0).docker_template(), "template:docker");
    }

    #[test]
    fn the_mounts_edit_appends_the_root_writable() {
        let extra = [HostDir {
            path: "/home/me/data".into(),
            written: "~/data".into(),
            writable: false,
        }];
        assert_eq!(
            mounts_edit(Path::new("/p/app"), &extra),
            r#".mounts += [{"location":"/p/app","writable":true},{"location":"~/data","writable":false}]"#
        );
    }
}
