//! A private single-node Docker Swarm for the cluster tests, never the machine's own engine
//! (which other tests, and other people's, use, and which must never be `swarm init`ed).
//!
//! A second dockerd with its own data-root, exec-root, pid file, config file and socket under
//! `/tmp/berth-swarm-*`, `--bridge=none --iptables=false --ip-masq=false`, started by
//! `unshare` in network, mount and pid namespaces of its own:
//! - network: a dockerd in the machine's namespace deletes the main engine's `docker0`;
//! - mount: whatever it mounts (overlay layers, shm, netns files) exists only in its
//!   namespace, which vanishes with its last process, so no mount outlives it, however the
//!   test run ends;
//! - pid: dockerd is the namespace's first process, and when it dies the kernel kills
//!   everything else in it (containerd, shims, the tasks' processes).
//!
//! One swarm serves every test of a run (it starts in about 1.5 s and stops in about 3): it
//! stops when the test binary exits (an `atexit` hook sends dockerd SIGTERM, then removes its
//! directory), or, when the binary is killed, through the parent-death signal `unshare` gets
//! (SIGKILL), passed on by `--kill-child`. A directory left by a killed run is removed by the
//! next one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::harness::{TEST_IMAGE, docker_answers, skip};

pub struct PrivateSwarm {
    dir: PathBuf,
    socket: PathBuf,
    /// The `unshare` process, in the machine's pid namespace.
    unshare: u32,
    /// dockerd, its child, as the machine's pid namespace numbers it.
    dockerd: u32,
}

/// The run's private swarm, or why this machine cannot run one.
static SWARM: OnceLock<Result<PrivateSwarm, String>> = OnceLock::new();

/// The run's private swarm, started on first use; `None` when this machine cannot run one:
/// the test is skipped for that reason ([`skip`]), which `BERTH_REQUIRE_DOCKER=1` turns into
/// a failure.
pub fn private_swarm() -> Option<&'static PrivateSwarm> {
    let swarm = SWARM.get_or_init(|| {
        if let Some(missing) = missing_prerequisite() {
            return Err(missing);
        }
        let swarm = PrivateSwarm::start();
        // SAFETY: registers a plain function; it runs once, at exit.
        unsafe { atexit(stop_at_exit) };
        Ok(swarm)
    });
    match swarm {
        Ok(swarm) => Some(swarm),
        Err(missing) => {
            skip(&format!("no private swarm: {missing}"));
            None
        }
    }
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> i32;
}

extern "C" fn stop_at_exit() {
    if let Some(Ok(swarm)) = SWARM.get() {
        swarm.stop();
    }
}

/// Why this machine cannot run a private swarm, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !docker_answers() {
        return Some("no Docker engine to take the test image from".into());
    }
    let uid = Command::new("id").arg("-u").output().expect("id -u").stdout;
    if uid.trim_ascii() != b"0" {
        return Some("a second dockerd and its namespaces need root".into());
    }
    for program in ["unshare", "ip", "dockerd"] {
        if which(program).is_none() {
            return Some(format!(
                "`{program}` is not on PATH (Debian: util-linux, iproute2, docker.io)"
            ));
        }
    }
    None
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

impl PrivateSwarm {
    fn start() -> PrivateSwarm {
        remove_leftovers();
        let dir = tempfile::Builder::new()
            .prefix("berth-swarm-")
            .tempdir_in("/tmp")
            .expect("swarm dir")
            .keep();
        std::fs::write(dir.join("owner.pid"), std::process::id().to_string()).unwrap();
        std::fs::write(dir.join("daemon.json"), "{}\n").unwrap();
        let socket = dir.join("docker.sock");
        let unshare = spawn_daemon(&dir, &socket);
        let started = Instant::now();
        let mut swarm = PrivateSwarm {
            dockerd: 0,
            dir,
            socket,
            unshare,
        };
        while !swarm.answers() {
            assert!(
                crate::harness::alive(unshare) && started.elapsed() < Duration::from_secs(60),
                "the private dockerd did not come up:\n{}",
                swarm.daemon_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        swarm.dockerd = child_of(unshare).expect("dockerd runs under unshare");
        // Inside its own network namespace, every port of 127.0.0.1 is free.
        swarm.docker_ok(&[
            "swarm",
            "init",
            "--advertise-addr",
            "127.0.0.1",
            "--listen-addr",
            "127.0.0.1:2377",
        ]);
        swarm.load_test_image();
        eprintln!(
            "private swarm at {} ready in {:.1}s",
            swarm.socket.display(),
            started.elapsed().as_secs_f64()
        );
        swarm
    }

    /// `DOCKER_HOST` for the private engine.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// `docker ARGS` against the private engine.
    pub fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .arg("--host")
            .arg(self.host())
            .args(args)
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::null())
            .output()
            .expect("run docker")
    }

