//! The command line: clap definitions only, no I/O and no logic.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use crate::settings::RuntimeChoice;
use crate::ui::ColorChoice;

#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    about = "A container runtime per repository, and a pixi-compatible task runner",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parse `std::env::args_os()`.
    pub fn parse_args() -> Cli {
        Cli::parse_from_words(std::env::args_os().collect())
    }

    /// Parse a command line. Every word after `docker` or `compose` belongs to docker, even
    /// one that looks like a berth flag (`berth docker -v ...`).
    pub fn parse_from_words(words: Vec<OsString>) -> Cli {
        Cli::bare_pass_through(words).unwrap_or_else(Cli::parse_with_clap)
    }

    /// `berth docker WORDS...` or `berth compose WORDS...`, the shape pixi's tasks run,
    /// without clap: building clap's command tree, parsing with it and dropping it is an
    /// eighth of a millisecond before berth can exec docker (issue 17). With nothing between
    /// `berth` and the command, the global flags keep their defaults and every word after it
    /// is docker's, so there is nothing to parse. Any other line is handed back for clap.
    fn bare_pass_through(mut words: Vec<OsString>) -> Result<Cli, Vec<OsString>> {
        let docker = match words.get(1).and_then(|word| word.to_str()) {
            Some("docker") => true,
            Some("compose") => false,
            _ => return Err(words),
        };
        let args = PassThroughArgs {
            args: words.split_off(2),
        };
        Ok(Cli {
            global: GlobalArgs::default(),
            command: if docker {
                Command::Docker(args)
            } else {
                Command::Compose(args)
            },
        })
    }

    /// clap would take global flags out of the words after `docker` or `compose`, so those
    /// are set aside before clap sees the rest.
    fn parse_with_clap(mut words: Vec<OsString>) -> Cli {
        let pass_through = pass_through_start(&words).map(|at| words.split_off(at));
        let mut cli = Cli::parse_from(words);
        if let (Some(rest), Command::Docker(args) | Command::Compose(args)) =
            (pass_through, &mut cli.command)
        {
            args.args = rest;
        }
        cli
    }
}

/// Where the words of `berth [GLOBAL FLAGS] docker|compose ...` start, if that is the shape.
fn pass_through_start(words: &[OsString]) -> Option<usize> {
    const TAKES_VALUE: &[&str] = &["--manifest-path", "--runtime", "--color"];
    let mut i = 1;
    while let Some(word) = words.get(i).and_then(|w| w.to_str()) {
        if TAKES_VALUE.contains(&word) {
            i += 2;
        } else if word.starts_with('-') {
            i += 1;
        } else {
            return matches!(word, "docker" | "compose").then_some(i + 1);
        }
    }
    None
}

// `Default` is the line without flags: `Cli::bare_pass_through` gives it without asking clap.
#[derive(Debug, Default, Args)]
pub struct GlobalArgs {
    /// The manifest to use (pixi.toml or pyproject.toml), or its directory
    #[arg(long, global = true, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,

    // The `runtime` setting: its text is parsed by `settings`, with the variable's and the
    // manifest's, so a bad name is the same error from all three.
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        help = format!("The container runtime: {}", RuntimeChoice::names().join(", "))
    )]
    pub runtime: Option<String>,

    /// When to use colour
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,

    /// Say more: every command berth runs, and why it chose a runtime
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Say nothing but errors and results
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

