//! Exit statuses as values, and the one place an error is printed.
//!
//! 0 success, 1 berth failed, 2 usage, the child's own code for pass-through and tasks,
//! 128+N when signal N killed the child, or when SIGINT or SIGTERM stopped berth's own work
//! ([`Interrupted`]). A broken pipe on berth's own output is not an error.

use std::process::ExitCode;

use crate::diag::Diagnostic;
use crate::ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// berth itself failed (already reported).
    Failure,
    /// A state query's "not running" answer (`container status`: stopped or absent).
    NotRunning,
    /// A child's exit code, or 128+N for a death by signal N.
    Child(i32),
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::NotRunning => 3,
            ExitStatus::Child(code) => code,
        }
    }

    pub fn from_code(code: i32) -> ExitStatus {
        if code == 0 {
            ExitStatus::Success
        } else {
            ExitStatus::Child(code)
        }
    }

    /// The status of a finished child: its code, or 128+N when signal N ended it.
    pub fn from_std(status: std::process::ExitStatus) -> ExitStatus {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return ExitStatus::Child(128 + signal);
            }
        }
        ExitStatus::from_code(status.code().unwrap_or(1))
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        // Exit codes are a byte on every OS berth supports.
        ExitCode::from(u8::try_from(status.code() & 0xff).unwrap_or(1))
    }
}

/// The error of work that SIGINT or SIGTERM (`signal`) stopped, after it stopped what it had
/// started and said what it left behind. Whatever command it ends, berth exits 128+N, as a
/// shell reports a death by signal N, without an `error:` line.
#[derive(Debug)]
pub struct Interrupted {
    pub signal: i32,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

impl Interrupted {
    /// 128+N, as a shell reports a death by signal N.
    pub fn exit_code(&self) -> i32 {
        128 + self.signal
    }
}

/// Print `err` as berth's error report and return the exit status for it.
pub fn report(err: &anyhow::Error) -> ExitStatus {
    if is_broken_pipe(err) {
        return ExitStatus::Success;
    }
    if let Some(interrupted) = err.chain().find_map(|e| e.downcast_ref::<Interrupted>()) {
        return ExitStatus::Child(interrupted.exit_code());
    }
    let diagnostic = err.chain().find_map(|e| e.downcast_ref::<Diagnostic>());
    ui::error(&err.to_string());
    if let Some(location) = diagnostic.and_then(|d| d.location.as_ref()) {
        ui::error_detail("-->", &location.to_string());
    }
    for cause in err.chain().skip(1) {
        ui::error_detail("caused by:", &cause.to_string());
    }
    for help in diagnostic.map(|d| d.help.as_slice()).unwrap_or_default() {
        ui::error_detail("help:", help);
    }
    ExitStatus::Failure
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
