//! The one place berth starts other programs: finding them, `exec` for pass-through, a
//! foreground child with berth's signal policy, and captured runs for queries.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host::{self, Os};
use crate::ui;

/// Find `name` on `PATH`, then in `<root>/.pixi/envs/*/bin` where pixi installs tools.
pub fn find_program(name: &str, envs_dir: Option<&Path>) -> Option<PathBuf> {
    if let Ok(path) = which::which(name) {
        return Some(path);
    }
    let envs = fs_err::read_dir(envs_dir?).ok()?;
    let mut candidates: Vec<PathBuf> = envs
        .filter_map(Result::ok)
        .map(|env| env.path().join("bin").join(name))
        .filter(|p| p.is_file())
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// Like [`find_program`], but a missing program is an error that says how to install it.
pub fn require_program(name: &str, envs_dir: Option<&Path>) -> Result<PathBuf> {
    find_program(name, envs_dir).ok_or_else(|| {
        let mut diagnostic = Diagnostic::new(format!("`{name}` was not found on PATH"));
        for hint in install_hints(name) {
            diagnostic = diagnostic.help(hint);
        }
        diagnostic.into()
    })
}

fn install_hints(name: &str) -> Vec<String> {
    let macos = host::Os::current() == Os::Macos;
    let pixi = |package: &str| format!("or add it to the project: `pixi add {package}`");
    match name {
        "limactl" if macos => vec!["install Lima: `brew install lima`".into(), pixi("lima")],
        "limactl" => vec![
            "install Lima from its release tarball (https://lima-vm.io/docs/installation/)".into(),
            pixi("lima"),
        ],
        "docker" if macos => vec!["install the Docker CLI: `brew install docker`".into(), pixi("docker-cli")],
        "docker" => vec!["install the Docker CLI: `sudo apt-get install docker.io`".into(), pixi("docker-cli")],
        "docker-compose" if macos => vec!["install Compose: `brew install docker-compose`".into(), pixi("docker-compose")],
        "docker-compose" => vec!["install Compose: `sudo apt-get install docker-compose`".into(), pixi("docker-compose")],
        "colima" => vec!["install Colima: `brew install colima`".into()],
        "podman" if macos => vec!["install Podman: `brew install podman`".into()],
        "podman" => vec!["install Podman: `sudo apt-get install podman`".into()],
        "container" => vec!["install Apple's container CLI from https://github.com/apple/container/releases (macOS 26+, Apple silicon)".into()],
        _ => vec![format!("install `{name}` and make sure it is on PATH")],
    }
}

/// The command line, shell-quoted, for `-v` output and error messages.
pub fn display_command(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(quote_for_display)
        .collect::<Vec<_>>()
        .join(" ")
}

fn quote_for_display(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// Replace berth with `command` (Unix `exec`), so argv, stdin, the TTY, signals and the exit
/// code are the child's own. Elsewhere, run it in the foreground and return its status.
pub fn exec_replace(mut command: Command) -> Result<ExitStatus> {
    ui::debug(&format!("exec {}", display_command(&command)));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = command.exec();
        Err(err).with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })
    }
    #[cfg(not(unix))]
    {
        run_foreground(command)
    }
}

/// Run `command` in the foreground and wait. While it runs, berth ignores Ctrl-C (the
/// terminal sends it to the child too) and the child's status becomes berth's.
pub fn run_foreground(mut command: Command) -> Result<ExitStatus> {
    ui::debug(&format!("run {}", display_command(&command)));
    let _guard = signals::IgnoreInterrupts::new();
    let status = command.status().with_context(|| {
        format!(
            "failed to run `{}`",
            command.get_program().to_string_lossy()
        )
    })?;
    Ok(ExitStatus::from_std(status))
}

