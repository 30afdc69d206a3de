//! Running task scripts in deno_task_shell, the shell pixi embeds, on a current-thread tokio
//! runtime. Built only when a task actually runs, so `task list` and cache hits stay cheap.
//! Fatal signals are handled by `signals`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, Result};
use deno_task_shell::KillSignal;
use tokio::task::LocalSet;

use super::signals::{self, Fatal};
use crate::diag::Diagnostic;
#[cfg(unix)]
use crate::host;

pub struct Shell {
    runtime: tokio::runtime::Runtime,
    local: LocalSet,
    kill: KillSignal,
    fatal: Fatal,
}

impl Shell {
    pub fn new() -> Result<Shell> {
        let shell = Shell::without_signals()?;
        #[cfg(unix)]
        signals::listen(
            &shell.runtime,
            &shell.local,
            &shell.kill,
            &shell.fatal,
            host::stdin_is_terminal(),
        )?;
        Ok(shell)
    }

    /// The fatal signal berth received while a script ran, if one did.
    pub fn fatal_signal(&self) -> Option<i32> {
        self.fatal.get()
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
            fatal: Fatal::default(),
        })
    }

    /// Run `script` and return its exit code (128+N when signal N ended it). `what` names
    /// it in a parse error (`task 'build'`).
    pub fn run(
        &self,
        what: &str,
        script: &str,
        env: HashMap<OsString, OsString>,
        cwd: PathBuf,
    ) -> Result<i32> {
        let list = deno_task_shell::parser::parse(script.trim()).map_err(|err| {
            Diagnostic::new(format!(
                "failed to parse the shell script of {what}: {err}"
            ))
            .help(format!("the script was: {}", script.trim()))
            .help("tasks run in deno_task_shell: no if/for/while/case, no ${VAR}, no $$; wrap such code in `sh -c '…'`")
        })?;
        // A child signal per script: the shell signals it itself when a command fails (to
        // stop background jobs), which must not mark later tasks as aborted. Forwarded
        // signals still reach it through the parent.
        let kill = self.kill.child_signal();
        let commands = signals::guarded_commands(&list, &cwd, &self.fatal);
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
