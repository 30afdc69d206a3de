//! Commands a task names by path (`./build.sh`, `/opt/tool/bin/run`), with a POSIX shell's
//! exit codes when they cannot start.
//!
//! deno_task_shell reports every failure to start such a command as exit 1. A shell says 127
//! when the file does not exist and 126 when it exists but cannot be executed, and scripts and
//! CI rely on telling those apart from a command that ran and failed. berth registers each
//! command of a script named by a literal path as a custom command that looks at the file
//! first, and otherwise starts it as deno_task_shell would. The names a script spells out
//! are found here too, for `signals` to guard.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use deno_task_shell::parser::{
    Command, CommandInner, PipelineInner, Sequence, SequentialList, Word, WordPart,
};
use deno_task_shell::{
    ExecutableCommand, ExecuteResult, FutureExecuteResult, ShellCommand, ShellCommandContext,
};

/// Exit code for a command that was found but cannot be executed.
const NOT_EXECUTABLE: i32 = 126;
/// Exit code for a command that does not exist.
const NOT_FOUND: i32 = 127;

/// Every command name `list` spells out literally (`./build.sh`, `cargo`, `echo`), in order
/// of appearance, once each.
pub fn literal_command_names(list: &SequentialList) -> Vec<String> {
    let mut names = Vec::new();
    collect_list(list, &mut names);
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.clone()));
    names
}

/// The command for a name with a `/` in it: a file, looked at before it starts.
pub fn path_command(name: &str) -> Rc<dyn ShellCommand> {
    Rc::new(PathCommand {
        name: name.to_string(),
    })
}

fn collect_list(list: &SequentialList, names: &mut Vec<String>) {
    for item in &list.items {
        collect_sequence(&item.sequence, names);
    }
}

fn collect_sequence(sequence: &Sequence, names: &mut Vec<String>) {
    match sequence {
        Sequence::ShellVar(var) => collect_word(&var.value, names),
        Sequence::Pipeline(pipeline) => collect_pipeline(&pipeline.inner, names),
        Sequence::BooleanList(list) => {
            collect_sequence(&list.current, names);
            collect_sequence(&list.next, names);
        }
    }
}

fn collect_pipeline(inner: &PipelineInner, names: &mut Vec<String>) {
    match inner {
        PipelineInner::Command(command) => collect_command(command, names),
        PipelineInner::PipeSequence(pipe) => {
            collect_command(&pipe.current, names);
            collect_pipeline(&pipe.next, names);
        }
    }
}

fn collect_command(command: &Command, names: &mut Vec<String>) {
    match &command.inner {
        CommandInner::Simple(simple) => {
            if let Some(name) = simple.args.first().and_then(literal_text) {
                names.push(name);
            }
            for word in simple
                .args
                .iter()
                .chain(simple.env_vars.iter().map(|v| &v.value))
            {
                collect_word(word, names);
            }
        }
        CommandInner::Subshell(list) => collect_list(list, names),
    }
}

/// Commands inside `$(…)` of a word.
fn collect_word(word: &Word, names: &mut Vec<String>) {
    fn collect_parts(parts: &[WordPart], names: &mut Vec<String>) {
        for part in parts {
            match part {
                WordPart::Command(list) => collect_list(list, names),
                WordPart::Quoted(parts) => collect_parts(parts, names),
                _ => {}
            }
        }
    }
    collect_parts(word.parts(), names);
}

/// The text of a word made only of literal (possibly quoted) text.
fn literal_text(word: &Word) -> Option<String> {
    fn push(parts: &[WordPart], text: &mut String) -> Option<()> {
        for part in parts {
            match part {
                WordPart::Text(t) => text.push_str(t),
                WordPart::Quoted(parts) => push(parts, text)?,
                _ => return None,
            }
        }
        Some(())
    }
    let mut text = String::new();
    push(word.parts(), &mut text)?;
    Some(text)
}

/// A command named by a path, relative to the shell's current directory.
struct PathCommand {
    name: String,
}