/// The captured result of a query command.
pub struct Captured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Run `command` with its output captured (for queries such as `limactl --version`).
pub fn capture(mut command: Command) -> Result<Captured> {
    ui::debug(&format!("run {}", display_command(&command)));
    let output = command
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })?;
    Ok(Captured {
        status: ExitStatus::from_std(output.status),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// Like [`capture`], but the child runs in a process group of its own, so a Ctrl-C at the
/// terminal does not reach it: for the engine calls berth makes while it looks after a job
/// and the clean-up after an interruption, which a second Ctrl-C must not cut short.
pub fn capture_shielded(mut command: Command) -> Result<Captured> {
    shield(&mut command);
    capture(command)
}

/// Run `command` shielded (see [`capture_shielded`]) with stdin closed and its stdout and
/// stderr going, byte for byte, into `stdout` and `stderr`; its exit status.
pub fn run_into_files(
    mut command: Command,
    stdout: std::fs::File,
    stderr: std::fs::File,
) -> Result<ExitStatus> {
    ui::debug(&format!("run {}", display_command(&command)));
    shield(&mut command);
    let status = command
        .stdin(std::process::Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .status()
        .with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })?;
    Ok(ExitStatus::from_std(status))
}

fn shield(command: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    #[cfg(not(unix))]
    let _ = command;
}

/// Start `command` to outlive berth: in a session of its own (no terminal, so neither Ctrl-C
/// nor a closed terminal reaches it), stdin closed, stdout and stderr into `log`. For a
/// runtime's background process (the ssh forward), which a later berth stops by its pid.
pub fn spawn_detached(mut command: Command, log: std::fs::File) -> Result<std::process::Child> {
    ui::debug(&format!("start {}", display_command(&command)));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid(2) only, which is async-signal-safe and allocates nothing.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()
                    .map(|_| ())
                    .map_err(std::io::Error::from)
            });
        }
    }
    command
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().context("failed to share a log file")?)
        .stderr(log)
        .spawn()
        .with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })
}

/// Like [`capture`], but a child still running after `limit` is killed: `None` then. For a
/// query over the network, which must not hang berth.
pub fn capture_within(
    mut command: Command,
    limit: std::time::Duration,
) -> Result<Option<Captured>> {
    use std::io::Read;
    let mut child = spawn_piped(&mut command)?;
    let read = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = read(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let stderr = read(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child
            .try_wait()
            .context("failed to wait for a child process")?
        {
            break Some(status);
        }
        if std::time::Instant::now() >= deadline || signals::interrupted() {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    Ok(status.map(|status| Captured {
        status: ExitStatus::from_std(status),
        stdout,
        stderr,
    }))
}

/// Start `command` with stdin closed and both output streams piped, for berth to read.
fn spawn_piped(command: &mut Command) -> Result<std::process::Child> {
    use std::process::Stdio;
    ui::debug(&format!("run {}", display_command(command)));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })
}

/// Whether process `pid` runs: alive and not a zombie (an exited child nobody reaped yet,
/// which in a container whose first process reaps nothing may stay forever).
pub fn is_running(pid: u32) -> bool {
    if !is_alive(pid) {
        return false;
    }
    if !cfg!(target_os = "linux") {
        return true;
    }
    // `/proc/<pid>/stat`: `pid (comm) state …`; the comm may hold spaces and parentheses.
    fs_err::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1;
            after.split_whitespace().next().map(|state| state != "Z")
        })
        .unwrap_or(false)
}

