//! Docker argv → Apple `container` argv: the words after `berth docker`, rewritten for
//! Apple's `container` CLI.
//!
//! A pure function over tables. Docker's parsing rules are followed (pflag: `-it` clusters,
//! `-eX` and `-e=X`, `--flag=value`, `--` ends options, and for `run`/`create`/`exec` the
//! first operand ends them: everything after the image is the container's command, untouched).
//! A docker flag `container` has no equivalent for is an error naming it and what to do
//! instead, never a silent drop: the two CLIs share letters with different meanings (`-c` is
//! CPU shares in docker, CPUs in `container`; `-a` is attach in docker, arch in `container`).

use std::ffi::{OsStr, OsString};
use std::fmt;

use crate::diag::Diagnostic;
use crate::diag::closest;

/// Why a docker command line has no `container` translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError {
    pub message: String,
    pub help: Vec<String>,
}

impl TranslateError {
    fn new(message: impl Into<String>) -> TranslateError {
        TranslateError {
            message: message.into(),
            help: Vec::new(),
        }
    }

    fn help(mut self, help: impl Into<String>) -> TranslateError {
        self.help.push(help.into());
        self
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TranslateError {}

impl From<TranslateError> for Diagnostic {
    fn from(err: TranslateError) -> Diagnostic {
        err.help
            .into_iter()
            .fold(Diagnostic::new(err.message), Diagnostic::help)
    }
}

/// A `container` command line, with what berth must check or say before it runs.
#[derive(Debug, PartialEq)]
pub struct Translated {
    /// The words after `container`.
    pub args: Vec<OsString>,
    /// The oldest `container` release that accepts `args`, when older ones refuse them.
    pub needs: Option<Needs>,
    /// Where `container` differs from docker in a way berth cannot translate away.
    pub notes: Vec<&'static str>,
}

/// A `container` release some docker words need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub release: Release,
    /// The docker words, for the error (`docker build --ssh`).
    pub what: &'static str,
}

/// A `container` release number: major, minor, patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release(pub u32, pub u32, pub u32);

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Translate a docker argv (without the leading `docker`) into a `container` argv (without
/// the leading `container`).
pub fn translate(args: &[OsString]) -> Result<Translated, TranslateError> {
    translation(args).map(Translation::into_translated)
}

/// A translated command, kept in parts so tests can check every flag it emits.
#[derive(Debug, PartialEq)]
struct Translation {
    command: &'static [&'static str],
    options: Vec<(&'static str, Option<OsString>)>,
    operands: Vec<OsString>,
    /// How to read `operands`: after the first of `run`/`exec`, words are the command's own.
    kind: Operands,
    needs: Option<Needs>,
    notes: Vec<&'static str>,
}

impl Translation {
    fn bare(command: &'static [&'static str]) -> Translation {
        Translation::new(command, Operands::Nothing)
    }

    fn new(command: &'static [&'static str], kind: Operands) -> Translation {
        Translation {
            command,
            options: Vec::new(),
            operands: Vec::new(),
            kind,
            needs: None,
            notes: Vec::new(),
        }
    }

    /// The value of the last `flag` given (the one both CLIs keep).
    fn last(&self, flag: &str) -> Option<&Option<OsString>> {
        self.options
            .iter()
            .rev()
            .find(|(f, _)| *f == flag)
            .map(|(_, v)| v)
    }

    fn into_translated(mut self) -> Translated {
        let needs = self.needs.take();
        let notes = std::mem::take(&mut self.notes);
        Translated {
            args: self.into_args(),
            needs,
            notes,
        }
    }

    fn into_args(self) -> Vec<OsString> {
        let mut args: Vec<OsString> = self.command.iter().map(OsString::from).collect();
        for (flag, value) in self.options {
            args.push(flag.into());
            args.extend(value);
        }
        // An operand that looks like an option (an image or path starting with `-`, only
        // possible after docker's `--`) keeps its `--` so `container` reads it as an operand.
        // A command after the image is the container's own and needs none.
        let dashed = match self.kind {
            Operands::CommandAfterFirst => {
                self.operands.first().is_some_and(|o| starts_with_dash(o))
            }
            _ => self.operands.iter().any(|o| starts_with_dash(o)),
        };
        if dashed {
            args.push("--".into());
        }
        args.extend(self.operands);
        args
    }
}

fn starts_with_dash(word: &OsStr) -> bool {
    word.as_encoded_bytes().first() == Some(&b'-')
}

/// One docker subcommand and how it maps.
struct Spec {
    /// The docker words, for messages (`docker run`).
    docker: &'static str,
    /// The `container` words it becomes.
    container: &'static [&'static str],
    flags: &'static [Flag],
    operands: Operands,
    /// What the command as a whole needs once its flags are mapped (see [`Spec::then`]).
    finish: Finish,
}

/// A check or rewrite of a whole translated command.
type Finish = fn(&mut Translation) -> Result<(), TranslateError>;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Operands {
    /// Options and operands mix freely (`docker rm a -f b`).
    Interspersed,
    /// As `Interspersed`, but `container` takes one operand where docker takes several.
    One,
    /// The first operand (an image or a container) ends the options; the rest is a command.
    CommandAfterFirst,
    /// No operands.
    Nothing,
}

/// One docker flag.
struct Flag {
    short: Option<char>,
    long: &'static str,
    takes_value: bool,
    to: To,
}

