//! What the VM runtimes' lifecycle commands share: the project's lifecycle lock, the steps a
//! boot goes through, and running a long backend command with its output in a private log
//! and its steps on a progress line.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use super::State;
use crate::diag::Diagnostic;
use crate::docker_api;
use crate::process::{self, ChildRecord, Stream, Streamed, signals};
use crate::project::Layout;
use crate::ui;

/// How many of a failed command's last lines berth quotes.
const TAIL_LINES: usize = 12;

/// The project's lifecycle lock: one `init`/`start`/`stop`/`delete` at a time, whatever the
/// runtime, so two terminals running `init` boot one VM. The second waits and says why.
pub fn lock(layout: &Layout) -> Result<File> {
    let path = layout.lock_path();
    let file = crate::private_fs::open_lock(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            ui::status(&format!(
                "waiting for another berth command on this project (lock {})",
                ui::display_path(&path)
            ));
            file.lock()
                .with_context(|| format!("failed to lock `{}`", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("failed to lock `{}`", path.display()));
        }
    }
    Ok(file)
}

/// The steps of a lifecycle command, as berth shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Creating,
    Downloading,
    Booting,
    WaitingForSsh,
    WaitingForDocker,
    Stopping,
    Deleting,
}

impl Step {
    pub fn describe(self) -> &'static str {
        match self {
            Step::Creating => "creating the instance",
            Step::Downloading => "downloading the VM image",
            Step::Booting => "booting the VM",
            Step::WaitingForSsh => "waiting for ssh",
            Step::WaitingForDocker => "waiting for Docker",
            Step::Stopping => "stopping the VM",
            Step::Deleting => "deleting the instance",
        }
    }
}

/// What one line of a backend's output says, as far as berth cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The command reached this step.
    Step(Step),
    /// The command is failing, and this is why.
    Fatal(String),
    Other,
}

/// The `msg` of a logrus line, as Lima and Colima print them: `time="…" level=info msg="…"`
/// (not a terminal) or `INFO[0000] …` (a terminal). Other lines are returned whole.
pub fn logrus_message(line: &str) -> &str {
    if let Some(start) = line.find("msg=\"") {
        let rest = &line[start + 5..];
        let mut escaped = false;
        for (i, c) in rest.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => return &rest[..i],
                _ => escaped = false,
            }
        }
        return rest;
    }
    if let Some(end) = line.find("] ").filter(|_| line.contains('[')) {
        return line[end + 2..].trim_start();
    }
    line
}

/// The message of a logrus `level=fatal` line (or `FATA[…]` on a terminal).
pub fn logrus_fatal(line: &str) -> Option<String> {
    (line.contains("level=fatal") || line.starts_with("FATA["))
        .then(|| logrus_message(line).replace("\\\"", "\""))
}

/// Run one lifecycle command (`what` names it in messages) with its whole output in `log`
/// (mode 0600, replaced each run) and the steps `classify` reads from its lines shown on
/// `progress`. A failure quotes the log's last lines and names it. `record`, when given,
/// names the running command so a later berth can stop it if this one is killed.
pub fn run_logged(
    command: Command,
    what: &str,
    log: &Path,
    record: Option<&ChildRecord>,
    progress: &ui::Progress,
    mut classify: impl FnMut(Stream, &str) -> Line,
) -> Result<Streamed> {
    let mut file = open_private_log(log)?;
    let _ = writeln!(file, "$ {}", with_env(&command));
    let mut tail: Vec<String> = Vec::new();
    let mut fatal: Option<String> = None;
    let outcome = process::run_streaming(command, record, |stream, line| {
        let _ = writeln!(file, "{line}");
        match classify(stream, line) {
            Line::Step(step) => progress.step(step.describe()),
            Line::Fatal(message) => fatal = Some(message),
            Line::Other => {}
        }
        tail.push(line.to_string());
        if tail.len() > TAIL_LINES {
            tail.remove(0);
        }
    })?;
    if let Streamed::Exited(status) = outcome
        && status.code() != 0
    {
        ui::status(&format!("last lines of {}:", ui::display_path(log)));
        for line in &tail {
            ui::status(&format!("  | {line}"));
        }
        let why = fatal.unwrap_or_else(|| format!("exit code {}", status.code()));
        return Err(Diagnostic::new(format!("`{what}` failed: {why}"))
            .help(format!("the full output is in {}", ui::display_path(log)))
            .into());
    }
    Ok(outcome)
}

/// Run `work` with Ctrl-C caught (it ends the backend's command, which then reports
/// [`crate::exit::Interrupted`]) and a progress line of its own, cleared afterwards.
pub fn with_progress<T>(work: impl FnOnce(&ui::Progress) -> Result<T>) -> Result<T> {
    let _interrupts = signals::CatchInterrupts::new();
    let progress = ui::Progress::start();
    let result = work(&progress);
    progress.finish();
    result
}