/// End process `pid`, which berth started in the background earlier: SIGTERM, then SIGKILL
/// when it still runs after `grace`; returns once it no longer runs.
pub fn terminate(pid: u32, grace: std::time::Duration) {
    use std::time::{Duration, Instant};
    signal_pid(pid, Sig::Term);
    let deadline = Instant::now() + grace;
    while is_running(pid) {
        if Instant::now() >= deadline {
            signal_pid(pid, Sig::Kill);
            let killed = Instant::now();
            while is_running(pid) && killed.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Which of a child's output streams a line came from.
pub use crate::ui::Stream;

/// How a streamed child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    Exited(ExitStatus),
    /// berth was interrupted ([`signals::interrupted`]); the child got SIGINT and was reaped.
    Interrupted,
}

/// A file naming the child berth is running, for as long as it runs. A berth killed outright
/// (SIGKILL) cannot stop its child, which goes on acting on the project; the next berth reads
/// the file and stops that child first ([`ChildRecord::stop_leftover`]).
#[derive(Clone)]
pub struct ChildRecord {
    path: PathBuf,
}

impl ChildRecord {
    pub fn new(path: PathBuf) -> ChildRecord {
        ChildRecord { path }
    }

    fn write(&self, pid: u32) {
        if let Some(parent) = self.path.parent() {
            let _ = fs_err::create_dir_all(parent);
        }
        if let Err(err) = fs_err::write(&self.path, format!("{pid}\n")) {
            ui::debug(&format!("could not record the child's pid: {err}"));
        }
    }

    fn clear(&self) {
        let _ = fs_err::remove_file(&self.path);
    }

    /// Stop the child an earlier, killed berth left running: the recorded pid, when it is
    /// alive and its command line still names `program` (a reused pid is left alone). SIGINT
    /// first, SIGKILL when it is still there after 5 s. Returns the pid it stopped.
    pub fn stop_leftover(&self, program: &Path) -> Option<u32> {
        let text = fs_err::read_to_string(&self.path).ok()?;
        self.clear();
        let pid: u32 = text.trim().parse().ok()?;
        let ours =
            command_line(pid).is_some_and(|line| line.contains(program.to_string_lossy().as_ref()));
        if !is_alive(pid) || !ours {
            return None;
        }
        signal_pid(pid, Sig::Int);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while is_alive(pid) {
            if std::time::Instant::now() > deadline {
                signal_pid(pid, Sig::Kill);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(pid)
    }
}

/// Whether process `pid` exists (`kill(pid, 0)`; EPERM means it exists but is not ours).
pub fn is_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        pid > 0
            && matches!(
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
                Ok(()) | Err(Errno::EPERM)
            )
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        false
    }
}

/// The command line of process `pid`, its words joined by spaces, when it can be read:
/// `/proc/<pid>/cmdline` on Linux, `ps` elsewhere.
pub fn command_line(pid: u32) -> Option<String> {
    if cfg!(target_os = "linux") {
        let bytes = fs_err::read(format!("/proc/{pid}/cmdline")).ok()?;
        let words: Vec<String> = bytes
            .split(|&b| b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        return (!words.is_empty()).then(|| words.join(" "));
    }
    let mut ps = Command::new("ps");
    ps.args(["-ww", "-o", "command=", "-p", &pid.to_string()]);
    let captured = capture(ps).ok()?;
    let line = captured.stdout.trim();
    (captured.status.code() == 0 && !line.is_empty()).then(|| line.to_string())
}

/// Run `command` with stdin closed and both output streams piped, handing every line to
/// `on_line` as it arrives (for progress and logs). When berth is interrupted while the child
/// runs (see [`signals::CatchInterrupts`]), the child gets SIGINT, then SIGKILL if it is still
/// there after a few seconds. `record`, when given, names the child while it runs.
pub fn run_streaming(
    mut command: Command,
    record: Option<&ChildRecord>,
    mut on_line: impl FnMut(Stream, &str),
) -> Result<Streamed> {
    use std::io::BufRead;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    let mut child = spawn_piped(&mut command)?;
    if let Some(record) = record {
        record.write(child.id());
    }
    let (sender, lines) = mpsc::channel::<(Stream, String)>();
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|r| (Stream::Stdout, Box::new(r) as Box<dyn std::io::Read + Send>)),
        child
            .stderr
            .take()
            .map(|r| (Stream::Stderr, Box::new(r) as Box<dyn std::io::Read + Send>)),
    ]
    .into_iter()
    .flatten()
    .map(|(stream, reader)| {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(reader);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                if sender.send((stream, text)).is_err() {
                    break;
                }
                line.clear();
            }
        })
    })
    .collect();
    drop(sender);

    let mut interrupted_at: Option<Instant> = None;
    loop {
        match lines.recv_timeout(Duration::from_millis(100)) {
            Ok((stream, line)) => on_line(stream, &line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if signals::interrupted() {
            match interrupted_at {
                None => {
                    signal_pid(child.id(), Sig::Int);
                    interrupted_at = Some(Instant::now());
                }
                Some(at) if at.elapsed() > Duration::from_secs(5) => {
                    signal_pid(child.id(), Sig::Kill)
                }
                Some(_) => {}
            }
        }
    }
    for reader in readers {
        let _ = reader.join();
    }
    let status = child.wait().context("failed to wait for a child process")?;
    if let Some(record) = record {
        record.clear();
    }
    if interrupted_at.is_some() || signals::interrupted() {
        return Ok(Streamed::Interrupted);
    }
    Ok(Streamed::Exited(ExitStatus::from_std(status)))
}

/// The signals berth sends its children.
#[derive(Debug, Clone, Copy)]
enum Sig {
    Int,
    Term,
    Kill,
}

/// `signal` to process `pid`, which may already be gone.
fn signal_pid(pid: u32, signal: Sig) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, kill as send};
        let signal = match signal {
            Sig::Int => Signal::SIGINT,
            Sig::Term => Signal::SIGTERM,
            Sig::Kill => Signal::SIGKILL,
        };
        if let Ok(pid) = i32::try_from(pid) {
            let _ = send(nix::unistd::Pid::from_raw(pid), signal);
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (pid, signal);
    }
}

/// Limits applied to a watched child just before it runs its program (Unix `setrlimit`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits {
    /// RLIMIT_AS: the bytes of address space each process may map.
    pub address_space_bytes: Option<u64>,
    /// RLIMIT_CPU: seconds of CPU time each process may use; SIGXCPU at the limit, SIGKILL a
    /// second later.
    pub cpu_seconds: Option<u64>,
}

