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
        let shell = Shell::without_signals()?;
        #[cfg(unix)]
        shell.forward_signals()?;
        Ok(shell)
    }

    /// A shell that leaves the process's signal handling alone.
    fn without_signals() -> Result<Shell> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("failed to start the task runtime")?;
        Ok(Shell {
            runtime,
            local: LocalSet::new(),
            kill: KillSignal::default(),
        })
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

/// Quote `word` so the task shell reads it back as exactly one argument, whatever it holds.
///
/// Single quotes, as pixi appends extra command-line words: inside them everything is
/// literal but `'` itself, which pixi leaves in and so breaks the script. Here a `'` closes
/// the quote, is written as `"'"`, and reopens it; adjacent quoted parts are one word.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r#"'"'"'"#))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The argv a program receives when `words`, quoted, follow it in a task script. The
    /// program is `printf '%s\0'` (coreutils, not a shell builtin), so each argument comes
    /// back byte for byte, NUL-terminated, and a case costs one cheap process.
    fn argv_through_the_task_shell(words: &[String]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("argv");
        let mut script = String::from(r"printf '%s\0'");
        for word in words {
            script.push(' ');
            script.push_str(&quote(word));
        }
        script.push_str(&format!(" > '{}'", out.display()));
        let shell = Shell::without_signals().unwrap();
        let code = shell
            .run(
                "argv",
                &script,
                host::vars().into_iter().collect(),
                dir.path().to_path_buf(),
            )
            .unwrap_or_else(|err| panic!("{err:#}\nscript: {script}"));
        assert_eq!(code, 0, "script: {script}");
        let printed = String::from_utf8(fs_err::read(&out).unwrap()).unwrap();
        let mut argv: Vec<String> = printed.split('\0').map(str::to_string).collect();
        assert_eq!(
            argv.pop().as_deref(),
            Some(""),
            "printf ends each argument with NUL"
        );
        argv
    }

    /// Pieces of text the shell treats specially, to be glued into words.
    const SPECIAL: &[&str] = &[
        "'",
        "\"",
        "$",
        "$HOME",
        "${HOME}",
        "$?",
        "$1",
        "\\",
        "\\'",
        "\\\n",
        " ",
        "  ",
        "\n",
        "\t",
        "\r\n",
        "*",
        "?",
        "[a]",
        "~",
        "~/x",
        ";",
        "|",
        "&&",
        "||",
        "&",
        ">",
        "<",
        "2>&1",
        "(",
        ")",
        "`",
        "$(echo x)",
        "{a,b}",
        "{1..3}",
        "#",
        "=",
        "A=1",
        "-",
        "--",
        "!",
        "%",
    ];

    fn word() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            3 => prop::sample::select(SPECIAL).prop_map(str::to_string),
            2 => any::<char>().prop_filter("argv cannot hold NUL", |c| *c != '\0').prop_map(String::from),
            1 => "[a-z]{1,4}",
        ];
        prop::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
    }

    #[test]
    fn a_single_quote_survives_quoting() {
        let words = ["'".to_string(), "it's".to_string(), "''".to_string()];
        assert_eq!(argv_through_the_task_shell(&words), words);
    }

    proptest! {
        #![proptest_config(crate::proptest_config::cases(128))]

        #[test]
        fn prop_quoted_words_reach_the_program_unchanged(
            words in prop::collection::vec(word(), 1..4),
        ) {
            prop_assert_eq!(argv_through_the_task_shell(&words), words);
        }
    }
}