/// [`run_logged`] for a command that must succeed, logged to `<logs_dir>/<what>.log` with
/// spaces as dashes (`colima-start.log`): the progress line shows `first` until the
/// command's output says more, and Ctrl-C becomes [`crate::exit::Interrupted`].
pub fn run_step(
    command: Command,
    what: &str,
    logs_dir: &Path,
    progress: &ui::Progress,
    first: Step,
    classify: impl FnMut(Stream, &str) -> Line,
) -> Result<()> {
    progress.step(first.describe());
    let log = logs_dir.join(format!("{}.log", what.replace(' ', "-")));
    match run_logged(command, what, &log, None, progress, classify)? {
        Streamed::Interrupted => Err(signals::interruption().into()),
        Streamed::Exited(_) => Ok(()),
    }
}

/// Whether `delete` has anything to do with `what` (`colima profile berth-app`) in `state`:
/// an absent one is nothing to delete (said so), a running one needs `--force`.
pub fn may_delete(what: &str, state: State, force: bool) -> Result<bool> {
    match state {
        State::Absent => {
            ui::status(&format!("{what} does not exist; nothing to delete"));
            Ok(false)
        }
        State::Running if !force => Err(Diagnostic::new(format!("{what} is running"))
            .help("stop it first with `berth container stop`, or pass --force")
            .into()),
        _ => Ok(true),
    }
}

/// Poll the Docker API on `socket` until it answers, for at most `timeout`. `logs_hint` is
/// the command that shows why it did not.
pub fn wait_for_docker(
    socket: &Path,
    timeout: Duration,
    logs_hint: &str,
    progress: &ui::Progress,
) -> Result<()> {
    progress.step(Step::WaitingForDocker.describe());
    let deadline = Instant::now() + timeout;
    while !docker_api::ping(socket) {
        if signals::interrupted() {
            return Err(signals::interruption().into());
        }
        if Instant::now() >= deadline {
            return Err(Diagnostic::new(format!(
                "the Docker API at {} did not answer within {} s",
                socket.display(),
                timeout.as_secs()
            ))
            .help(format!("see why with `{logs_hint}`"))
            .help("raise the limit with `start-timeout` in [tool.berth]")
            .into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Print the logs `files` (each headed by its name when there are several), each line as
/// `render` shows it; with `follow`, keep printing what they gain, as `tail -f` does.
pub fn print_logs(
    files: &[PathBuf],
    follow: bool,
    render: impl Fn(&Path, &str) -> String,
) -> Result<()> {
    let mut offsets = vec![0u64; files.len()];
    let mut last_shown: Option<usize> = None;
    loop {
        for (i, file) in files.iter().enumerate() {
            let chunk = read_from(file, &mut offsets[i])?;
            if chunk.is_empty() {
                continue;
            }
            if files.len() > 1 && last_shown != Some(i) {
                ui::out(&format!("==> {} <==", ui::display_path(file)))?;
                last_shown = Some(i);
            }
            for line in chunk.lines() {
                ui::out(&render(file, line))?;
            }
        }
        if !follow {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The complete lines added to `path` since `offset`, moving `offset` past them. A file that
/// shrank (a log truncated as its process starts again) is read again from the top.
fn read_from(path: &Path, offset: &mut u64) -> Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = fs_err::File::open(path)?;
    let len = file.metadata()?.len();
    if len < *offset {
        *offset = 0;
    }
    file.seek(SeekFrom::Start(*offset))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    *offset += complete as u64;
    Ok(String::from_utf8_lossy(&bytes[..complete]).into_owned())
}

/// `K=V … program args`: the command line with the variables berth set for it, as the log's
/// first line.
fn with_env(command: &Command) -> String {
    let set = command.get_envs().filter_map(|(name, value)| {
        let value = value?;
        Some(format!(
            "{}={}",
            name.to_string_lossy(),
            value.to_string_lossy()
        ))
    });
    set.chain(std::iter::once(process::display_command(command)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A log file only the user can read (backends' output names paths and keys' locations).
fn open_private_log(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        crate::private_fs::ensure_dir(parent)?;
    }
    crate::private_fs::create_file(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fatal_lines_give_their_message() {
        assert_eq!(
            logrus_fatal(r#"time="t" level=fatal msg="instance \"x\" already exists""#).as_deref(),
            Some(r#"instance "x" already exists"#)
        );
        assert_eq!(
            logrus_fatal("FATA[0001] error starting vm: exit status 1").as_deref(),
            Some("error starting vm: exit status 1")
        );
        assert_eq!(logrus_fatal(r#"time="t" level=info msg="fine""#), None);
    }

    #[test]
    fn only_complete_lines_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("serial.log");
        fs_err::write(&path, "one\ntw").unwrap();
        let mut offset = 0;
        assert_eq!(read_from(&path, &mut offset).unwrap(), "one\n");
        fs_err::write(&path, "one\ntwo\n").unwrap();
        assert_eq!(read_from(&path, &mut offset).unwrap(), "two\n");
    }

    #[test]
    fn the_log_header_shows_the_variables_berth_set() {
        let mut command = Command::new("limactl");
        command
            .args(["start", "dev"])
            .env("LIMA_HOME", "/p/.pixi/lima")
            .env_remove("_LIMA_OUTPUT_IS_TTY");
        assert_eq!(
            with_env(&command),
            "LIMA_HOME=/p/.pixi/lima limactl start dev"
        );
    }
}