/// What happened while waiting for a watched child.
#[derive(Debug)]
pub enum Event {
    Exited(std::process::ExitStatus),
    DeadlinePassed,
    Interrupted,
}

/// A child in its own process group, so berth (not the terminal) decides when it and
/// everything it started die, with Ctrl-C caught for as long as the watch lives.
pub struct Watched {
    pid: u32,
    pub stdout: Option<std::process::ChildStdout>,
    pub stderr: Option<std::process::ChildStderr>,
    exited: std::sync::mpsc::Receiver<std::io::Result<std::process::ExitStatus>>,
    _interrupts: signals::CatchInterrupts,
}

impl Watched {
    /// Start `command` in a new process group with `limits`.
    pub fn spawn(mut command: Command, limits: Limits) -> Result<Watched> {
        ui::debug(&format!("run {}", display_command(&command)));
        let interrupts = signals::CatchInterrupts::new();
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
            if limits.address_space_bytes.is_some() || limits.cpu_seconds.is_some() {
                // SAFETY: the closure only calls setrlimit, which is async-signal-safe, and
                // allocates nothing.
                unsafe {
                    command.pre_exec(move || apply_limits(limits));
                }
            }
        }
        #[cfg(not(unix))]
        let _ = limits;
        let mut child = command.spawn().with_context(|| {
            format!(
                "failed to run `{}`",
                command.get_program().to_string_lossy()
            )
        })?;
        let (sender, exited) = std::sync::mpsc::channel();
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let pid = child.id();
        // The wait blocks, so it gets a thread; the channel lets the caller wait with a
        // deadline and still notice Ctrl-C.
        std::thread::spawn(move || {
            let _ = sender.send(child.wait());
        });
        Ok(Watched {
            pid,
            stdout,
            stderr,
            exited,
            _interrupts: interrupts,
        })
    }

    /// Wait until the child exits, `deadline` passes or Ctrl-C is pressed.
    pub fn next_event(&self, deadline: Option<std::time::Instant>) -> Result<Event> {
        use std::sync::mpsc::RecvTimeoutError;
        use std::time::{Duration, Instant};
        // Ctrl-C only sets a flag, so the wait wakes up now and then to look at it.
        const TICK: Duration = Duration::from_millis(50);
        loop {
            if signals::interrupted() {
                return Ok(Event::Interrupted);
            }
            let now = Instant::now();
            let wait = match deadline {
                Some(deadline) if deadline <= now => return Ok(Event::DeadlinePassed),
                Some(deadline) => TICK.min(deadline - now),
                None => TICK,
            };
            match self.exited.recv_timeout(wait) {
                Ok(status) => return Ok(Event::Exited(status?)),
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    anyhow::bail!("lost track of process {}", self.pid)
                }
            }
        }
    }

    /// Wait for the child to exit, however long it takes (after it was killed).
    pub fn wait(&self) -> Result<std::process::ExitStatus> {
        let status = self
            .exited
            .recv()
            .map_err(|_| anyhow::anyhow!("lost track of process {}", self.pid))?;
        Ok(status?)
    }

    /// Send SIGKILL to the child's whole process group. A group already gone is fine.
    pub fn kill_group(&self) {
        #[cfg(unix)]
        if let Ok(pid) = i32::try_from(self.pid) {
            let pgid = nix::unistd::Pid::from_raw(pid);
            let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
        }
    }
}

#[cfg(unix)]
fn apply_limits(limits: Limits) -> std::io::Result<()> {
    use nix::sys::resource::{Resource, setrlimit};
    if let Some(bytes) = limits.address_space_bytes {
        setrlimit(Resource::RLIMIT_AS, bytes, bytes)?;
    }
    if let Some(seconds) = limits.cpu_seconds {
        // The soft limit sends SIGXCPU; the hard one, a second later, SIGKILL for a process
        // that catches SIGXCPU.
        setrlimit(Resource::RLIMIT_CPU, seconds, seconds.saturating_add(1))?;
    }
    Ok(())
}

/// The largest resident set of any child (and grandchild) berth has waited for, in bytes.
pub fn children_peak_rss_bytes() -> Option<u64> {
    #[cfg(unix)]
    {
        use nix::sys::resource::{UsageWho, getrusage};
        let max_rss = u64::try_from(getrusage(UsageWho::RUSAGE_CHILDREN).ok()?.max_rss()).ok()?;
        // Linux counts KiB, macOS bytes.
        let factor = if cfg!(target_os = "macos") { 1 } else { 1024 };
        Some(max_rss * factor)
    }
    #[cfg(not(unix))]
    None
}