/// What a docker flag becomes.
enum To {
    /// This `container` flag, with the same value.
    Same(&'static str),
    /// This `container` flag, with the value converted or checked; `Ok(None)` when the value
    /// is docker's default, so there is nothing to pass.
    Convert(
        &'static str,
        fn(&str) -> Result<Option<String>, TranslateError>,
    ),
    /// No equivalent: refused with this help (a boolean set to `false` is docker's default
    /// and passes as nothing).
    Refuse(&'static str),
}

const fn flag(short: Option<char>, long: &'static str, takes_value: bool, to: To) -> Flag {
    Flag {
        short,
        long,
        takes_value,
        to,
    }
}

const HELP: Flag = flag(Some('h'), "help", false, To::Same("--help"));

const RUN_FLAGS: &[Flag] = &[
    flag(Some('i'), "interactive", false, To::Same("-i")),
    flag(Some('t'), "tty", false, To::Same("-t")),
    flag(Some('d'), "detach", false, To::Same("--detach")),
    flag(None, "rm", false, To::Same("--rm")),
    flag(Some('e'), "env", true, To::Same("--env")),
    flag(None, "env-file", true, To::Same("--env-file")),
    flag(Some('v'), "volume", true, To::Same("--volume")),
    flag(None, "mount", true, To::Convert("--mount", mount)),
    flag(
        Some('p'),
        "publish",
        true,
        To::Convert("--publish", publish),
    ),
    flag(None, "cpus", true, To::Convert("--cpus", whole_cpus)),
    flag(Some('m'), "memory", true, To::Convert("--memory", memory)),
    flag(None, "name", true, To::Same("--name")),
    flag(Some('w'), "workdir", true, To::Same("--workdir")),
    flag(None, "entrypoint", true, To::Same("--entrypoint")),
    flag(Some('u'), "user", true, To::Same("--user")),
    flag(None, "network", true, To::Convert("--network", network)),
    flag(None, "net", true, To::Convert("--network", network)),
    flag(None, "platform", true, To::Same("--platform")),
    flag(Some('l'), "label", true, To::Same("--label")),
    flag(None, "init", false, To::Same("--init")),
    flag(None, "read-only", false, To::Same("--read-only")),
    flag(None, "cap-add", true, To::Same("--cap-add")),
    flag(None, "cap-drop", true, To::Same("--cap-drop")),
    flag(None, "cidfile", true, To::Same("--cidfile")),
    flag(None, "dns", true, To::Same("--dns")),
    flag(None, "dns-search", true, To::Same("--dns-search")),
    flag(None, "dns-option", true, To::Same("--dns-option")),
    flag(None, "tmpfs", true, To::Convert("--mount", tmpfs)),
    flag(None, "shm-size", true, To::Same("--shm-size")),
    flag(None, "ulimit", true, To::Same("--ulimit")),
    flag(None, "restart", true, To::Convert("--restart", restart)),
    flag(
        Some('c'),
        "cpu-shares",
        true,
        To::Refuse(
            "Apple container has no CPU shares (its `-c` means a CPU count); use `--cpus N`",
        ),
    ),
    flag(
        Some('a'),
        "attach",
        true,
        To::Refuse(
            "Apple container attaches stdout and stderr unless `-d`; drop `-a` (its `-a` means --arch)",
        ),
    ),
    flag(
        Some('P'),
        "publish-all",
        false,
        To::Refuse(
            "Apple container cannot publish every port; publish each with `-p HOST:CONTAINER`",
        ),
    ),
    flag(
        Some('h'),
        "hostname",
        true,
        To::Refuse(
            "Apple container cannot set the hostname; use runtime `lima` or `docker` if it matters",
        ),
    ),
    flag(
        None,
        "privileged",
        false,
        To::Refuse("Apple container has no privileged mode; grant what is needed with `--cap-add`"),
    ),
    flag(
        None,
        "gpus",
        true,
        To::Refuse("Apple container has no GPU access; use a native task for GPU work"),
    ),
    flag(
        None,
        "add-host",
        true,
        To::Refuse(
            "Apple container has no --add-host; use runtime `lima` or `docker` for extra host entries",
        ),
    ),
    flag(None, "health-cmd", true, To::Refuse(NO_HEALTH)),
    flag(None, "health-interval", true, To::Refuse(NO_HEALTH)),
    flag(None, "health-retries", true, To::Refuse(NO_HEALTH)),
    flag(None, "health-timeout", true, To::Refuse(NO_HEALTH)),
    flag(None, "health-start-period", true, To::Refuse(NO_HEALTH)),
    flag(None, "no-healthcheck", false, To::Refuse(NO_HEALTH)),
    // Docker's `-h` is --hostname here, so run has no short help flag.
    flag(None, "help", false, To::Same("--help")),
];

const NO_HEALTH: &str = "Apple container has no health checks; drop the --health-* flags";

const EXEC_FLAGS: &[Flag] = &[
    flag(Some('i'), "interactive", false, To::Same("-i")),
    flag(Some('t'), "tty", false, To::Same("-t")),
    flag(Some('d'), "detach", false, To::Same("--detach")),
    flag(Some('e'), "env", true, To::Same("--env")),
    flag(None, "env-file", true, To::Same("--env-file")),
    flag(Some('u'), "user", true, To::Same("--user")),
    flag(Some('w'), "workdir", true, To::Same("--workdir")),
    flag(
        None,
        "privileged",
        false,
        To::Refuse("Apple container has no privileged mode"),
    ),
    HELP,
];

const LIST_FLAGS: &[Flag] = &[
    flag(Some('a'), "all", false, To::Same("--all")),
    flag(Some('q'), "quiet", false, To::Same("-q")),
    flag(None, "format", true, To::Convert("--format", format)),
    HELP,
];

const IMAGE_LIST_FLAGS: &[Flag] = &[
    flag(Some('q'), "quiet", false, To::Same("-q")),
    flag(None, "format", true, To::Convert("--format", format)),
    HELP,
];

// Image/ImagePull.swift and Image/ImagePush.swift (1.0.0-1.2.2): `--platform` and
// Flags.Progress, whose `none` is docker's `-q`.
const PULL_PUSH_FLAGS: &[Flag] = &[
    flag(None, "platform", true, To::Same("--platform")),
    flag(
        Some('q'),
        "quiet",
        false,
        To::Convert("--progress", no_progress),
    ),
    HELP,
];

const ONLY_HELP: &[Flag] = &[HELP];

const IMAGE_DELETE_FLAGS: &[Flag] = &[flag(Some('f'), "force", false, To::Same("--force")), HELP];

const DELETE_FLAGS: &[Flag] = &[
    flag(Some('f'), "force", false, To::Same("--force")),
    flag(
        Some('v'),
        "volumes",
        false,
        To::Refuse(
            "Apple container keeps anonymous volumes; remove them with `container volume delete`",
        ),
    ),
    HELP,
];

const START_FLAGS: &[Flag] = &[
    flag(Some('a'), "attach", false, To::Same("--attach")),
    flag(Some('i'), "interactive", false, To::Same("-i")),
    HELP,
];

const STOP_FLAGS: &[Flag] = &[
    flag(Some('t'), "time", true, To::Same("--time")),
    flag(None, "timeout", true, To::Same("--time")),
    flag(Some('s'), "signal", true, To::Same("--signal")),
    HELP,
];

const KILL_FLAGS: &[Flag] = &[flag(Some('s'), "signal", true, To::Same("--signal")), HELP];

const LOGS_FLAGS: &[Flag] = &[
    flag(Some('f'), "follow", false, To::Same("-f")),
    flag(Some('n'), "tail", true, To::Convert("-n", tail)),
    HELP,
];

const INSPECT_FLAGS: &[Flag] = &[
    flag(
        Some('f'),
        "format",
        true,
        To::Refuse("Apple container's inspect always prints JSON; filter it with `jq`"),
    ),
    HELP,
];

const BUILD_FLAGS: &[Flag] = &[
    flag(Some('t'), "tag", true, To::Same("-t")),
    flag(Some('f'), "file", true, To::Same("-f")),
    flag(None, "build-arg", true, To::Same("--build-arg")),
    flag(None, "target", true, To::Same("--target")),
    flag(None, "no-cache", false, To::Same("--no-cache")),
    flag(None, "platform", true, To::Same("--platform")),
    flag(None, "pull", false, To::Same("--pull")),
    flag(Some('q'), "quiet", false, To::Same("-q")),
    flag(None, "secret", true, To::Same("--secret")),
    flag(None, "ssh", true, To::Convert("--ssh", ssh)),
    flag(Some('o'), "output", true, To::Convert("-o", build_output)),
    flag(None, "label", true, To::Same("--label")),
    flag(
        None,
        "progress",
        true,
        To::Convert("--progress", build_progress),
    ),
    HELP,
];

const STATS_FLAGS: &[Flag] = &[
    flag(None, "no-stream", false, To::Same("--no-stream")),
    flag(None, "format", true, To::Convert("--format", format)),
    HELP,
];

const fn spec(
    docker: &'static str,
    container: &'static [&'static str],
    flags: &'static [Flag],
    operands: Operands,
) -> Spec {
    Spec {
        docker,
        container,
        flags,
        operands,
        finish: |_| Ok(()),
    }
}

impl Spec {
    /// This spec, finished by `finish` once every flag is mapped.
    const fn then(self, finish: Finish) -> Spec {
        Spec { finish, ..self }
    }
}

use Operands::{CommandAfterFirst, Interspersed, Nothing, One};

const RUN: Spec = spec("docker run", &["run"], RUN_FLAGS, CommandAfterFirst).then(clear_entrypoint);
const CREATE: Spec =
    spec("docker create", &["create"], RUN_FLAGS, CommandAfterFirst).then(clear_entrypoint);
const EXEC: Spec = spec("docker exec", &["exec"], EXEC_FLAGS, CommandAfterFirst);
// ContainerStart.swift (1.0.0-1.2.2): one `containerId`.
const START: Spec = spec("docker start", &["start"], START_FLAGS, One);
const STOP: Spec = spec("docker stop", &["stop"], STOP_FLAGS, Interspersed).then(docker_stop_time);
const KILL: Spec = spec("docker kill", &["kill"], KILL_FLAGS, Interspersed);
const RM: Spec = spec("docker rm", &["delete"], DELETE_FLAGS, Interspersed);
const PS: Spec = spec("docker ps", &["list"], LIST_FLAGS, Nothing);
const LOGS: Spec = spec("docker logs", &["logs"], LOGS_FLAGS, Interspersed);
const INSPECT: Spec = spec("docker inspect", &["inspect"], INSPECT_FLAGS, Interspersed);
const STATS: Spec = spec("docker stats", &["stats"], STATS_FLAGS, Interspersed);
const BUILD: Spec = spec("docker build", &["build"], BUILD_FLAGS, Interspersed).then(build_needs);
const IMAGES: Spec = spec(
    "docker images",
    &["image", "list"],
    IMAGE_LIST_FLAGS,
    Nothing,
);
const PULL: Spec = spec(
    "docker pull",
    &["image", "pull"],
    PULL_PUSH_FLAGS,
    Interspersed,
);
const PUSH: Spec = spec(
    "docker push",
    &["image", "push"],
    PULL_PUSH_FLAGS,
    Interspersed,
);
const RMI: Spec = spec(
    "docker rmi",
    &["image", "delete"],
    IMAGE_DELETE_FLAGS,
    Interspersed,
)
.then(force_note);
const TAG: Spec = spec("docker tag", &["image", "tag"], ONLY_HELP, Interspersed);
const IMAGE_INSPECT: Spec = spec(
    "docker image inspect",
    &["image", "inspect"],
    INSPECT_FLAGS,
    Interspersed,
);
const VERSION: Spec = spec("docker version", &["system", "version"], ONLY_HELP, Nothing);

/// The spec for a top-level docker subcommand.
fn top_level(word: &str) -> Option<&'static Spec> {
    Some(match word {
        "run" => &RUN,
        "create" => &CREATE,
        "exec" => &EXEC,
        "start" => &START,
        "stop" => &STOP,
        "kill" => &KILL,
        "rm" => &RM,
        "ps" => &PS,
        "logs" => &LOGS,
        "inspect" => &INSPECT,
        "stats" => &STATS,
        "build" => &BUILD,
        "images" => &IMAGES,
        "pull" => &PULL,
        "push" => &PUSH,
        "rmi" => &RMI,
        "tag" => &TAG,
        "version" => &VERSION,
        _ => return None,
    })
}

