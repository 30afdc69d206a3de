//! The state of an instance, read from its directory the way Lima's own `Inspect` does
//! (lima.md §2.3): pid files checked with `kill(pid, 0)`, then one connect to the forwarded
//! Docker socket. No child process, so `status` and an idempotent `init` cost a few syscalls.

use std::path::{Path, PathBuf};

use crate::runtime::docker_ping;

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
    /// No live process. `stale` lists pid and socket files a crash left behind.
    Stopped { stale: Vec<PathBuf> },
    /// The host agent runs and Docker answers on the forwarded socket.
    Running { host_agent: i32 },
    /// Anything in between, with the reason.
    Broken { reason: String },
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
        let host_agent = match read_pid(&self.dir.join("ha.pid")) {
            Ok(pid) => pid,
            Err(reason) => return Phase::Broken { reason },
        };
        let mut driver = None;
        for file in DRIVER_PID_FILES {
            match read_pid(&self.dir.join(file)) {
                Ok(Some(pid)) => driver = Some((*file, pid)),
                Ok(None) => {}
                Err(reason) => return Phase::Broken { reason },
            }
        }
        match (host_agent, driver) {
            (Some(pid), _) if docker_ping(&self.docker_socket()) => {
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
            },
        }
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

    /// The Lima version that created the instance (Lima writes `lima-version`).
    pub fn created_by(&self) -> Option<String> {
        let text = fs_err::read_to_string(self.dir.join("lima-version")).ok()?;
        Some(text.trim().to_string()).filter(|v| !v.is_empty())
    }
}

fn top_level_scalar(yaml: &str, key: &str) -> Option<String> {
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
    Ok(is_alive(pid).then_some(pid))
}

pub fn is_alive(pid: i32) -> bool {
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
            Ok(()) | Err(Errno::EPERM) => true,
            Err(_) => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
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
        assert_eq!(instance.phase(), Phase::Stopped { stale: vec![] });
        fs_err::write(instance.dir.join("ha.pid"), "garbage\n").unwrap();
        assert!(matches!(instance.phase(), Phase::Broken { .. }));
        // This process is alive, but no Docker answers on its socket.
        fs_err::write(
            instance.dir.join("ha.pid"),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        assert!(matches!(instance.phase(), Phase::Broken { .. }));
    }
}
