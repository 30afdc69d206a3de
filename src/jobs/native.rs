//! Native jobs: the command as a child of berth, in its own process group, with the work
//! directory as its current directory, a minimal environment and Unix resource limits.
//!
//! - memory: RLIMIT_AS (address space) on Linux: an allocation past the limit fails, which
//!   programs report (Python's MemoryError, malloc's ENOMEM) rather than being killed.
//!   Programs that reserve huge address ranges up front (Go, the JVM) may not start under a
//!   small limit. macOS does not enforce RLIMIT_AS, so there `--memory` is not enforced.
//! - CPU: RLIMIT_CPU per process, `--cpu-time` or `--cpus` × `--timeout` (see
//!   [`super::JobLimits::native_cpu_seconds`]): SIGXCPU at the limit, SIGKILL a second later.
//!   Native jobs cannot be held to a share of the CPUs without cgroups.
//! - wall clock: at `--timeout` berth sends SIGKILL to the whole process group.

use std::ffi::OsString;
use std::process::Command;
use std::time::Instant;

use anyhow::Result;

use super::{JobSpec, Logs, Outcome, Workspace, split_command, supervise};
use crate::diag::Diagnostic;
use crate::exit::ExitStatus;
use crate::host;
use crate::process::{self, Limits, Watched};

/// How `--memory` is enforced natively on this OS, if at all.
pub fn memory_limit_mechanism() -> Option<&'static str> {
    cfg!(target_os = "linux").then_some("rlimit-as")
}

/// The variables a native job starts with (before `--env`): the caller's PATH, LANG and TERM,
/// HOME set to the work directory and TMPDIR to the workspace's `tmp/`. Nothing else of the
/// caller's environment (tokens, credentials) reaches the job.
pub fn minimal_env(workspace: &Workspace) -> Vec<(String, OsString)> {
    let mut env = vec![(
        "PATH".to_string(),
        host::var("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into()),
    )];
    env.push((
        "LANG".to_string(),
        host::var("LANG").unwrap_or_else(|| "C.UTF-8".into()),
    ));
    if let Some(term) = host::var("TERM") {
        env.push(("TERM".to_string(), term));
    }
    env.push(("HOME".to_string(), workspace.work.clone().into_os_string()));
    env.push(("TMPDIR".to_string(), workspace.tmp().into_os_string()));
    env
}

pub fn run(spec: &JobSpec, workspace: &Workspace, logs: Logs) -> Result<Outcome> {
    let (program, args) = split_command(&spec.command)?;
    let mut command = Command::new(program);
    command.args(args).current_dir(&workspace.work).env_clear();
    command.envs(minimal_env(workspace));
    command.envs(spec.env.iter().map(|(k, v)| (k, v)));
    logs.attach(&mut command)?;

    let mechanism = spec.limits.memory_bytes.and(memory_limit_mechanism());
    if spec.limits.memory_bytes.is_some() && mechanism.is_none() {
        crate::ui::warn("--memory is not enforced for native jobs on this OS");
    }
    let limits = Limits {
        address_space_bytes: spec.limits.memory_bytes.filter(|_| mechanism.is_some()),
        cpu_seconds: spec.limits.native_cpu_seconds(),
    };
    let started = Instant::now();
    let mut watched = Watched::spawn(command, limits).map_err(|e| not_found_help(e, program))?;
    let tees = logs.start(&mut watched);
    let finished = supervise(&watched, started, spec.limits.timeout, || {
        watched.kill_group()
    })?;
    // The job ends with its main process: whatever it left running in its group dies too, and
    // so lets go of the log pipes.
    watched.kill_group();
    tees.finish()?;

    let code = ExitStatus::from_std(finished.status).code();
    let signal = exit_signal(finished.status);
    let failed = code != 0;
    Ok(Outcome {
        ending: finished.ending,
        code,
        signal,
        oom_killed: mechanism
            .map(|_| failed && reports_allocation_failure(&workspace.stderr_path())),
        duration: finished.duration,
        peak_memory_bytes: process::children_peak_rss_bytes(),
        memory_limit_mechanism: mechanism,
    })
}

fn exit_signal(status: std::process::ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

/// Under RLIMIT_AS nothing kills a job for its memory: its allocations fail, and it says so
/// on stderr. berth recognises how common runtimes say it (Python, C, C++, Rust, Go, Node).
fn reports_allocation_failure(stderr_log: &std::path::Path) -> bool {
    const MESSAGES: &[&str] = &[
        "memoryerror",
        "cannot allocate memory",
        "out of memory",
        "memory allocation of",
        "bad_alloc",
    ];
    let Ok(bytes) = fs_err::read(stderr_log) else {
        return false;
    };
    let tail = &bytes[bytes.len().saturating_sub(8192)..];
    let tail = String::from_utf8_lossy(tail).to_ascii_lowercase();
    MESSAGES.iter().any(|m| tail.contains(m))
}

fn not_found_help(err: anyhow::Error, program: &OsString) -> anyhow::Error {
    let not_found = err
        .chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::NotFound);
    if !not_found {
        return err;
    }
    Diagnostic::new(format!(
        "command `{}` was not found",
        program.to_string_lossy()
    ))
    .help("the job searches your PATH; a relative path such as `./run.sh` is relative to its work directory (pass the file with --input)")
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_failures_are_recognised_in_the_log_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr.log");
        std::fs::write(&log, "Traceback ...\nMemoryError\n").unwrap();
        assert!(reports_allocation_failure(&log));
        std::fs::write(&log, "error: file not found\n").unwrap();
        assert!(!reports_allocation_failure(&log));
        assert!(!reports_allocation_failure(&dir.path().join("missing.log")));
    }
}