/// `docker container WORD`, the management-command spelling of the container commands.
fn container_group(word: &str) -> Option<&'static Spec> {
    match word {
        "ls" | "list" => Some(&PS),
        "run" | "create" | "exec" | "start" | "stop" | "kill" | "rm" | "logs" | "inspect"
        | "stats" => top_level(word),
        _ => None,
    }
}

/// `docker image WORD`.
fn image_group(word: &str) -> Option<&'static Spec> {
    Some(match word {
        "ls" | "list" => &IMAGES,
        "pull" => &PULL,
        "push" => &PUSH,
        "rm" => &RMI,
        "tag" => &TAG,
        "inspect" => &IMAGE_INSPECT,
        "build" => &BUILD,
        _ => return None,
    })
}

/// The top-level docker commands berth translates (the keys of [`top_level`]).
const TRANSLATED: &[&str] = &[
    "run", "create", "exec", "start", "stop", "kill", "rm", "ps", "logs", "inspect", "stats",
    "build", "images", "pull", "push", "rmi", "tag", "version",
];

/// Docker commands berth knows but does not translate (for a precise message).
const UNTRANSLATED: &[&str] = &[
    "attach", "buildx", "commit", "config", "context", "cp", "diff", "events", "export", "history",
    "import", "info", "load", "login", "logout", "manifest", "network", "node", "pause", "plugin",
    "port", "rename", "restart", "save", "search", "secret", "service", "stack", "swarm", "system",
    "top", "trust", "unpause", "update", "volume", "wait",
];