    /// `docker ARGS` against the private engine, which must succeed; its stdout.
    #[track_caller]
    pub fn docker_ok(&self, args: &[&str]) -> String {
        let output = self.docker(args);
        assert!(
            output.status.success(),
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The host name of the swarm's only node.
    pub fn node_name(&self) -> String {
        self.docker_ok(&["info", "--format", "{{.Name}}"])
            .trim()
            .to_string()
    }

    fn answers(&self) -> bool {
        self.docker(&["version", "--format", "{{.Server.Version}}"])
            .status
            .success()
    }

    fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dockerd.log")).unwrap_or_default()
    }

    /// `docker save` from the machine's engine into `docker load` on the private one.
    fn load_test_image(&self) {
        let mut save = Command::new("docker")
            .args(["save", TEST_IMAGE])
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .stdout(Stdio::piped())
            .spawn()
            .expect("docker save");
        let load = Command::new("docker")
            .arg("--host")
            .arg(self.host())
            .arg("load")
            .stdin(save.stdout.take().expect("save's stdout"))
            .output()
            .expect("docker load");
        assert!(
            save.wait().unwrap().success(),
            "docker save {TEST_IMAGE} failed"
        );
        assert!(
            load.status.success(),
            "docker load failed: {}",
            String::from_utf8_lossy(&load.stderr)
        );
    }

    /// SIGTERM to dockerd (it stops its containers and unmounts), SIGKILL to `unshare` when it
    /// is still there after 30 s (`--kill-child` passes it on), then the directory goes. Runs at
    /// exit: it reports nothing and never panics.
    fn stop(&self) {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        let (Ok(unshare), Ok(dockerd)) = (i32::try_from(self.unshare), i32::try_from(self.dockerd))
        else {
            return;
        };
        let _ = kill(Pid::from_raw(dockerd), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while crate::harness::alive(self.unshare) {
            if Instant::now() > deadline {
                let _ = kill(Pid::from_raw(unshare), Signal::SIGKILL);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        while crate::harness::alive(self.dockerd) {
            std::thread::sleep(Duration::from_millis(20));
        }
        remove_leftover(&self.dir);
    }
}

/// Start `unshare … dockerd` from a thread that lives as long as the test binary: the
/// parent-death signal fires when the thread that started the child ends, not the process.
fn spawn_daemon(dir: &Path, socket: &Path) -> u32 {
    let d = |name: &str| dir.join(name).display().to_string();
    let script = format!(
        "ip link set lo up && exec dockerd --config-file {} --data-root {} --exec-root {} \
         --pidfile {} -H unix://{} --bridge=none --iptables=false --ip-masq=false \
         --cgroup-parent {}",
        d("daemon.json"),
        d("data"),
        d("exec"),
        d("dockerd.pid"),
        socket.display(),
        cgroup_parent(dir)
    );
    let log = std::fs::File::create(dir.join("dockerd.log")).expect("dockerd log");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut command = Command::new("unshare");
        command
            .args([
                "--net",
                "--mount",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount-proc",
                "--propagation",
                "private",
                "sh",
                "-c",
                &script,
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        // SAFETY: prctl(2) only, which is async-signal-safe and allocates nothing.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)
                    .map_err(std::io::Error::from)
            });
        }
        let mut child = command.spawn().expect("spawn unshare");
        sender.send(child.id()).expect("report the pid");
        let _ = child.wait();
    });
    receiver.recv().expect("unshare's pid")
}

/// The first child of `pid`.
fn child_of(pid: u32) -> Option<u32> {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children.split_whitespace().next()?.parse().ok()
}

/// Remove the directories of private swarms whose test binary is gone (killed before its
/// `atexit` ran; its daemon died with it).
fn remove_leftovers() {
    let Ok(entries) = std::fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("berth-swarm-"));
        let owner = std::fs::read_to_string(path.join("owner.pid"))
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok());
        if ours && owner.is_some_and(|pid| !crate::harness::alive(pid)) {
            remove_leftover(&path);
        }
    }
}

/// The cgroup the private daemon puts its containers under: named after its directory, so
/// that it is its own and can go with it.
fn cgroup_parent(dir: &Path) -> String {
    dir.file_name()
        .expect("a named directory")
        .to_string_lossy()
        .into_owned()
}

/// Remove a stopped private swarm's directory and the cgroups it left: a daemon stopped while
/// its agent still removes a task, or killed, leaves its containers' (empty) cgroup
/// directories behind, in every hierarchy (`/sys/fs/cgroup/<controller>/<parent>/<id>` on
/// cgroup v1, `/sys/fs/cgroup/<parent>/<id>` on v2).
fn remove_leftover(dir: &Path) {
    let parent = cgroup_parent(dir);
    let root = Path::new("/sys/fs/cgroup");
    let hierarchies = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_else(|_| Vec::new());
    for base in std::iter::once(root.to_path_buf())
        .chain(hierarchies)
        .map(|hierarchy| hierarchy.join(&parent))
        .filter(|base| base.is_dir())
    {
        for cgroup in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            if cgroup.path().is_dir() {
                let _ = std::fs::remove_dir(cgroup.path());
            }
        }
        let _ = std::fs::remove_dir(&base);
    }
    let _ = std::fs::remove_dir_all(dir);
}
