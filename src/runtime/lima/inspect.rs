//! The state of an instance, read from its directory the way Lima's own `Inspect` does
//! (lima.md §2.3): pid files checked with `kill(pid, 0)`, then one connect to the forwarded
//! Docker socket. No child process, so `status` and an idempotent `init` cost a few syscalls.

use std::path::{Path, PathBuf};

use crate::docker_api;
use crate::process;

/// The driver pid files Lima's internal drivers write (`<vmType>.pid`; vz writes the host
/// agent's own pid there).
const DRIVER_PID_FILES: &[&str] = &["qemu.pid", "vz.pid", "krunkit.pid"];

/// What berth found in the instance directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No instance directory.
    Absent,
    /// A directory without `lima.yaml`: an interrupted create. Not an instance to Lima.
    HalfCreated,
    /// No live process of this instance. `stale` lists pid and socket files a crash left
    /// behind; `foreign` says why, when a pid file names a live process that is not this
    /// instance's (a reused pid: Lima calls that Broken, and `limactl stop -f` would kill it).
    Stopped {
        stale: Vec<PathBuf>,
        foreign: Option<String>,
    },
    /// The host agent runs and Docker answers on the forwarded socket.
    Running { host_agent: i32 },
    /// Anything in between, with the reason.
    Broken { reason: String },
}