impl ShellCommand for PathCommand {
    fn execute(&self, mut context: ShellCommandContext) -> FutureExecuteResult {
        let name = self.name.clone();
        Box::pin(async move {
            let path = context.state.cwd().join(&name);
            match launch(&path) {
                Launch::Direct => ExecutableCommand::new(name, path).execute(context).await,
                Launch::Interpreter(interpreter, mut args) => {
                    // What the kernel does for an executable script: the interpreter, its
                    // one argument, the script, then the script's arguments.
                    args.push(path.into_os_string());
                    args.append(&mut context.args);
                    context.args = args;
                    ExecutableCommand::new(name, interpreter)
                        .execute(context)
                        .await
                }
                Launch::Refused(code, problem) => {
                    let _ = context.stderr.write_line(&format!("{name}: {problem}"));
                    ExecuteResult::from_exit_code(code)
                }
            }
        })
    }
}

/// How the file at a command's path starts, if it can.
enum Launch {
    /// Executed directly.
    Direct,
    /// Not executable, but starts with `#!/usr/bin/env …`, which deno_task_shell honours:
    /// run through `/usr/bin/env` with these arguments.
    Interpreter(PathBuf, Vec<OsString>),
    /// Cannot start: the exit code and why, for stderr.
    Refused(i32, &'static str),
}

fn launch(path: &Path) -> Launch {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Launch::Refused(NOT_FOUND, "No such file or directory");
        }
        // Whatever stops berth from looking (a directory on the way that may not be
        // searched) stops the exec too.
        Err(_) => return Launch::Refused(NOT_EXECUTABLE, "Permission denied"),
    };
    if metadata.is_dir() {
        return Launch::Refused(NOT_EXECUTABLE, "Is a directory");
    }
    if is_executable(path) {
        return Launch::Direct;
    }
    match env_shebang(path) {
        Some(argument) => Launch::Interpreter(PathBuf::from(ENV), vec![argument.into()]),
        None => Launch::Refused(
            NOT_EXECUTABLE,
            "Permission denied (the file is not executable: `chmod +x` it)",
        ),
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    // access(2), not the mode bits: it also knows ACLs and `noexec` mounts.
    nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

const ENV: &str = "/usr/bin/env";

/// The rest of a `#!/usr/bin/env …` first line, the only shebang deno_task_shell reads itself.
fn env_shebang(path: &Path) -> Option<String> {
    use std::io::{BufRead, BufReader};
    let file = std::fs::File::open(path).ok()?;
    let mut line = String::new();
    BufReader::new(file).read_line(&mut line).ok()?;
    let argument = line.strip_prefix("#!")?.trim().strip_prefix(ENV)?;
    argument
        .starts_with(' ')
        .then(|| argument.trim().to_string())
        .filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(script: &str) -> Vec<String> {
        let list = deno_task_shell::parser::parse(script).expect("parses");
        let mut names = literal_command_names(&list);
        names.sort();
        names
    }

    #[test]
    fn only_commands_spelled_out_literally_are_named() {
        assert_eq!(
            names(
                "./a.sh x/y && echo ./not-a-command | /abs/b; (sub/c) || \
                 X=$(\"./d\" 1) e $(./f); '../g' arg; $VAR/h; ./i$SUFFIX; plain; echo again"
            ),
            [
                "../g", "./a.sh", "./d", "./f", "/abs/b", "e", "echo", "plain", "sub/c"
            ]
        );
    }

    #[test]
    fn missing_directories_and_plain_files_are_refused_with_shell_codes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let code = |path: &Path| match launch(path) {
            Launch::Refused(code, _) => Some(code),
            _ => None,
        };
        assert_eq!(code(&dir.path().join("missing")), Some(127));
        assert_eq!(code(dir.path()), Some(126));
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "echo hi\n").expect("write");
        #[cfg(unix)]
        assert_eq!(code(&plain), Some(126));
        let script = dir.path().join("script");
        std::fs::write(&script, "#!/usr/bin/env -S sh -e\necho hi\n").expect("write");
        match launch(&script) {
            Launch::Interpreter(interpreter, args) => {
                assert_eq!(interpreter, Path::new("/usr/bin/env"));
                assert_eq!(args, [OsString::from("-S sh -e")]);
            }
            _ => panic!("a non-executable env script runs through env"),
        }
    }
}