fn translation(args: &[OsString]) -> Result<Translation, TranslateError> {
    let Some(first) = args.first() else {
        return Ok(Translation::bare(&["--help"]));
    };
    let first = utf8(first)?;
    match first {
        "--version" | "-v" if args.len() == 1 => return Ok(Translation::bare(&["--version"])),
        "--help" | "-h" | "help" if args.len() == 1 => return Ok(Translation::bare(&["--help"])),
        _ if first.starts_with('-') => {
            return Err(TranslateError::new(format!(
                "docker option `{first}` has no Apple container equivalent"
            ))
            .help("Apple container has no contexts, remote hosts or client config; drop the option before the docker command"));
        }
        _ => {}
    }
    let rest = &args[1..];
    let (spec, rest) = match first {
        "compose" => return Err(no_compose()),
        "container" => group(first, rest, container_group)?,
        "image" => group(first, rest, image_group)?,
        word => match top_level(word) {
            Some(spec) => (spec, rest),
            None => return Err(unknown_command(word)),
        },
    };
    parse(spec, rest)
}

fn group<'a>(
    name: &str,
    rest: &'a [OsString],
    lookup: fn(&str) -> Option<&'static Spec>,
) -> Result<(&'static Spec, &'a [OsString]), TranslateError> {
    let Some(word) = rest.first() else {
        return Err(
            TranslateError::new(format!("`docker {name}` needs a command"))
                .help(format!("for example `berth docker {name} ls`")),
        );
    };
    let word = utf8(word)?;
    match lookup(word) {
        Some(spec) => Ok((spec, &rest[1..])),
        None => Err(unknown_command(&format!("{name} {word}"))),
    }
}

fn no_compose() -> TranslateError {
    TranslateError::new("Apple container has no Compose support")
        .help("Compose needs the Docker Engine API, which Apple container does not serve (apple/container#55)")
        .help("use runtime `lima` or `docker` for Compose projects: `berth --runtime lima compose ...`")
}

fn unknown_command(word: &str) -> TranslateError {
    let known = UNTRANSLATED.contains(&word)
        || word
            .split_once(' ')
            .is_some_and(|(group, _)| group == "container" || group == "image");
    let err = if known {
        TranslateError::new(format!(
            "`docker {word}` has no Apple container translation in berth"
        ))
    } else {
        TranslateError::new(format!(
            "`{word}` is not a docker command berth can translate"
        ))
    };
    let err = match closest(word, TRANSLATED) {
        Some(near) if !known => err.help(format!("did you mean `docker {near}`?")),
        _ => err,
    };
    err.help(format!("berth translates: {}", TRANSLATED.join(", ")))
        .help("call Apple's CLI directly for the rest (`container --help`), or use runtime `lima` or `docker`")
}

fn utf8(word: &OsStr) -> Result<&str, TranslateError> {
    word.to_str().ok_or_else(|| {
        TranslateError::new(format!("`{}` is not valid UTF-8", word.to_string_lossy()))
    })
}