// `defer`: a subcommand's arguments are built only when the command line reaches it. clap
// would otherwise build every subcommand's arguments for any command line (issue 17).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Run a task of pixi.toml, as `pixi run` would
    Run(RunArgs),

    /// List, add or remove the tasks of pixi.toml
    #[command(subcommand)]
    Task(TaskCommand),

    /// Manage the project's container runtime (a Lima VM by default)
    #[command(subcommand)]
    Container(ContainerCommand),

    /// Run the docker CLI against the project's runtime; every argument goes to docker
    #[command(disable_help_flag = true)]
    Docker(PassThroughArgs),

    /// Run docker compose against the project's runtime; every argument goes to compose
    #[command(disable_help_flag = true)]
    Compose(PassThroughArgs),

    /// Print the environment that points docker at the project's runtime
    Env(EnvArgs),

    /// Run one job in a container, or natively with limits, in its own workspace
    Exec(Box<ExecArgs>),

    /// Warm containers that `berth exec` reuses
    #[command(subcommand)]
    Pool(PoolCommand),

    /// Check every runtime, tool and setting, and say what berth would use
    Doctor(JsonArgs),

    /// Clean up what berth and Lima left on this machine
    #[command(subcommand)]
    System(SystemCommand),

    /// Add berth's tasks and settings to pixi.toml
    Init(InitArgs),

    /// Print the line that registers berth's completions in a shell
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The task, then the words passed to it (a leading `--` is dropped); or a command to
    /// run in the environment when no task has that name
    // Every word from the task on is the task's, flags included, as in `pixi run`; a flag
    // before it must be one of berth's.
    #[arg(value_name = "TASK", trailing_var_arg = true)]
    pub task: Vec<String>,

    /// The environment to run the task in
    #[arg(short, long, value_name = "ENVIRONMENT", add = ArgValueCompleter::new(crate::tasks::complete::environment_names))]
    pub environment: Option<String>,

    /// The platform whose `[target.<platform>]` tasks and activation apply (a platform the
    /// workspace declares)
    #[arg(short, long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Run TASK as a command even when a task has that name
    #[arg(short = 'x', long)]
    pub executable: bool,

    /// Render a command given in place of a task as a template (`{{ pixi.platform }}`)
    #[arg(long)]
    pub templated: bool,

    /// Run only the task, not its dependencies
    #[arg(long)]
    pub skip_deps: bool,

    /// Run with a clean environment (only a few variables such as HOME and USER kept)
    #[arg(long)]
    pub clean_env: bool,

    /// Print what would run, and run nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Accepted for pixi compatibility; berth installs nothing
    #[arg(long, help_heading = "pixi's install options (no effect)")]
    pub frozen: bool,

    /// Accepted for pixi compatibility; berth installs nothing
    #[arg(long, help_heading = "pixi's install options (no effect)")]
    pub locked: bool,

    /// Accepted for pixi compatibility; berth installs nothing
    #[arg(long, help_heading = "pixi's install options (no effect)")]
    pub no_install: bool,

    /// Accepted for pixi compatibility; berth installs nothing
    #[arg(long, help_heading = "pixi's install options (no effect)")]
    pub as_is: bool,
}

/// The command line as shell completion sees it: `berth run`'s first word completes task
/// names and the words after it nothing, which needs them to be separate arguments (parsing
/// keeps them one, so that every word after the task stays the task's).
pub fn completion_command() -> clap::Command {
    use clap::CommandFactory;
    // `run`'s arguments are deferred (see `Command`): these changes are deferred with them.
    Cli::command().mut_subcommand("run", |run| run.defer(run_for_completion))
}

