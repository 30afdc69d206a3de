//! A small test builder: a temp project with a sandboxed HOME, the built `berth` run in it
//! with a minimal environment, fakes first on PATH, and assertions on what came out.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub const BERTH: &str = env!("CARGO_BIN_EXE_berth");

/// The directory holding the fake programs (`tests/fakes/`).
pub fn fakes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes")
}

/// Write an executable file (a script), creating its parent directories.
pub fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A temporary project: `<tmp>/home` is HOME, `<tmp>/project` holds the manifest,
/// `<tmp>/bin` is first on PATH (fakes go there).
pub struct TestProject {
    dir: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub bin: PathBuf,
}

impl TestProject {
    /// An empty project directory (no manifest).
    pub fn empty() -> TestProject {
        let dir = tempfile::Builder::new()
            .prefix("berth-test-")
            .tempdir()
            .expect("temp dir");
        // Canonical, so paths berth prints (it canonicalises the root) compare equal.
        let base = dir.path().canonicalize().expect("canonical temp dir");
        let project = TestProject {
            root: base.join("project"),
            home: base.join("home"),
            bin: base.join("bin"),
            dir,
        };
        for d in [&project.root, &project.home, &project.bin] {
            std::fs::create_dir_all(d).expect("create test dirs");
        }
        project
    }

    /// A project whose `pixi.toml` is `manifest`.
    pub fn with_manifest(manifest: &str) -> TestProject {
        let project = TestProject::empty();
        project.write("pixi.toml", manifest);
        project
    }

    /// A project with a minimal `[workspace]` followed by `rest`.
    pub fn with_tasks(rest: &str) -> TestProject {
        TestProject::with_manifest(&format!(
            "[workspace]\nname = \"demo\"\nchannels = []\nplatforms = []\n\n{rest}"
        ))
    }

    /// The temp dir holding root, home and bin.
    pub fn base(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the project.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Write a file inside the project, creating its parent directories.
    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("create parent");
        std::fs::write(&path, contents).expect("write file");
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative))
            .unwrap_or_else(|e| panic!("read {relative}: {e}"))
    }

    /// Put the built berth on the project's PATH, for tasks and `eval "$(berth env)"`.
    pub fn install_berth(&self) {
        std::os::unix::fs::symlink(BERTH, self.bin.join("berth")).expect("link berth");
    }

    /// Put the fake `name` from `tests/fakes/` first on PATH.
    pub fn install_fake(&self, name: &str) {
        let target = fakes_dir().join(name);
        assert!(target.exists(), "no fake named {name} in tests/fakes");
        let link = self.bin.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).expect("link fake");
    }

    /// Where the fakes append the argv they were called with, one line each.
    pub fn fake_log_path(&self) -> PathBuf {
        self.base().join("fake-calls.log")
    }

    /// The lines fakes logged so far.
    pub fn fake_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.fake_log_path())
            .map(|s| s.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// PATH for berth: the fake bin dir first, then the system's.
    pub fn path_var(&self) -> String {
        format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// `berth ARGS` in the project root, with a sandboxed environment.
    pub fn berth<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(BERTH);
        command.args(args).current_dir(&self.root);
        self.sandbox(&mut command);
        Run {
            command,
            stdin: None,
        }
    }

    /// Any program, with the same sandboxed environment berth gets.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Run {
        let mut command = Command::new(program);
        command.current_dir(&self.root);
        self.sandbox(&mut command);
        Run {
            command,
            stdin: None,
        }
    }

    fn sandbox(&self, command: &mut Command) {
        command
            .env_clear()
            .env("PATH", self.path_var())
            .env("HOME", &self.home)
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("BERTH_FAKE_LOG", self.fake_log_path())
            .env("USER", "tester")
            .env("LANG", "C.UTF-8");
    }
}

/// A command about to run.
pub struct Run {
    pub command: Command,
    stdin: Option<Vec<u8>>,
}