/// Parse the words after the subcommand by docker's rules, and map each flag.
fn parse(spec: &'static Spec, args: &[OsString]) -> Result<Translation, TranslateError> {
    let mut out = Translation::new(spec.container, spec.operands);
    let mut words = args.iter();
    let mut options_done = false;
    while let Some(word) = words.next() {
        if options_done || !starts_with_dash(word) || word == "-" {
            out.operands.push(word.clone());
            if spec.operands == CommandAfterFirst {
                out.operands.extend(words.by_ref().cloned());
            }
            continue;
        }
        if word == "--" {
            options_done = true;
            continue;
        }
        let text = utf8(word)?;
        if let Some(long) = text.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let flag = find(spec, |f| f.long == name)
                .ok_or_else(|| unknown_flag(spec, &format!("--{name}")))?;
            let value = match inline {
                Some(value) => Some(OsString::from(value)),
                None if flag.takes_value => {
                    Some(next_value(spec, &format!("--{name}"), &mut words)?)
                }
                None => None,
            };
            apply(spec, flag, &format!("--{name}"), value, &mut out)?;
        } else {
            let cluster: Vec<char> = text[1..].chars().collect();
            for (i, &c) in cluster.iter().enumerate() {
                let shown = format!("-{c}");
                let flag =
                    find(spec, |f| f.short == Some(c)).ok_or_else(|| unknown_flag(spec, &shown))?;
                let rest: String = cluster[i + 1..].iter().collect();
                if flag.takes_value {
                    // pflag: `-eX` and `-e=X` attach the value; otherwise it is the next word.
                    let value = if rest.is_empty() {
                        next_value(spec, &shown, &mut words)?
                    } else {
                        OsString::from(rest.strip_prefix('=').unwrap_or(&rest))
                    };
                    apply(spec, flag, &shown, Some(value), &mut out)?;
                    break;
                }
                if let Some(value) = rest.strip_prefix('=') {
                    apply(spec, flag, &shown, Some(value.into()), &mut out)?;
                    break;
                }
                apply(spec, flag, &shown, None, &mut out)?;
            }
        }
    }
    match spec.operands {
        Nothing if !out.operands.is_empty() => {
            return Err(TranslateError::new(format!(
                "`{} {}` has no Apple container translation",
                spec.docker,
                out.operands[0].to_string_lossy()
            ))
            .help(format!(
                "Apple's `container {}` takes no arguments; filter its output instead",
                spec.container.join(" ")
            )));
        }
        CommandAfterFirst if out.operands.is_empty() && !asks_for_help(&out) => {
            let (what, operand) = if spec.container == ["exec"] {
                ("a container", "CONTAINER")
            } else {
                ("an image", "IMAGE")
            };
            return Err(
                TranslateError::new(format!("`{}` needs {what}", spec.docker)).help(format!(
                    "berth {} [OPTIONS] {operand} [COMMAND...]",
                    spec.docker
                )),
            );
        }
        One if out.operands.len() > 1 => return Err(one_at_a_time(spec, &out.operands)),
        _ => {}
    }
    (spec.finish)(&mut out)?;
    Ok(out)
}

fn one_at_a_time(spec: &Spec, operands: &[OsString]) -> TranslateError {
    let each: Vec<String> = operands
        .iter()
        .map(|o| format!("berth {} {}", spec.docker, o.to_string_lossy()))
        .collect();
    TranslateError::new(format!(
        "Apple container takes one container at a time: `container {}` has a single argument",
        spec.container.join(" ")
    ))
    .help(format!("run one after the other: `{}`", each.join(" && ")))
}

fn asks_for_help(out: &Translation) -> bool {
    out.options.iter().any(|(flag, _)| *flag == "--help")
}

fn find(spec: &Spec, matches: impl Fn(&Flag) -> bool) -> Option<&'static Flag> {
    spec.flags.iter().find(|f| matches(f))
}

fn next_value(
    spec: &Spec,
    shown: &str,
    words: &mut std::slice::Iter<'_, OsString>,
) -> Result<OsString, TranslateError> {
    words.next().cloned().ok_or_else(|| {
        TranslateError::new(format!("`{}` flag `{shown}` needs a value", spec.docker))
            .help(format!("give it as `{shown} VALUE`"))
    })
}

fn apply(
    spec: &Spec,
    flag: &'static Flag,
    shown: &str,
    value: Option<OsString>,
    out: &mut Translation,
) -> Result<(), TranslateError> {
    if !flag.takes_value {
        // A boolean: bare, or `=true`/`=false` as pflag allows.
        let on = match value.as_deref().map(|v| v.to_str()) {
            None => true,
            Some(Some("true" | "1")) => true,
            Some(Some("false" | "0")) => false,
            Some(_) => {
                return Err(TranslateError::new(format!(
                    "`{}` flag `{shown}` takes true or false",
                    spec.docker
                ))
                .help(format!("write `{shown}` alone to turn it on")));
            }
        };
        if !on {
            return Ok(());
        }
        return match flag.to {
            To::Same(to) => {
                out.options.push((to, None));
                Ok(())
            }
            To::Convert(to, convert) => {
                out.options
                    .extend(convert("true")?.map(|v| (to, Some(v.into()))));
                Ok(())
            }
            To::Refuse(help) => Err(refused(spec, shown, help)),
        };
    }
    let value = value.unwrap_or_default();
    match flag.to {
        To::Same(to) => out.options.push((to, Some(value))),
        To::Convert(to, convert) => {
            let text = utf8(&value)?;
            let converted = convert(text).map_err(|err| TranslateError {
                message: format!("`{}` flag `{shown} {text}`: {}", spec.docker, err.message),
                help: err.help,
            })?;
            if let Some(converted) = converted {
                out.options.push((to, Some(converted.into())));
            }
        }
        To::Refuse(help) => return Err(refused(spec, shown, help)),
    }
    Ok(())
}

fn refused(spec: &Spec, shown: &str, help: &str) -> TranslateError {
    TranslateError::new(format!(
        "`{}` flag `{shown}` has no Apple container equivalent",
        spec.docker
    ))
    .help(help)
}

