//! Running task scripts in deno_task_shell, the shell pixi embeds, on a current-thread tokio
//! runtime. Built only when a task actually runs, so `task list` and cache hits stay cheap.
//!
//! Signals: berth must outlive its task to report the task's status. SIGTERM and SIGHUP are
//! forwarded to the task's processes. SIGINT and SIGQUIT are caught so they do not kill
//! berth, and forwarded only when stdin is not a terminal: on a terminal, Ctrl-C already
//! reaches the whole foreground process group (pixi's rule).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result};
use deno_task_shell::{KillSignal, SignalKind};
use tokio::task::LocalSet;

use super::launch;
use crate::diag::Diagnostic;
use crate::host;

pub struct Shell {
    runtime: tokio::runtime::Runtime,
    local: LocalSet,
    kill: KillSignal,
}

impl Shell {
    pub fn new() -> Result<Shell> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("failed to start the task runtime")?;
        let shell = Shell {
            runtime,
            local: LocalSet::new(),
            kill: KillSignal::default(),
        };
        #[cfg(unix)]
        shell.forward_signals()?;
        Ok(shell)
    }

    #[cfg(unix)]
    fn forward_signals(&self) -> Result<()> {
        use tokio::signal::unix::{SignalKind as Unix, signal};
        let interactive = host::stdin_is_terminal();
        let _entered = self.runtime.enter();
        for (unix, kind, forward) in [
            (Unix::terminate(), SignalKind::SIGTERM, true),
            (
                Unix::hangup(),
                SignalKind::Other(Unix::hangup().as_raw_value()),
                true,
            ),
            (Unix::interrupt(), SignalKind::SIGINT, !interactive),
            (Unix::quit(), SignalKind::SIGQUIT, !interactive),
        ] {
            let mut stream = signal(unix).context("failed to listen for signals")?;
            let kill = self.kill.clone();
            self.local.spawn_local(async move {
                while stream.recv().await.is_some() {
                    if forward {
                        kill.send(kind);
                    }
                }
            });
        }
        Ok(())
    }

    /// Run `script` and return its exit code (128+N when signal N ended it).
    pub fn run(
        &self,
        task: &str,
        script: &str,
        env: HashMap<OsString, OsString>,
        cwd: PathBuf,
    ) -> Result<i32> {
        let list = deno_task_shell::parser::parse(script.trim()).map_err(|err| {
            Diagnostic::new(format!(
                "failed to parse the shell script of task '{task}': {err}"
            ))
            .help(format!("the script was: {}", script.trim()))
            .help("tasks run in deno_task_shell: no if/for/while/case, no ${VAR}, no $$; wrap such code in `sh -c '…'`")
        })?;
        // A child signal per script: the shell signals it itself when a command fails (to
        // stop background jobs), which must not mark later tasks as aborted. Forwarded
        // signals still reach it through the parent.
        let kill = self.kill.child_signal();
        let commands = launch::path_commands(&list);
        let run = deno_task_shell::execute(list, env, cwd, commands, kill);
        Ok(self.runtime.block_on(self.local.run_until(run)))
    }
}