impl Run {
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Run {
        self.command.env(key, value);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Run {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Run {
        self.command.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Run {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Run {
        self.stdin = Some(input.into());
        self
    }

    /// Start it in the background with stdin closed, stdout dropped and stderr piped, for a
    /// test that acts on it while it runs and then reads how it ended with [`finish`].
    pub fn start(mut self) -> std::process::Child {
        self.command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn berth")
    }

    /// Run to completion and capture everything.
    pub fn run(self) -> Output {
        self.run_within(std::time::Duration::from_secs(600))
            .expect("berth did not finish within 10 minutes")
    }

    /// Run and capture everything, or kill it and return `None` when it outlives `limit`
    /// (a hang is a failure of its own, not a slow test).
    pub fn run_within(mut self, limit: std::time::Duration) -> Option<Output> {
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("spawn berth");
        if let Some(input) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin");
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let pid = child.id();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let output = child.wait_with_output().expect("wait for berth");
            let _ = done_tx.send(());
            output
        });
        if done_rx.recv_timeout(limit).is_err() {
            signal(pid, "KILL");
            let _ = waiter.join();
            return None;
        }
        let output = waiter.join().expect("waiter thread");
        Some(Output {
            code: exit_code(output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// Send the signal named `name` (`INT`, `TERM`, `KILL`, …) to process `pid`; whether it was
/// sent (not when the process is gone).
pub fn signal(pid: u32, name: &str) -> bool {
    send(pid, name, nix::sys::signal::kill)
}

/// Send the signal named `name` to every process of the group `pgid`; whether it was sent.
pub fn signal_group(pgid: u32, name: &str) -> bool {
    send(pgid, name, nix::sys::signal::killpg)
}

fn send(
    id: u32,
    name: &str,
    to: fn(nix::unistd::Pid, nix::sys::signal::Signal) -> nix::Result<()>,
) -> bool {
    let signal = format!("SIG{name}")
        .parse()
        .unwrap_or_else(|_| panic!("no signal named {name}"));
    i32::try_from(id).is_ok_and(|id| to(nix::unistd::Pid::from_raw(id), signal).is_ok())
}

/// Whether process `pid` exists, a zombie included (`kill(pid, 0)`).
pub fn pid_exists(pid: u32) -> bool {
    i32::try_from(pid)
        .is_ok_and(|pid| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok())
}

/// The exit code, or 128+N for a death by signal N (as a shell reports it).
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Wait for a spawned berth and collect what it did.
pub fn finish(child: std::process::Child) -> Output {
    let output = child.wait_with_output().expect("wait for berth");
    Output {
        code: exit_code(output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Whether `pid` runs. A zombie does not: a killed berth's exited child waits for whoever
/// adopted it to reap it, which in a container may never happen.
pub fn alive(pid: u32) -> bool {
    let out = Command::new("ps")
        .args(["-o", "stat=", "-p", &pid.to_string()])
        .output()
        .expect("ps");
    let stat = String::from_utf8_lossy(&out.stdout);
    out.status.success() && !stat.trim().is_empty() && !stat.trim().starts_with('Z')
}

/// What a finished command did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Output {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Output {
        self.code(0)
    }

    #[track_caller]
    pub fn stdout_is(&self, expected: &str) -> &Output {
        assert_eq!(self.stdout, expected, "stdout\n--- stderr\n{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Output {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Output {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(&self, needle: &str) -> &Output {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// The `message` of each of the `problems` that `berth doctor --json` printed.
    pub fn problem_messages(&self) -> Vec<String> {
        let json = self.json();
        let problems = json["problems"].as_array().unwrap_or_else(|| {
            panic!("no problems array in:\n{}", self.stdout);
        });
        problems
            .iter()
            .map(|problem| problem["message"].as_str().unwrap().to_string())
            .collect()
    }
}

/// Whether the real Docker engine answers (asked once per test run). An engine test begins
/// with `if !docker_available() { return; }`: without an engine it is skipped ([`skip`]).
pub fn docker_available() -> bool {
    let answers = docker_answers();
    if !answers {
        skip("no Docker engine answers `docker version`");
    }
    answers
}

/// Whether the real Docker engine answers, asked once per test run; no test is skipped. For
/// the prerequisites of a harness that needs more than the engine (the test sshd, the private
/// swarm), which skip with a reason of their own.
pub fn docker_answers() -> bool {
    static ANSWERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANSWERED.get_or_init(|| {
        Command::new("docker")
            .args(["version", "--format", "{{.Server.Version}}"])
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// How many tests this run skipped, for each reason.
static SKIPPED: std::sync::Mutex<BTreeMap<String, usize>> = std::sync::Mutex::new(BTreeMap::new());

/// Skip the running test because `reason` (a prerequisite it names is missing), or fail it
/// under `BERTH_REQUIRE_DOCKER=1` (CI). The skip is said on the terminal now, and counted in a
/// line for its reason printed as the test run ends.
pub fn skip(reason: &str) {
    if std::env::var("BERTH_REQUIRE_DOCKER").as_deref() == Ok("1") {
        panic!("BERTH_REQUIRE_DOCKER=1, but {reason}");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let mut skipped = SKIPPED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if skipped.is_empty() {
        // SAFETY: registers a function taking and returning nothing, run once at exit.
        unsafe { nix::libc::atexit(report_skips) };
    }
    *skipped.entry(reason.to_string()).or_default() += 1;
    // Straight to the terminal: the test harness captures `eprintln!`, not this.
    let _ = writeln!(std::io::stderr(), "skipped {test}: {reason}");
}

/// The skipped tests, a line for each reason, as the test binary exits.
extern "C" fn report_skips() {
    let skipped = SKIPPED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (reason, count) in skipped.iter() {
        let _ = writeln!(
            std::io::stderr(),
            "{count} test(s) skipped: {reason} (BERTH_REQUIRE_DOCKER=1 makes that a failure)"
        );
    }
}

/// `docker ARGS` against the host engine, whatever the test's environment says; its stdout.
pub fn host_docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Remove, on the host engine, the containers `filter` (a `docker ps --filter`) matches and the
/// default networks of compose `projects`: what a compose test leaves when it fails midway.
pub fn remove_compose_leftovers(filter: &str, projects: &[String]) {
    let ids = host_docker(&["ps", "-aq", "--filter", filter]);
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .stdout(Stdio::null())
            .status();
    }
    for project in projects {
        let _ = Command::new("docker")
            .args(["network", "rm", &format!("{project}_default")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The busybox image `.ci/run` imports for engine tests.
pub const TEST_IMAGE: &str = "berth-test/busybox:1";

/// Kill the fake Lima host agents of the project at `root` (pids in
/// `.pixi/lima/*/ha.pid` and the driver pid files), so no test leaves a process behind.
/// Only a process whose command line names the instance directory is killed: a stale pid
/// file may name a pid the system has since given to someone else's process.
pub fn kill_lima_agents(root: &Path) {
    let Ok(instances) = std::fs::read_dir(root.join(".pixi/lima")) else {
        return;
    };
    for instance in instances.filter_map(Result::ok) {
        // The agent names its directory as LIMA_HOME spelled it: through `.pixi/lima` or,
        // where that links to a short directory, the real path.
        let dirs = [
            instance.path(),
            instance.path().canonicalize().unwrap_or_default(),
        ];
        for file in ["ha.pid", "qemu.pid", "vz.pid"] {
            let Ok(text) = std::fs::read_to_string(instance.path().join(file)) else {
                continue;
            };
            if let Ok(pid) = text.trim().parse::<u32>()
                && dirs.iter().any(|dir| command_line_names(pid, dir))
            {
                signal(pid, "KILL");
            }
        }
    }
}

/// Whether the command line of process `pid` names `path`.
fn command_line_names(pid: u32, path: &Path) -> bool {
    let Ok(line) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let wanted = path.as_os_str().as_encoded_bytes();
    !wanted.is_empty() && line.windows(wanted.len()).any(|window| window == wanted)
}

/// A project on the fake Lima runtime (`tests/fakes/limactl` first on PATH). Dropping it
/// kills every host agent the fake started, however the test ends.
pub struct LimaProject(pub TestProject);

impl std::ops::Deref for LimaProject {
    type Target = TestProject;
    fn deref(&self) -> &TestProject {
        &self.0
    }
}

impl Drop for LimaProject {
    fn drop(&mut self) {
        kill_lima_agents(&self.0.root);
    }
}

impl LimaProject {
    /// A project whose `pixi.toml` is `manifest` (under the usual workspace table).
    pub fn with_manifest(manifest: &str) -> LimaProject {
        let p = TestProject::with_tasks(manifest);
        p.install_fake("limactl");
        LimaProject(p)
    }
}

/// The longest socket path Lima checks for instance `name` in `lima_home` (Lima's
/// `pkg/instance/create.go`: `<home>/<name>/ssh.sock` plus 16 random characters).
pub fn lima_socket_len(lima_home: &Path, name: &str) -> usize {
    lima_home
        .join(name)
        .join("ssh.sock.1234567890123456")
        .as_os_str()
        .len()
}

/// A process the test started, killed and reaped when dropped, however the test ends.
pub struct Reaped(pub std::process::Child);

impl Reaped {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A live process that belongs to no instance (`sleep 600`): what a pid file names once the
/// system gave its pid to someone else, e.g. after a reboot.
pub fn stranger() -> Reaped {
    Reaped(
        Command::new("sleep")
            .arg("600")
            .spawn()
            .expect("spawn sleep"),
    )
}

/// Wait until process `pid` is gone and reaped, not just dead: Lima (and berth) read a pid
/// that still exists, a zombie included, as a live process.
#[track_caller]
pub fn wait_until_reaped(pid: u32) {
    wait_until(&format!("process {pid} to be reaped"), || !pid_exists(pid));
}

/// Poll until `done` holds; the generous deadline only turns a hang into a failure.
#[track_caller]
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