fn unknown_flag(spec: &Spec, shown: &str) -> TranslateError {
    let err = TranslateError::new(format!(
        "`{}` flag `{shown}` has no Apple container translation in berth",
        spec.docker
    ));
    let longs: Vec<&str> = spec.flags.iter().map(|f| f.long).collect();
    let err = match shown
        .strip_prefix("--")
        .and_then(|name| closest(name, &longs))
    {
        Some(near) => err.help(format!("did you mean `--{near}`?")),
        None => err,
    };
    err.help(format!(
        "see `container {} --help` for what Apple container accepts, or use runtime `lima` or `docker`",
        spec.container.join(" ")
    ))
}

/// `--cpus`: docker takes fractions, `container` a whole count.
fn whole_cpus(value: &str) -> Result<Option<String>, TranslateError> {
    let whole = value.strip_suffix(".0").unwrap_or(value);
    match whole.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n.to_string())),
        _ => Err(
            TranslateError::new("Apple container takes a whole number of CPUs")
                .help("round it: for example `--cpus 2`"),
        ),
    }
}

/// `-m/--memory`: docker's `512m`, `1g`, `1.5g`, `1gb` or plain bytes; `container` takes a
/// whole number with a K/M/G/T/P suffix and 1 MiB granularity.
fn memory(value: &str) -> Result<Option<String>, TranslateError> {
    let size = DockerSize::parse(value).ok_or_else(|| {
        TranslateError::new("not a memory size").help("give a size such as `512m` or `2g`")
    })?;
    if let (Ok(whole), Some(unit)) = (size.number.parse::<u64>(), size.unit) {
        return Ok(Some(format!("{whole}{}", unit.to_ascii_uppercase())));
    }
    match size.mebibytes() {
        Some(mib) => Ok(Some(format!("{mib}M"))),
        None => Err(
            TranslateError::new("Apple container sizes memory in whole MiB")
                .help("give a size such as `512m` or `2g`"),
        ),
    }
}

/// A size as docker reads one (go-units `RAMInBytes`: `512m`, `1.5g`, `2gb`, `64MiB`, plain
/// bytes): the number as written, its value, and its unit letter.
struct DockerSize {
    number: String,
    amount: f64,
    unit: Option<char>,
}

impl DockerSize {
    fn parse(value: &str) -> Option<DockerSize> {
        let lower = value.trim().to_ascii_lowercase();
        let lower = lower.strip_suffix('b').unwrap_or(&lower);
        let lower = lower.strip_suffix('i').unwrap_or(lower);
        let split = lower
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(lower.len());
        let (number, unit) = lower.split_at(split);
        let unit = match unit.trim_start() {
            "" => None,
            letter @ ("k" | "m" | "g" | "t" | "p") => letter.chars().next(),
            _ => return None,
        };
        Some(DockerSize {
            number: number.to_string(),
            amount: number.parse().ok()?,
            unit,
        })
    }

    /// The size in whole MiB, when it is one (at least 1).
    fn mebibytes(&self) -> Option<u64> {
        let power = self.unit.and_then(|u| "bkmgtp".find(u)).unwrap_or(0);
        let mib = self.amount * 1024f64.powi(power as i32) / 1024f64.powi(2);
        (mib >= 1.0 && mib.fract() == 0.0).then_some(mib as u64)
    }
}

/// `--network`: names pass through, but docker's default network `bridge` is `container`'s
/// `default` (NetworkClient.swift `defaultNetworkName`, 1.0.0-1.2.2), and there is no host
/// network.
fn network(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "bridge" => Ok(Some("default".to_string())),
        "host" => Err(TranslateError::new("Apple container has no host network")
            .help("publish the ports the container serves with `-p HOST:CONTAINER`")),
        _ => Ok(Some(value.to_string())),
    }
}

/// `--restart`: only docker's default `no` translates (to nothing).
fn restart(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "no" => Ok(None),
        _ => Err(TranslateError::new("Apple container has no restart policy")
            .help("drop --restart and restart the container yourself, or use runtime `lima` or `docker` (apple/container#286)")),
    }
}

/// `logs --tail`: a line count; docker's `all` is the default.
fn tail(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "all" => Ok(None),
        _ if value.parse::<u64>().is_ok() => Ok(Some(value.to_string())),
        _ => Err(TranslateError::new("not a line count").help("give a number, or `all`")),
    }
}

/// `--format`: `container` knows output formats, not Go templates.
fn format(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "json" | "table" => Ok(Some(value.to_string())),
        _ => Err(
            TranslateError::new("Apple container takes `json` or `table`, not a Go template")
                .help("use `--format json` and filter with `jq`"),
        ),
    }
}

/// `-p`: `container` needs the host port (Parser.swift `publishPort`, 1.0.0-1.2.2), where
/// docker's `80` and `IP::80` ask for a free one. The host port is the next-to-last `:` field,
/// as docker's `nat.ParsePortSpec` splits (`[::1]:8080:80` included).
fn publish(value: &str) -> Result<Option<String>, TranslateError> {
    let spec = value
        .split_once('/')
        .map_or(value, |(spec, _protocol)| spec);
    let fields: Vec<&str> = spec.split(':').collect();
    match fields.len().checked_sub(2).map(|i| fields[i]) {
        Some(host) if !host.is_empty() => Ok(Some(value.to_string())),
        _ => Err(TranslateError::new(format!(
            "`{value}` has no host port, and Apple container cannot pick one"
        ))
        .help("name the host port: `-p HOST:CONTAINER`, for example `-p 8080:80`")),
    }
}