fn run_for_completion(run: clap::Command) -> clap::Command {
    RunArgs::augment_args(run)
        .mut_arg("task", |task| {
            task.num_args(1)
                .action(clap::ArgAction::Set)
                .trailing_var_arg(false)
                .add(ArgValueCompleter::new(crate::tasks::complete::task_names))
        })
        .arg(
            clap::Arg::new("args")
                .value_name("ARGS")
                .num_args(0..)
                .trailing_var_arg(true)
                .allow_hyphen_values(true),
        )
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum TaskCommand {
    /// List the tasks of the workspace
    #[command(visible_alias = "ls", alias = "l")]
    List(TaskListArgs),

    /// Add a task to the manifest
    #[command(visible_alias = "a")]
    Add(TaskAddArgs),

    /// Remove tasks from the manifest
    #[command(visible_alias = "rm")]
    Remove(TaskRemoveArgs),

    /// Add a task that runs other tasks
    #[command(alias = "@")]
    Alias(TaskAliasArgs),
}

#[derive(Debug, Args)]
pub struct TaskListArgs {
    /// The environment whose tasks to list
    #[arg(short, long, value_name = "ENVIRONMENT", add = ArgValueCompleter::new(crate::tasks::complete::environment_names))]
    pub environment: Option<String>,

    /// Print the tasks per environment, and whether this machine runs it (on stderr)
    #[arg(short, long)]
    pub summary: bool,

    /// Print JSON: every environment, its features and their tasks
    #[arg(long)]
    pub json: bool,
}

// Where in the manifest a task goes: which feature or environment, which platform. (Not a
// doc comment: clap would make it the `about` of the commands that flatten it, once their
// arguments are deferred.)
#[derive(Debug, Args)]
pub struct TaskPlace {
    /// The platform whose `[target.<platform>.tasks]` table to use
    #[arg(short, long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// The feature whose tasks to change (default: the top-level `[tasks]`)
    #[arg(short, long, value_name = "FEATURE")]
    pub feature: Option<String>,

    /// The environment whose inline tasks to change (`[environments.<name>.tasks]`)
    #[arg(short, long, value_name = "ENVIRONMENT", conflicts_with = "feature")]
    pub environment: Option<String>,
}

#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct TaskAddArgs {
    /// The task's name
    pub name: String,

    /// The command; several words are joined, quoted where they hold spaces
    #[arg(required = true, num_args = 1.., value_name = "COMMAND")]
    pub command: Vec<String>,

    /// Tasks to run first
    #[arg(long, num_args = 1.., value_name = "TASK")]
    pub depends_on: Vec<String>,

    #[command(flatten)]
    pub place: TaskPlace,

    /// The working directory, relative to the workspace root
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,

    /// A variable for the task, `KEY=VALUE` (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// The environment to run the task in when none is chosen
    #[arg(long, value_name = "ENVIRONMENT")]
    pub default_environment: Option<String>,

    /// What the task does, shown by `task list`
    #[arg(long)]
    pub description: Option<String>,

    /// Accepted for pixi compatibility, and, as in pixi, not written
    #[arg(long)]
    pub clean_env: bool,

    /// A typed argument of the task (repeatable)
    #[arg(long = "arg", value_name = "NAME")]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct TaskRemoveArgs {
    /// The tasks to remove
    #[arg(value_name = "TASK", required = true)]
    pub names: Vec<String>,

    #[command(flatten)]
    pub place: TaskPlace,
}

#[derive(Debug, Args)]
#[command(arg_required_else_help = true)]
pub struct TaskAliasArgs {
    /// The alias's name
    pub name: String,

    /// The tasks it runs, in order
    #[arg(required = true, num_args = 1.., value_name = "TASK")]
    pub depends_on: Vec<String>,

    /// The platform whose `[target.<platform>.tasks]` table to use
    #[arg(short, long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// The environment whose inline tasks to add it to
    #[arg(short, long, value_name = "ENVIRONMENT")]
    pub environment: Option<String>,

    /// What the alias does, shown by `task list`
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerCommand {
    /// Create and start the runtime (or start it, or do nothing if it runs)
    Init,
    /// Start the runtime
    Start,
    /// Stop the runtime
    Stop(ForceArgs),
    /// Delete the project's instance
    Delete(ForceArgs),
    /// Show the runtime's state (exit 0 running, 3 stopped or absent, 1 error)
    Status(JsonArgs),
    /// Open a shell in the VM, or run a command there
    Shell(ShellArgs),
    /// Show the VM's logs
    Logs(LogsArgs),
}

#[derive(Debug, Args)]
pub struct ForceArgs {
    /// Stop a running instance first, or stop it forcibly
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// The command to run in the VM (default: an interactive shell)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing as the logs grow
    #[arg(short, long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct PassThroughArgs {
    /// The arguments, passed on exactly
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    Sh,
    Bash,
    Zsh,
    Fish,
    Powershell,
    Json,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The shell to print for (default: from $SHELL)
    #[arg(long)]
    pub shell: Option<ShellKind>,