/// The live processes an instance's pid files name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processes {
    /// The host agent's pid (`ha.pid`), when it runs.
    pub host_agent: Option<i32>,
    /// The VM driver's pid file and pid (`qemu.pid`, ...), when it runs.
    pub driver: Option<(&'static str, i32)>,
    /// Pid files naming a live process that is not this instance's (a reused pid, e.g. after
    /// a reboot): never to be signalled.
    pub foreign: Vec<(&'static str, i32)>,
}

/// What a pid file names.
enum Pid {
    /// No file, or its process is gone.
    None,
    /// A live process of this instance.
    Own(i32),
    /// A live process that is not this instance's (a reused pid).
    Foreign(i32),
}

/// The files of one instance directory.
#[derive(Debug, Clone)]
pub struct InstanceDir {
    pub dir: PathBuf,
}

impl InstanceDir {
    pub fn new(dir: PathBuf) -> InstanceDir {
        InstanceDir { dir }
    }

    pub fn docker_socket(&self) -> PathBuf {
        self.dir.join("sock/docker.sock")
    }

    pub fn lima_yaml(&self) -> PathBuf {
        self.dir.join("lima.yaml")
    }

    pub fn phase(&self) -> Phase {
        if !self.dir.is_dir() {
            return Phase::Absent;
        }
        if !self.lima_yaml().is_file() {
            return Phase::HalfCreated;
        }
        let Processes {
            host_agent,
            driver,
            foreign,
        } = match self.processes() {
            Ok(processes) => processes,
            Err(reason) => return Phase::Broken { reason },
        };
        match (host_agent, driver) {
            (Some(pid), _) if docker_api::ping(&self.docker_socket()) => {
                Phase::Running { host_agent: pid }
            }
            (Some(pid), _) => Phase::Broken {
                reason: format!(
                    "the host agent (pid {pid}) runs, but Docker does not answer at `{}`",
                    self.docker_socket().display()
                ),
            },
            (None, Some((file, pid))) => Phase::Broken {
                reason: format!(
                    "the VM process (pid {pid} in {file}) runs, but its host agent does not"
                ),
            },
            (None, None) => Phase::Stopped {
                stale: self.stale_files(),
                foreign: foreign.first().map(|(file, pid)| {
                    format!(
                        "`{file}` names pid {pid}, a live process that is not this instance's \
                         (a stale pid file, e.g. after a reboot); `berth container init` \
                         removes the file and leaves the process alone"
                    )
                }),
            },
        }
    }

    /// What runs of the instance, by its pid files (Lima's `ReadPIDFile` each); an error
    /// names a pid file that does not hold a pid.
    pub fn processes(&self) -> Result<Processes, String> {
        let mut foreign = Vec::new();
        let mut live_pid = |file: &'static str| -> Result<Option<i32>, String> {
            match self.pid_in(file)? {
                Pid::Foreign(pid) => {
                    foreign.push((file, pid));
                    Ok(None)
                }
                Pid::Own(pid) => Ok(Some(pid)),
                Pid::None => Ok(None),
            }
        };
        let host_agent = live_pid("ha.pid")?;
        let mut driver = None;
        for file in DRIVER_PID_FILES {
            if let Some(pid) = live_pid(file)? {
                driver = Some((*file, pid));
            }
        }
        Ok(Processes {
            host_agent,
            driver,
            foreign,
        })
    }

    /// Remove every pid file that names a live process which is not this instance's, before
    /// Lima may stop the instance forcibly: Lima SIGKILLs the live pid of `ha.pid` and
    /// `<vmType>.pid` (`StopForcibly`, `pkg/instance/stop.go`, v1.0.0–v2.2.0, which `delete`
    /// calls too) and of each `*.drv.pid` (`pkg/driver/external/server/server.go`, v2.2.0)
    /// without asking whose it is. Returns the removed files with the pids they named; a file
    /// that holds no pid is left, as Lima signals nothing for it.
    pub fn remove_foreign_pid_files(&self) -> std::io::Result<Vec<(String, i32)>> {
        let external_drivers = fs_err::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|name| name.ends_with(".drv.pid"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let files = std::iter::once("ha.pid".to_string())
            .chain(DRIVER_PID_FILES.iter().map(|f| f.to_string()))
            .chain(external_drivers);
        let mut removed = Vec::new();
        for file in files {
            if let Ok(Pid::Foreign(pid)) = self.pid_in(&file) {
                match fs_err::remove_file(self.dir.join(&file)) {
                    Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
                    _ => removed.push((file, pid)),
                }
            }
        }
        Ok(removed)
    }

    /// The live process pid file `file` names, and whether it is this instance's.
    fn pid_in(&self, file: &str) -> Result<Pid, String> {
        Ok(match read_pid(&self.dir.join(file))? {
            None => Pid::None,
            Some(pid) if self.is_own_process(pid) => Pid::Own(pid),
            Some(pid) => Pid::Foreign(pid),
        })
    }

    /// Whether live process `pid` belongs to this instance: Lima's processes name the
    /// instance directory on their command line (`hostagent --pidfile <dir>/ha.pid`, QEMU's
    /// `-pidfile <dir>/qemu.pid`), with symlinks resolved as Lima resolves `LIMA_HOME`
    /// (`dirnames.LimaDir`), or as given. An unreadable command line counts as ours, so
    /// berth never treats a real host agent as a stranger.
    fn is_own_process(&self, pid: i32) -> bool {
        let given = self.dir.to_string_lossy().into_owned();
        let real = super::home::real_path(&self.dir)
            .to_string_lossy()
            .into_owned();
        u32::try_from(pid)
            .ok()
            .and_then(process::command_line)
            .is_none_or(|line| line.contains(&given) || line.contains(&real))
    }

    /// Pid and socket files left behind by a crash: top-level `*.pid`/`*.sock` (what
    /// `limactl stop -f` removes) and the forwarded `sock/docker.sock`.
    fn stale_files(&self) -> Vec<PathBuf> {
        let mut stale: Vec<PathBuf> = fs_err::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| {
                        p.extension()
                            .is_some_and(|ext| ext == "pid" || ext == "sock")
                    })
                    .collect()
            })
            .unwrap_or_default();
        let docker = self.docker_socket();
        if docker.exists() {
            stale.push(docker);
        }
        stale.sort();
        stale
    }

    /// A top-level scalar of `lima.yaml` (`cpus: 4`, `memory: "4GiB"`), quotes removed. Lima
    /// writes the values berth passed at create as top-level keys.
    pub fn config_value(&self, key: &str) -> Option<String> {
        let text = fs_err::read_to_string(self.lima_yaml()).ok()?;
        top_level_scalar(&text, key)
    }

    /// The Lima version that created the instance, as `limactl --version` prints it. Lima
    /// writes its build's `git describe` into `lima-version` (`v2.2.0` for a release;
    /// `pkg/instance/create.go`, `Makefile`), and `--version` trims the `v`
    /// (`cmd/limactl/main.go`, v1.0.0–v2.2.0).
    pub fn created_by(&self) -> Option<String> {
        let text = fs_err::read_to_string(self.dir.join("lima-version")).ok()?;
        let version = text.trim();
        Some(version.strip_prefix('v').unwrap_or(version).to_string()).filter(|v| !v.is_empty())
    }
}