/// `--tmpfs PATH[:OPTIONS]`: `container` takes the whole value as the path (Parser.swift
/// `tmpfsMounts`, 1.0.0-1.2.2), so it becomes a tmpfs `--mount`, which takes a size and a
/// mode (Parser.swift `mount`).
fn tmpfs(value: &str) -> Result<Option<String>, TranslateError> {
    let (path, options) = value.split_once(':').unwrap_or((value, ""));
    if path.is_empty() || path.contains([',', '=']) {
        return Err(TranslateError::new(format!(
            "Apple container cannot mount a tmpfs at `{path}`"
        ))
        .help("give an absolute path without `,` or `=`: `--tmpfs /run:size=64m`"));
    }
    let mut directives = vec![format!("type=tmpfs,destination={path}")];
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match option.split_once('=') {
            Some(("size", size)) => directives.push(tmpfs_size(size)?),
            Some(("mode", mode)) => directives.push(tmpfs_mode(mode)?),
            None if option == "rw" => {}
            None if option == "ro" => directives.push("readonly".to_string()),
            _ => {
                return Err(TranslateError::new(format!(
                    "tmpfs option `{option}` has no Apple container equivalent"
                ))
                .help("Apple container's tmpfs takes `size=`, `mode=` and `ro`; drop the rest"));
            }
        }
    }
    Ok(Some(directives.join(",")))
}

/// A tmpfs size in whole MiB: `container` truncates a size to MiB (Parser.swift `mount`), and
/// a tmpfs of size 0 has no limit at all.
fn tmpfs_size(value: &str) -> Result<String, TranslateError> {
    DockerSize::parse(value)
        .and_then(|size| size.mebibytes())
        .map(|mib| format!("size={mib}M"))
        .ok_or_else(|| {
            TranslateError::new(format!("tmpfs size `{value}` is not a whole number of MiB"))
                .help("Apple container sizes a tmpfs in whole MiB: for example `64m`")
        })
}

/// A tmpfs mode: octal, as docker reads `tmpfs-mode` and the kernel reads `mode=`.
fn tmpfs_mode(value: &str) -> Result<String, TranslateError> {
    if !value.is_empty() && value.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        Ok(format!("mode={value}"))
    } else {
        Err(
            TranslateError::new(format!("tmpfs mode `{value}` is not octal"))
                .help("give the mode in octal: for example `1777`"),
        )
    }
}

/// Docker `--mount` keys (opts/mount.go, docker/cli v29) that `container` has nothing for.
const DOCKER_ONLY_MOUNT_KEYS: &[&str] = &[
    "bind-propagation",
    "bind-recursive",
    "bind-nonrecursive",
    "bind-create-src",
    "volume-subpath",
    "volume-nocopy",
    "volume-label",
    "volume-driver",
    "volume-opt",
    "image-subpath",
];

/// `--mount`: docker's keys (opts/mount.go, docker/cli v29) as `container`'s directives
/// (Parser.swift `mount`, 1.0.0-1.2.2). `container` reads any `readonly=VALUE` as read-only
/// and mounts a directory when no type is given, where docker mounts a volume; so the type is
/// always written, `readonly` only when true, and tmpfs sizes and modes by their own names.
fn mount(value: &str) -> Result<Option<String>, TranslateError> {
    if value.contains('"') {
        return Err(
            TranslateError::new("Apple container's --mount has no quoting")
                .help("write the fields without quotes; a path with `,` or `=` cannot be mounted"),
        );
    }
    let mut kind = "volume".to_string();
    let mut directives = Vec::new();
    let mut tmpfs_key = None;
    for field in value.split(',') {
        let (key, val) = match field.split_once('=') {
            Some((key, val)) => (key.to_ascii_lowercase(), Some(val)),
            None => (field.to_ascii_lowercase(), None),
        };
        match (key.as_str(), val) {
            ("type", Some(val)) => kind = val.to_ascii_lowercase(),
            ("source" | "src", Some(val)) => directives.push(format!("source={val}")),
            ("target" | "dst" | "destination", Some(val)) => {
                directives.push(format!("destination={val}"));
            }
            ("readonly" | "ro", val) => {
                if docker_bool(&key, val)? {
                    directives.push("readonly".to_string());
                }
            }
            ("tmpfs-size", Some(val)) => {
                directives.push(tmpfs_size(val)?);
                tmpfs_key = Some("tmpfs-size");
            }
            ("tmpfs-mode", Some(val)) => {
                directives.push(tmpfs_mode(val)?);
                tmpfs_key = Some("tmpfs-mode");
            }
            // A hint that only Docker Desktop for Mac ever read.
            ("consistency", Some(_)) => {}
            // docker's defaults, which is how `container`'s shares behave.
            ("bind-propagation", Some("rprivate")) | ("bind-recursive", Some("enabled")) => {}
            (key, _) if DOCKER_ONLY_MOUNT_KEYS.contains(&key) => {
                return Err(TranslateError::new(format!(
                    "--mount key `{key}` has no Apple container equivalent"
                ))
                .help(format!(
                    "Apple container's --mount takes type, source, target, readonly, tmpfs-size and tmpfs-mode; drop `{key}`, or use runtime `lima` or `docker`"
                )));
            }
            _ => {
                return Err(TranslateError::new(format!(
                    "`{field}` is not a docker --mount field"
                ))
                .help("write `key=value` fields: type, source, target, readonly, tmpfs-size, tmpfs-mode"));
            }
        }
    }
    if !matches!(kind.as_str(), "bind" | "volume" | "tmpfs") {
        return Err(
            TranslateError::new(format!("Apple container has no `{kind}` mounts"))
                .help("use type=bind, type=volume or type=tmpfs"),
        );
    }
    if let Some(key) = tmpfs_key.filter(|_| kind != "tmpfs") {
        return Err(TranslateError::new(format!("`{key}` needs `type=tmpfs`"))
            .help("size and mode belong to tmpfs mounts only"));
    }
    directives.insert(0, format!("type={kind}"));
    Ok(Some(directives.join(",")))
}