    /// Print a JSON object (same as --shell json)
    #[arg(long, conflicts_with = "shell")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum SystemCommand {
    /// Remove the project's runtime state, or with --global Lima's system-level state
    Clean(CleanArgs),
}

#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Clean system-level state: ~/.lima, Lima's cache, orphaned berth directories
    #[arg(long)]
    pub global: bool,
    /// Print the plan and remove nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub yes: bool,
    /// Stop running instances first
    #[arg(short, long)]
    pub force: bool,
    /// Print the plan and the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Print the change as a diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The image to run the job in (without one, the job runs natively)
    #[arg(long, value_name = "IMG")]
    pub image: Option<String>,

    /// The memory limit, e.g. `512m` or `2g`
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,

    /// The CPU limit, e.g. `1.5`; natively it bounds CPU time to cpus × timeout
    #[arg(long, value_name = "N")]
    pub cpus: Option<String>,

    /// Kill the job after this long, e.g. `30s` or `5m` (berth then exits 124)
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Native jobs: the CPU time each process may use, e.g. `10s` (RLIMIT_CPU)
    #[arg(long, value_name = "DURATION")]
    pub cpu_time: Option<String>,

    /// A file or directory to copy into the job's work directory (repeatable)
    #[arg(long, value_name = "PATH")]
    pub input: Vec<std::path::PathBuf>,

    /// A glob, relative to the work directory, of files to copy back (repeatable)
    #[arg(long, value_name = "GLOB")]
    pub output: Vec<String>,

    /// Where outputs are copied back to (default: the current directory)
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<std::path::PathBuf>,

    /// An environment variable for the job, `K=V` (repeatable)
    #[arg(long, value_name = "K=V")]
    pub env: Vec<String>,

    /// The container network (default: `none`)
    #[arg(long, value_name = "NET")]
    pub network: Option<String>,

    /// Fail instead of running natively when no container runtime is found
    #[arg(long)]
    pub no_native: bool,

    /// Run the job as replicas on the project's engine, a Docker Swarm manager
    #[arg(long, requires = "image")]
    pub cluster: bool,

    /// Cluster jobs: how many replicas to run (default 1); each gets BERTH_JOB_INDEX 1…N
    #[arg(long, value_name = "N", requires = "cluster")]
    pub replicas: Option<u32>,

    /// Cluster jobs: how many replicas may run at once (default: all of them)
    #[arg(long, value_name = "M", requires = "cluster")]
    pub parallel: Option<u32>,

    /// Print the result as JSON; the job's output goes only to its log files
    #[arg(long)]
    pub json: bool,

    /// The command and its arguments
    #[arg(
        last = true,
        required = true,
        num_args = 1..,
        value_name = "CMD"
    )]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum PoolCommand {
    /// Start warm containers for `berth exec --image IMG`
    Start(PoolStartArgs),
    /// List the pool's containers
    Status(JsonArgs),
    /// Remove every pool container of this project
    Stop,
}

#[derive(Debug, Args)]
pub struct PoolStartArgs {
    /// How many containers to keep warm
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub size: u32,

    /// The image the containers run
    #[arg(long, value_name = "IMG")]
    pub image: String,

    /// The memory limit of each container, e.g. `512m`
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,