/// A top-level scalar of a YAML document as Lima and Colima write theirs, quotes removed.
pub(crate) fn top_level_scalar(yaml: &str, key: &str) -> Option<String> {
    yaml.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix(':')?;
        let value = value.split(" #").next().unwrap_or(value).trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// Lima's `ReadPIDFile`: `None` when the file is missing or its process is gone (EPERM
/// counts as alive), an error when the file does not hold a pid.
fn read_pid(path: &Path) -> Result<Option<i32>, String> {
    let Ok(text) = fs_err::read_to_string(path) else {
        return Ok(None);
    };
    let pid: i32 = text
        .trim()
        .parse()
        .ok()
        .filter(|&p| p > 0)
        .ok_or_else(|| format!("`{}` does not hold a process id", path.display()))?;
    Ok(process::is_alive(pid.unsigned_abs()).then_some(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scalars_are_read_without_quotes() {
        let yaml = "base:\n- template:x\ncpus: 3\nmemory: \"6GiB\"\nmounts:\n- location: \"~\"\n";
        assert_eq!(top_level_scalar(yaml, "cpus").as_deref(), Some("3"));
        assert_eq!(top_level_scalar(yaml, "memory").as_deref(), Some("6GiB"));
        assert_eq!(top_level_scalar(yaml, "disk"), None);
        assert_eq!(top_level_scalar(yaml, "location"), None);
    }

    #[test]
    fn phases_follow_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let instance = InstanceDir::new(dir.path().join("demo"));
        assert_eq!(instance.phase(), Phase::Absent);
        fs_err::create_dir_all(&instance.dir).unwrap();
        assert_eq!(instance.phase(), Phase::HalfCreated);
        fs_err::write(instance.lima_yaml(), "cpus: 2\n").unwrap();
        assert_eq!(
            instance.phase(),
            Phase::Stopped {
                stale: vec![],
                foreign: None
            }
        );
        fs_err::write(instance.dir.join("ha.pid"), "garbage\n").unwrap();
        assert!(matches!(instance.phase(), Phase::Broken { .. }));
        // This process is alive, but it is no Lima process of the instance: a stale file.
        let ha_pid = instance.dir.join("ha.pid");
        fs_err::write(&ha_pid, format!("{}\n", std::process::id())).unwrap();
        match instance.phase() {
            Phase::Stopped { stale, foreign } => {
                assert_eq!(stale, vec![ha_pid]);
                assert!(foreign.unwrap().contains("`ha.pid` names pid"));
            }
            phase => panic!("{phase:?}"),
        }
    }

    #[test]
    fn a_process_naming_the_instance_through_its_real_path_is_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().canonicalize().unwrap().join("real");
        fs_err::create_dir_all(real.join("demo")).unwrap();
        std::os::unix::fs::symlink(&real, tmp.path().join("link")).unwrap();
        // Given through the link, as Colima's `.pixi/colima/_lima` may be; Lima's host agent
        // names the resolved path.
        let instance = InstanceDir::new(tmp.path().join("link/demo"));
        let mut agent = std::process::Command::new("python3")
            .args(["-c", "import time; time.sleep(60)", "--pidfile"])
            .arg(real.join("demo/ha.pid"))
            .spawn()
            .unwrap();
        let pid = agent.id() as i32;
        fs_err::write(instance.dir.join("ha.pid"), format!("{pid}\n")).unwrap();
        let kept = instance.remove_foreign_pid_files().unwrap();
        let _ = agent.kill();
        let _ = agent.wait();
        assert_eq!(kept, vec![]);
        assert!(instance.dir.join("ha.pid").is_file());
    }

    #[test]
    fn before_a_forced_stop_only_files_naming_a_stranger_go() {
        let dir = tempfile::tempdir().unwrap();
        let instance = InstanceDir::new(dir.path().join("demo"));
        fs_err::create_dir_all(&instance.dir).unwrap();
        // This test process is alive and no process of the instance.
        let stranger = format!("{}\n", std::process::id());
        for file in ["ha.pid", "vz.pid", "krunkit.drv.pid"] {
            fs_err::write(instance.dir.join(file), &stranger).unwrap();
        }
        fs_err::write(instance.dir.join("qemu.pid"), "garbage\n").unwrap();
        let mut removed = instance.remove_foreign_pid_files().unwrap();
        removed.sort();
        let pid = std::process::id() as i32;
        assert_eq!(
            removed,
            [
                ("ha.pid".to_string(), pid),
                ("krunkit.drv.pid".to_string(), pid),
                ("vz.pid".to_string(), pid)
            ]
        );
        // Lima signals nothing for a file that holds no pid: it stays.
        assert!(instance.dir.join("qemu.pid").is_file());
        assert!(!instance.dir.join("ha.pid").exists());
    }
}
