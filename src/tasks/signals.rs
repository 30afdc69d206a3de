//! A fatal signal ends a task promptly, with 128+N, whatever runs at that moment.
//!
//! berth must outlive its task to report the task's status, so it catches every signal whose
//! default action would end a process. Each one is forwarded to the task's processes, as
//! pixi forwards them (`crates/pixi_cli/src/run.rs`, `listen_and_forward_all_signals`,
//! v0.77.0); SIGINT and SIGQUIT only when stdin is not a terminal, since a terminal already
//! sends them to the whole foreground process group. Then the script ends as a shell that
//! got the signal would: deno_task_shell's builtins (`sleep`, `cat`, …) run inside berth, so
//! no process receives it, and a builtin that is running ends at once with 128+N; a
//! program that is running is waited for (it may handle the signal, and its status is the
//! task's); and no further command of the script starts.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result};
use deno_task_shell::parser::SequentialList;
use deno_task_shell::{
    ExecutableCommand, ExecuteResult, FutureExecuteResult, KillSignal, ShellCommand,
    ShellCommandContext, ShellState, SignalKind,
};
use tokio::sync::Notify;

use super::launch;

/// The fatal signal berth received, once it has one.
#[derive(Clone, Default)]
pub struct Fatal(Rc<FatalState>);

#[derive(Default)]
struct FatalState {
    signal: Cell<Option<i32>>,
    notify: Notify,
}

impl Fatal {
    pub fn get(&self) -> Option<i32> {
        self.0.signal.get()
    }

    fn set(&self, signal: i32) {
        if self.0.signal.get().is_none() {
            self.0.signal.set(Some(signal));
        }
        self.0.notify.notify_waiters();
    }

    async fn wait(&self) -> i32 {
        loop {
            // Registered before the check, so a signal in between is not missed.
            let notified = self.0.notify.notified();
            if let Some(signal) = self.get() {
                return signal;
            }
            notified.await;
        }
    }
}

/// Signals whose default action ends a process and that another process may send: the ones
/// berth catches while a task runs.
#[cfg(unix)]
const FATAL: &[i32] = &[
    nix::libc::SIGHUP,
    nix::libc::SIGINT,
    nix::libc::SIGQUIT,
    nix::libc::SIGABRT,
    nix::libc::SIGUSR1,
    nix::libc::SIGUSR2,
    nix::libc::SIGALRM,
    nix::libc::SIGTERM,
    nix::libc::SIGXCPU,
    nix::libc::SIGXFSZ,
    nix::libc::SIGVTALRM,
    nix::libc::SIGPROF,
];

/// Catch the fatal signals on `runtime`: forward each to the task's processes through
/// `kill`, and record the first in `fatal`.
#[cfg(unix)]
pub fn listen(
    runtime: &tokio::runtime::Runtime,
    local: &tokio::task::LocalSet,
    kill: &KillSignal,
    fatal: &Fatal,
    interactive: bool,
) -> Result<()> {
    use tokio::signal::unix::{SignalKind as Unix, signal};
    let _entered = runtime.enter();
    for &signo in FATAL {
        let forward = !(interactive && (signo == nix::libc::SIGINT || signo == nix::libc::SIGQUIT));
        let mut stream = signal(Unix::from_raw(signo)).context("failed to listen for signals")?;
        let kill = kill.clone();
        let fatal = fatal.clone();
        local.spawn_local(async move {
            while stream.recv().await.is_some() {
                if forward {
                    kill.send(SignalKind::from(signo));
                }
                fatal.set(signo);
            }
        });
    }
    Ok(())
}

/// deno_task_shell's builtin commands (`src/shell/commands/mod.rs`, 0.33.3).
const BUILTINS: &[&str] = &[
    "cat", "cd", "cp", "echo", "exit", "export", "head", "mkdir", "mv", "pwd", "rm", "set",
    "shopt", "sleep", "test", "true", "false", ":", "unset", "xargs",
];

/// The commands berth puts in front of deno_task_shell's for one script: every builtin,
/// every program the script names literally, and the path commands of `launch`, each
/// guarded by `fatal`.
pub fn guarded_commands(
    list: &SequentialList,
    cwd: &Path,
    fatal: &Fatal,
) -> HashMap<String, Rc<dyn ShellCommand>> {
    // The builtins, as a shell state without custom commands resolves them.
    let plain = ShellState::new(
        HashMap::new(),
        cwd.to_path_buf(),
        HashMap::new(),
        KillSignal::default(),
    );
    let mut commands: HashMap<String, Rc<dyn ShellCommand>> = HashMap::new();
    for &name in BUILTINS {
        if let Some(builtin) = plain.resolve_custom_command(name.as_ref()) {
            // `xargs` starts programs; it is waited for like one.
            let runs_programs = name == "xargs";
            commands.insert(name.to_string(), guard(builtin, !runs_programs, fatal));
        }
    }
    for name in launch::literal_command_names(list) {
        if commands.contains_key(&name) {
            continue;
        }
        let program = if name.contains('/') {
            launch::path_command(&name)
        } else {
            Rc::new(Program { name: name.clone() }) as Rc<dyn ShellCommand>
        };
        commands.insert(name, guard(program, false, fatal));
    }
    commands
}

fn guard(inner: Rc<dyn ShellCommand>, abortable: bool, fatal: &Fatal) -> Rc<dyn ShellCommand> {
    Rc::new(Guarded {
        inner,
        abortable,
        fatal: fatal.clone(),
    })
}

/// A command that does not start after a fatal signal, and ends the script once one came.
struct Guarded {
    inner: Rc<dyn ShellCommand>,
    /// Runs inside berth and can simply be dropped; a program is waited for instead.
    abortable: bool,
    fatal: Fatal,
}

impl ShellCommand for Guarded {
    fn execute(&self, context: ShellCommandContext) -> FutureExecuteResult {
        let inner = self.inner.clone();
        let abortable = self.abortable;
        let fatal = self.fatal.clone();
        Box::pin(async move {
            if let Some(signal) = fatal.get() {
                return ExecuteResult::Exit(128 + signal, Vec::new());
            }
            let result = if abortable {
                tokio::select! {
                    result = inner.execute(context) => result,
                    signal = fatal.wait() => return ExecuteResult::Exit(128 + signal, Vec::new()),
                }
            } else {
                let result = inner.execute(context).await;
                // A signal that ended the program is processed by berth's listener in the
                // same turn of the runtime; let it run before deciding.
                tokio::task::yield_now().await;
                result
            };
            match fatal.get() {
                Some(_) => {
                    let (code, handles) = result.into_exit_code_and_handles();
                    ExecuteResult::Exit(code, handles)
                }
                None => result,
            }
        })
    }
}

/// A program named without a `/`, found on the script's `PATH` as deno_task_shell finds it
/// (`src/shell/command.rs`, `execute_unresolved_command_name`, 0.33.3).
struct Program {
    name: String,
}

impl ShellCommand for Program {
    fn execute(&self, mut context: ShellCommandContext) -> FutureExecuteResult {
        let name = self.name.clone();
        Box::pin(async move {
            match context.state.resolve_command_path(name.as_ref()) {
                Ok(path) => ExecutableCommand::new(name, path).execute(context).await,
                Err(err) => {
                    let _ = context.stderr.write_line(&err.to_string());
                    ExecuteResult::from_exit_code(err.exit_code())
                }
            }
        })
    }
}