    /// The CPU limit of each container, e.g. `1.5`
    #[arg(long, value_name = "N")]
    pub cpus: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to register completions in
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::parse_from_words(
            std::iter::once("berth")
                .chain(args.iter().copied())
                .map(OsString::from)
                .collect(),
        )
    }

    fn passed(cli: Cli) -> Vec<String> {
        match cli.command {
            Command::Docker(a) | Command::Compose(a) => a
                .args
                .iter()
                .map(|s| s.to_string_lossy().into_owned())
                .collect(),
            Command::Run(r) => r.task,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn docker_takes_every_word_including_berth_flags() {
        for words in [
            &["--help"][..],
            &["-v", "ps"],
            &["-H", "x", "ps"],
            &["--version"],
            &["-q"],
            &["run", "--rm", "-it", "img", "sh", "-c", "exit 7"],
            &["--manifest-path", "x"],
            &["--", "ps"],
            &[],
        ] {
            let mut args = vec!["docker"];
            args.extend_from_slice(words);
            assert_eq!(passed(parse(&args)), words, "berth docker {words:?}");
            args[0] = "compose";
            assert_eq!(passed(parse(&args)), words, "berth compose {words:?}");
        }
    }

    fn line(words: &[&str]) -> Vec<OsString> {
        std::iter::once("berth")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn a_bare_pass_through_is_what_clap_makes_of_it() {
        for words in [
            &[][..],
            &["--help"],
            &["-h"],
            &["--version"],
            &["-V"],
            &["--"],
            &["--", "-v"],
            &["-v", "-q", "--color=never"],
            &["--runtime", "lima", "--manifest-path", "x"],
            &["help"],
            &["docker", "compose"],
            &[""],
            &["run", "--rm", "-it", "img", "sh", "-c", "exit 7"],
        ] {
            for command in ["docker", "compose"] {
                let words = [&[command][..], words].concat();
                let bare = Cli::bare_pass_through(line(&words)).expect("taken without clap");
                let clap = Cli::parse_with_clap(line(&words));
                assert_eq!(format!("{bare:?}"), format!("{clap:?}"), "berth {words:?}");
            }
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_word_that_is_not_utf8_reaches_docker_without_clap() {
        use std::os::unix::ffi::OsStringExt;
        let mut words = line(&["docker", "ps"]);
        words.push(OsString::from_vec(vec![b'-', 0xff]));
        let bare = Cli::bare_pass_through(words.clone()).expect("taken without clap");
        let clap = Cli::parse_with_clap(words);
        assert_eq!(format!("{bare:?}"), format!("{clap:?}"));
    }

    #[test]
    fn anything_before_the_pass_through_goes_to_clap() {
        for words in [
            &[][..],
            &["-v", "docker", "ps"],
            &["--runtime", "docker", "docker", "ps"],
            &["--", "docker"],
            &["--help", "docker"],
            &["Docker", "ps"],
            &["dockerd"],
            &["run", "docker"],
        ] {
            assert_eq!(
                Cli::bare_pass_through(line(words)).err(),
                Some(line(words)),
                "berth {words:?}"
            );
        }
    }

    /// Every subcommand's name and help text, depth first, but for the `help` subcommands
    /// clap adds as it builds.
    fn help_texts(command: &clap::Command) -> Vec<String> {
        command
            .get_subcommands()
            .filter(|sub| sub.get_name() != "help")
            .flat_map(|sub| {
                let own = format!(
                    "{}: {:?} / {:?}",
                    sub.get_name(),
                    sub.get_about(),
                    sub.get_long_about()
                );
                std::iter::once(own).chain(help_texts(sub))
            })
            .collect()
    }

    #[test]
    fn a_deferred_subcommand_keeps_its_help_text_once_built() {
        use clap::CommandFactory;
        let mut built = Cli::command();
        built.build();
        assert_eq!(help_texts(&built), help_texts(&Cli::command()));
    }

    #[test]
    fn global_flags_before_the_subcommand_still_work() {
        let cli = parse(&["-v", "--color", "never", "--runtime=docker", "docker", "ps"]);
        assert!(cli.global.verbose);
        assert_eq!(cli.global.color, ColorChoice::Never);
        assert_eq!(passed(cli), ["ps"]);
    }

    #[test]
    fn run_gives_the_task_every_word_after_its_name() {
        assert_eq!(
            passed(parse(&["run", "test", "-v", "--x", "--", "y"])),
            ["test", "-v", "--x", "--", "y"]
        );
        let cli = parse(&["run", "-e", "dev", "test", "--help"]);
        match &cli.command {
            Command::Run(r) => assert_eq!(r.environment.as_deref(), Some("dev")),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(passed(cli), ["test", "--help"]);
    }
}