/// A docker `--mount` boolean: bare is true; else `true`, `1`, `false` or `0` (opts/mount.go).
fn docker_bool(key: &str, value: Option<&str>) -> Result<bool, TranslateError> {
    match value {
        None | Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(other) => Err(
            TranslateError::new(format!("`{key}={other}` is not a boolean"))
                .help(format!("write `{key}`, `{key}=true` or `{key}=false`")),
        ),
    }
}

/// `pull -q`, `push -q`: `container` prints nothing with `--progress none` (Flags.swift
/// `Flags.Progress`, 1.0.0-1.2.2).
fn no_progress(_on: &str) -> Result<Option<String>, TranslateError> {
    Ok(Some("none".to_string()))
}

/// `build -o`: `container` needs `type=` (Builder.swift `BuildExport`, 1.0.0-1.2.2) and
/// exports oci (into its image store), tar or local; docker's bare `PATH` is a local export.
fn build_output(value: &str) -> Result<Option<String>, TranslateError> {
    let to_stdout = || {
        TranslateError::new("Apple container cannot write a build to stdout")
            .help("write a tar file instead: `-o type=tar,dest=FILE`")
    };
    if value == "-" {
        return Err(to_stdout());
    }
    if !value.contains('=') {
        return Ok(Some(format!("type=local,dest={value}")));
    }
    let fields: Vec<(&str, &str)> = value.split(',').filter_map(|f| f.split_once('=')).collect();
    if fields.contains(&("dest", "-")) {
        return Err(to_stdout());
    }
    match fields.iter().find(|(key, _)| *key == "type") {
        Some((_, "oci" | "tar" | "local")) => Ok(Some(value.to_string())),
        Some((_, other)) => Err(TranslateError::new(format!(
            "Apple container has no `{other}` build output"
        ))
        .help("it exports `type=oci` (the default: the image lands in its store), `type=tar,dest=FILE` or `type=local,dest=DIR`")),
        None => Err(TranslateError::new("a build output needs `type=`")
            .help("for example `-o type=local,dest=out`")),
    }
}

/// `build --ssh`: `container` forwards only the agent at SSH_AUTH_SOCK, spelled `default`
/// (BuildCommand.swift `validate`, 1.2.1-1.2.2).
fn ssh(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "default" => Ok(Some(value.to_string())),
        _ => Err(
            TranslateError::new("Apple container forwards only the default SSH agent")
                .help("use `--ssh default`, the agent at SSH_AUTH_SOCK"),
        ),
    }
}

/// `build --progress`: `container build` shows `auto`, `plain` or `tty` (BuildCommand.swift
/// `ProgressType`, 1.0.0-1.2.2).
fn build_progress(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
        "auto" | "plain" | "tty" => Ok(Some(value.to_string())),
        "quiet" => Err(
            TranslateError::new("Apple container's build has no `quiet` progress")
                .help("use `-q`, which it takes"),
        ),
        _ => Err(
            TranslateError::new("Apple container's build progress is auto, plain or tty")
                .help("for example `--progress plain`"),
        ),
    }
}

/// docker's `--entrypoint ""` clears the image's entrypoint and runs the command alone;
/// `container` ignores an empty entrypoint and runs the image's (Parser.swift `process`,
/// 1.0.0-1.2.2). The command's first word as the entrypoint is docker's process: `container`
/// then appends the rest and never the image's CMD.
fn clear_entrypoint(t: &mut Translation) -> Result<(), TranslateError> {
    let cleared = t
        .last("--entrypoint")
        .is_some_and(|value| value.as_deref().is_some_and(OsStr::is_empty));
    // No operands at all: only `--help` gets here.
    if !cleared || t.operands.is_empty() {
        return Ok(());
    }
    if t.operands.len() < 2 {
        return Err(
            TranslateError::new("`--entrypoint \"\"` needs a command after the image")
                .help("docker has nothing to run without one either (\"No command specified\"): `berth docker run --entrypoint \"\" IMAGE COMMAND...`"),
        );
    }
    t.options.retain(|(flag, _)| *flag != "--entrypoint");
    let command = t.operands.remove(1);
    t.options.push(("--entrypoint", Some(command)));
    Ok(())
}

/// docker waits 10 seconds before killing, `container stop` 5 (ContainerStop.swift `time`,
/// 1.0.0-1.2.2): without `-t`, docker's 10 is said.
fn docker_stop_time(t: &mut Translation) -> Result<(), TranslateError> {
    if t.last("--time").is_none() && !asks_for_help(t) {
        t.options.push(("--time", Some("10".into())));
    }
    Ok(())
}

/// `build --ssh` exists from `container` 1.2.1 (BuildCommand.swift; 1.2.0 has no `ssh`).
fn build_needs(t: &mut Translation) -> Result<(), TranslateError> {
    if t.last("--ssh").is_some() {
        t.needs = Some(Needs {
            release: Release(1, 2, 1),
            what: "`docker build --ssh`",
        });
    }
    Ok(())
}

/// docker's `rmi -f` removes images that containers use; `container`'s `--force` only ignores
/// images that are not found, and it removes used images anyway (Image/ImageDelete.swift,
/// ImagesService.swift `delete`, 1.0.0-1.2.2). Missing images pass either way, so `-f` maps.
fn force_note(t: &mut Translation) -> Result<(), TranslateError> {
    if t.last("--force").is_some() {
        t.notes.push(
            "Apple container's `--force` only ignores images that are not found; `container image delete` removes images that containers use with or without it",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