/// The name of signal `number` (`SIGKILL`), or `SIG<number>` for one nix does not know.
pub fn signal_name(number: i32) -> String {
    #[cfg(unix)]
    if let Ok(signal) = nix::sys::signal::Signal::try_from(number) {
        return signal.as_str().to_string();
    }
    format!("SIG{number}")
}
pub mod signals {
    //! berth's signal policy while a foreground child runs.

    /// Ignores SIGINT and SIGQUIT for as long as it lives, restoring the old handlers after.
    /// The terminal delivers Ctrl-C to the whole foreground process group, so the child gets
    /// it; berth must outlive the child to report its status.
    ///
    /// A do-nothing handler, not `SIG_IGN`: an ignored signal stays ignored across `exec`, so
    /// the child would never see Ctrl-C, while a caught one is reset to the default.
    pub struct IgnoreInterrupts {
        #[cfg(unix)]
        old: Vec<(nix::sys::signal::Signal, nix::sys::signal::SigAction)>,
    }

    impl IgnoreInterrupts {
        pub fn new() -> IgnoreInterrupts {
            #[cfg(unix)]
            {
                use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
                extern "C" fn do_nothing(_: nix::libc::c_int) {}
                let ignore = SigAction::new(
                    SigHandler::Handler(do_nothing),
                    SaFlags::SA_RESTART,
                    SigSet::empty(),
                );
                let old = [Signal::SIGINT, Signal::SIGQUIT]
                    .into_iter()
                    // SAFETY: the handler does nothing, so it is async-signal-safe.
                    .filter_map(|s| unsafe { sigaction(s, &ignore) }.ok().map(|old| (s, old)))
                    .collect();
                IgnoreInterrupts { old }
            }
            #[cfg(not(unix))]
            IgnoreInterrupts {}
        }
    }

    /// The number of the SIGINT or SIGTERM that arrived, 0 while none has.
    static INTERRUPTED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

    /// Whether SIGINT or SIGTERM arrived while a [`CatchInterrupts`] guard was alive.
    pub fn interrupted() -> bool {
        INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) != 0
    }

    /// The error of work the caught signal stopped (SIGINT if none was recorded), which
    /// `exit::report` turns into 128+N: 130 for Ctrl-C, 143 for SIGTERM.
    pub fn interruption() -> crate::exit::Interrupted {
        const SIGINT: i32 = 2;
        crate::exit::Interrupted {
            signal: match INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
                0 => SIGINT,
                signal => signal,
            },
        }
    }

    /// Turns SIGINT and SIGTERM into a flag ([`interrupted`]) for as long as it lives, so a
    /// long operation (a VM boot) can stop its children and leave a state the next run
    /// recovers from, instead of dying half-way.
    pub struct CatchInterrupts {
        #[cfg(unix)]
        old: Vec<(nix::sys::signal::Signal, nix::sys::signal::SigAction)>,
    }

    impl CatchInterrupts {
        pub fn new() -> CatchInterrupts {
            #[cfg(unix)]
            {
                use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
                extern "C" fn raise_flag(signal: nix::libc::c_int) {
                    INTERRUPTED.store(signal, std::sync::atomic::Ordering::SeqCst);
                }
                let catch = SigAction::new(
                    SigHandler::Handler(raise_flag),
                    SaFlags::SA_RESTART,
                    SigSet::empty(),
                );
                let old = [Signal::SIGINT, Signal::SIGTERM]
                    .into_iter()
                    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
                    .filter_map(|s| unsafe { sigaction(s, &catch) }.ok().map(|old| (s, old)))
                    .collect();
                CatchInterrupts { old }
            }
            #[cfg(not(unix))]
            CatchInterrupts {}
        }
    }

    impl Drop for CatchInterrupts {
        fn drop(&mut self) {
            #[cfg(unix)]
            for (signal, old) in &self.old {
                // SAFETY: restores the handler that was installed before.
                let _ = unsafe { nix::sys::signal::sigaction(*signal, old) };
            }
        }
    }

    impl Drop for IgnoreInterrupts {
        fn drop(&mut self) {
            #[cfg(unix)]
            for (signal, old) in &self.old {
                // SAFETY: restores the handler that was installed before.
                let _ = unsafe { nix::sys::signal::sigaction(*signal, old) };
            }
        }
    }
}
