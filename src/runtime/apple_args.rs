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

/// Translate a docker argv (without the leading `docker`) into a `container` argv (without
/// the leading `container`).
pub fn translate(args: &[OsString]) -> Result<Vec<OsString>, TranslateError> {
    translation(args).map(Translation::into_args)
}

/// A translated command, kept in parts so tests can check every flag it emits.
#[derive(Debug, PartialEq)]
struct Translation {
    command: &'static [&'static str],
    options: Vec<(&'static str, Option<OsString>)>,
    operands: Vec<OsString>,
    /// How to read `operands`: after the first of `run`/`exec`, words are the command's own.
    kind: Operands,
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
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Operands {
    /// Options and operands mix freely (`docker rm a -f b`).
    Interspersed,
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
    flag(None, "mount", true, To::Same("--mount")),
    flag(Some('p'), "publish", true, To::Same("--publish")),
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
    flag(None, "tmpfs", true, To::Same("--tmpfs")),
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

const PULL_FLAGS: &[Flag] = &[flag(None, "platform", true, To::Same("--platform")), HELP];

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
    flag(None, "ssh", true, To::Same("--ssh")),
    flag(Some('o'), "output", true, To::Same("-o")),
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
    }
}

use Operands::{CommandAfterFirst, Interspersed, Nothing};

const RUN: Spec = spec("docker run", &["run"], RUN_FLAGS, CommandAfterFirst);
const CREATE: Spec = spec("docker create", &["create"], RUN_FLAGS, CommandAfterFirst);
const EXEC: Spec = spec("docker exec", &["exec"], EXEC_FLAGS, CommandAfterFirst);
const START: Spec = spec("docker start", &["start"], START_FLAGS, Interspersed);
const STOP: Spec = spec("docker stop", &["stop"], STOP_FLAGS, Interspersed);
const KILL: Spec = spec("docker kill", &["kill"], KILL_FLAGS, Interspersed);
const RM: Spec = spec("docker rm", &["delete"], DELETE_FLAGS, Interspersed);
const PS: Spec = spec("docker ps", &["list"], LIST_FLAGS, Nothing);
const LOGS: Spec = spec("docker logs", &["logs"], LOGS_FLAGS, Interspersed);
const INSPECT: Spec = spec("docker inspect", &["inspect"], INSPECT_FLAGS, Interspersed);
const STATS: Spec = spec("docker stats", &["stats"], STATS_FLAGS, Interspersed);
const BUILD: Spec = spec("docker build", &["build"], BUILD_FLAGS, Interspersed);
const IMAGES: Spec = spec(
    "docker images",
    &["image", "list"],
    IMAGE_LIST_FLAGS,
    Nothing,
);
const PULL: Spec = spec("docker pull", &["image", "pull"], PULL_FLAGS, Interspersed);
const PUSH: Spec = spec("docker push", &["image", "push"], ONLY_HELP, Interspersed);
const RMI: Spec = spec(
    "docker rmi",
    &["image", "delete"],
    IMAGE_DELETE_FLAGS,
    Interspersed,
);
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
        Nothing if !out.operands.is_empty() => Err(TranslateError::new(format!(
            "`{} {}` has no Apple container translation",
            spec.docker,
            out.operands[0].to_string_lossy()
        ))
        .help(format!(
            "Apple's `container {}` takes no arguments; filter its output instead",
            spec.container.join(" ")
        ))),
        CommandAfterFirst if out.operands.is_empty() && !asks_for_help(&out) => {
            let (what, operand) = if spec.container == ["exec"] {
                ("a container", "CONTAINER")
            } else {
                ("an image", "IMAGE")
            };
            Err(
                TranslateError::new(format!("`{}` needs {what}", spec.docker)).help(format!(
                    "berth {} [OPTIONS] {operand} [COMMAND...]",
                    spec.docker
                )),
            )
        }
        _ => Ok(out),
    }
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
    let invalid =
        || TranslateError::new("not a memory size").help("give a size such as `512m` or `2g`");
    let lower = value.to_ascii_lowercase();
    let trimmed = lower.strip_suffix('b').unwrap_or(&lower);
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        "p" => 50,
        _ => return Err(invalid()),
    };
    if let Ok(whole) = number.parse::<u64>()
        && !unit.is_empty()
    {
        return Ok(Some(format!("{whole}{}", unit.to_ascii_uppercase())));
    }
    let amount: f64 = number.parse().map_err(|_| invalid())?;
    let mib = amount * f64::from(1u32 << 10).powi(shift / 10) / f64::from(1u32 << 20);
    if mib >= 1.0 && mib.fract() == 0.0 {
        Ok(Some(format!("{mib}M")))
    } else {
        Err(
            TranslateError::new("Apple container sizes memory in whole MiB")
                .help("give a size such as `512m` or `2g`"),
        )
    }
}

/// `--network`: names pass through; docker's `host` network does not exist.
fn network(value: &str) -> Result<Option<String>, TranslateError> {
    match value {
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    fn translated(line: &str) -> String {
        match translate(&words(line)) {
            Ok(args) => args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            Err(err) => panic!("`{line}` did not translate: {err} {:?}", err.help),
        }
    }

    #[test]
    fn translates_each_flag_and_command() {
        let cases = [
            // run: every flag, in both spellings where docker has two
            ("run alpine", "run alpine"),
            ("run -v /x:/y alpine", "run --volume /x:/y alpine"),
            (
                "run --volume /x:/y:ro alpine",
                "run --volume /x:/y:ro alpine",
            ),
            ("run --volume=data:/d alpine", "run --volume data:/d alpine"),
            (
                "run --mount type=bind,source=/x,target=/y alpine",
                "run --mount type=bind,source=/x,target=/y alpine",
            ),
            ("run -e A=1 alpine", "run --env A=1 alpine"),
            ("run --env A alpine", "run --env A alpine"),
            ("run -e=A=1 alpine", "run --env A=1 alpine"),
            ("run -eA=1 alpine", "run --env A=1 alpine"),
            ("run --env-file .env alpine", "run --env-file .env alpine"),
            ("run -p 8080:80 alpine", "run --publish 8080:80 alpine"),
            (
                "run --publish=127.0.0.1:53:53/udp alpine",
                "run --publish 127.0.0.1:53:53/udp alpine",
            ),
            ("run --cpus 2 alpine", "run --cpus 2 alpine"),
            ("run --cpus=4.0 alpine", "run --cpus 4 alpine"),
            ("run -m 512m alpine", "run --memory 512M alpine"),
            ("run --memory 2gb alpine", "run --memory 2G alpine"),
            ("run --memory=1.5g alpine", "run --memory 1536M alpine"),
            (
                "run --memory 1073741824 alpine",
                "run --memory 1024M alpine",
            ),
            ("run -i alpine", "run -i alpine"),
            ("run -t alpine", "run -t alpine"),
            ("run -it alpine sh", "run -i -t alpine sh"),
            ("run -itd alpine", "run -i -t --detach alpine"),
            ("run -ti --rm alpine", "run -t -i --rm alpine"),
            ("run --rm alpine", "run --rm alpine"),
            ("run --rm=true alpine", "run --rm alpine"),
            ("run --rm=false alpine", "run alpine"),
            ("run -d alpine", "run --detach alpine"),
            ("run --detach alpine", "run --detach alpine"),
            ("run --name web alpine", "run --name web alpine"),
            ("run --name=web alpine", "run --name web alpine"),
            ("run -w /src alpine", "run --workdir /src alpine"),
            ("run --workdir=/src alpine", "run --workdir /src alpine"),
            ("run --entrypoint sh alpine", "run --entrypoint sh alpine"),
            ("run -u 1000:1000 alpine", "run --user 1000:1000 alpine"),
            ("run --user root alpine", "run --user root alpine"),
            (
                "run --network backend alpine",
                "run --network backend alpine",
            ),
            ("run --net=backend alpine", "run --network backend alpine"),
            (
                "run --platform linux/amd64 alpine",
                "run --platform linux/amd64 alpine",
            ),
            ("run -l app=web alpine", "run --label app=web alpine"),
            ("run --label=app=web alpine", "run --label app=web alpine"),
            ("run --restart no alpine", "run alpine"),
            ("run --privileged=false alpine", "run alpine"),
            (
                "run --init --read-only alpine",
                "run --init --read-only alpine",
            ),
            (
                "run --cap-add NET_ADMIN --cap-drop ALL alpine",
                "run --cap-add NET_ADMIN --cap-drop ALL alpine",
            ),
            (
                "run --dns 1.1.1.1 --tmpfs /tmp --shm-size 64m alpine",
                "run --dns 1.1.1.1 --tmpfs /tmp --shm-size 64m alpine",
            ),
            ("run --help", "run --help"),
            // the image ends the options: the command is the container's, untouched
            ("run alpine ls -la --rm -c 1", "run alpine ls -la --rm -c 1"),
            ("run --rm alpine -- echo", "run --rm alpine -- echo"),
            ("run --rm -- alpine echo hi", "run --rm alpine echo hi"),
            ("run -- -odd-image", "run -- -odd-image"),
            (
                "create --name db -e A=1 postgres",
                "create --name db --env A=1 postgres",
            ),
            // exec
            ("exec -it web sh", "exec -i -t web sh"),
            (
                "exec -d -e A=1 --env-file f -u root -w /tmp web ls -l",
                "exec --detach --env A=1 --env-file f --user root --workdir /tmp web ls -l",
            ),
            // renamed commands
            ("ps", "list"),
            ("ps -a -q", "list --all -q"),
            ("ps -aq --format json", "list --all -q --format json"),
            ("container ls --all", "list --all"),
            ("images", "image list"),
            ("images -q --format=table", "image list -q --format table"),
            ("image ls", "image list"),
            ("pull alpine:3", "image pull alpine:3"),
            (
                "pull --platform linux/arm64 alpine",
                "image pull --platform linux/arm64 alpine",
            ),
            ("image pull alpine", "image pull alpine"),
            ("push me/app:1", "image push me/app:1"),
            (
                "rmi -f alpine busybox",
                "image delete --force alpine busybox",
            ),
            ("image rm alpine", "image delete alpine"),
            ("tag alpine me/alpine:1", "image tag alpine me/alpine:1"),
            ("rm web", "delete web"),
            ("rm web -f db", "delete --force web db"),
            ("container rm -f web", "delete --force web"),
            ("start -ai web", "start --attach -i web"),
            ("stop web", "stop web"),
            ("stop -t 10 web", "stop --time 10 web"),
            (
                "stop --timeout=3 -s SIGTERM web",
                "stop --time 3 --signal SIGTERM web",
            ),
            ("kill -s KILL web", "kill --signal KILL web"),
            ("logs web", "logs web"),
            ("logs -f -n 20 web", "logs -f -n 20 web"),
            ("logs --tail all --follow web", "logs -f web"),
            ("inspect web", "inspect web"),
            ("image inspect alpine", "image inspect alpine"),
            ("stats --no-stream", "stats --no-stream"),
            ("build .", "build ."),
            (
                "build -t app:1 -f Dockerfile.dev --build-arg V=1 --target dev --no-cache --pull .",
                "build -t app:1 -f Dockerfile.dev --build-arg V=1 --target dev --no-cache --pull .",
            ),
            (
                "build -q --platform linux/arm64 --secret id=x --ssh default -o type=oci .",
                "build -q --platform linux/arm64 --secret id=x --ssh default -o type=oci .",
            ),
            ("version", "system version"),
            ("--version", "--version"),
            ("-v", "--version"),
            ("--help", "--help"),
            ("", "--help"),
            ("rm -- -odd", "delete -- -odd"),
        ];
        for (docker, container) in cases {
            assert_eq!(translated(docker), container, "docker {docker}");
        }
    }

    #[test]
    fn the_command_lists_match_the_table() {
        for word in TRANSLATED {
            assert!(
                top_level(word).is_some(),
                "{word} is listed but not translated"
            );
        }
        for word in UNTRANSLATED {
            assert!(
                top_level(word).is_none(),
                "{word} is translated but listed as not"
            );
        }
    }

    #[test]
    fn values_keep_their_bytes() {
        use std::os::unix::ffi::OsStringExt;
        let path = OsString::from_vec(b"/caf\xe9:/w".to_vec());
        let args = vec!["run".into(), "-v".into(), path.clone(), "alpine".into()];
        let out = translate(&args).unwrap();
        assert_eq!(
            out,
            vec![
                "run".into(),
                "--volume".into(),
                path,
                OsString::from("alpine")
            ]
        );
    }

    fn refusal(line: &str) -> TranslateError {
        match translate(&words(line)) {
            Ok(args) => panic!("`{line}` translated to {args:?}, expected an error"),
            Err(err) => err,
        }
    }

    #[test]
    fn refuses_what_container_cannot_do_and_says_what_to_do() {
        let cases = [
            ("run -c 512 alpine", "flag `-c`", "--cpus"),
            (
                "run --cpu-shares 512 alpine",
                "flag `--cpu-shares`",
                "--cpus",
            ),
            ("run -a stdout alpine", "flag `-a`", "--arch"),
            ("run --attach=stdout alpine", "flag `--attach`", "-d"),
            ("run -P alpine", "flag `-P`", "-p HOST:CONTAINER"),
            (
                "run --publish-all alpine",
                "flag `--publish-all`",
                "-p HOST:CONTAINER",
            ),
            ("run -h box alpine", "flag `-h`", "lima"),
            ("run --hostname box alpine", "flag `--hostname`", "lima"),
            (
                "run --privileged alpine",
                "flag `--privileged`",
                "--cap-add",
            ),
            ("run --gpus all alpine", "flag `--gpus`", "GPU"),
            (
                "run --add-host a:1.2.3.4 alpine",
                "flag `--add-host`",
                "lima",
            ),
            (
                "run --health-cmd true alpine",
                "flag `--health-cmd`",
                "health",
            ),
            (
                "run --no-healthcheck alpine",
                "flag `--no-healthcheck`",
                "health",
            ),
            ("run --restart always alpine", "no restart policy", "#286"),
            (
                "run --restart=unless-stopped alpine",
                "no restart policy",
                "#286",
            ),
            (
                "run --network host alpine",
                "no host network",
                "-p HOST:CONTAINER",
            ),
            ("run --cpus 1.5 alpine", "whole number of CPUs", "--cpus 2"),
            ("run -m lots alpine", "not a memory size", "512m"),
            ("run -it", "needs an image", "IMAGE"),
            ("exec -it", "needs a container", "CONTAINER"),
            ("run --name", "needs a value", ""),
            ("run -e", "needs a value", ""),
            ("run --rm=maybe alpine", "takes true or false", ""),
            (
                "run --security-opt x alpine",
                "flag `--security-opt`",
                "container run --help",
            ),
            (
                "run --nmae x alpine",
                "flag `--nmae`",
                "did you mean `--name`?",
            ),
            (
                "exec --privileged web sh",
                "flag `--privileged`",
                "privileged",
            ),
            ("ps -n 3", "flag `-n`", "container list --help"),
            ("ps --format {{.ID}}", "json", "jq"),
            (
                "ps web",
                "`docker ps web` has no Apple container translation",
                "takes no arguments",
            ),
            (
                "images alpine",
                "has no Apple container translation",
                "`container image list` takes no arguments",
            ),
            ("rm -v web", "flag `-v`", "volume delete"),
            ("inspect -f {{.Id}} web", "flag `-f`", "jq"),
            ("logs --tail x web", "not a line count", ""),
            ("compose up -d", "no Compose support", "lima"),
            (
                "volume ls",
                "`docker volume` has no Apple container translation",
                "container --help",
            ),
            (
                "info",
                "`docker info` has no Apple container translation",
                "",
            ),
            ("container prune", "`docker container prune` has no", ""),
            ("image", "needs a command", "image ls"),
            (
                "rnu alpine",
                "`rnu` is not a docker command",
                "did you mean `docker run`?",
            ),
            (
                "--context other ps",
                "option `--context`",
                "drop the option",
            ),
            ("-H tcp://x ps", "option `-H`", ""),
        ];
        for (docker, message, help) in cases {
            let err = refusal(docker);
            assert!(
                err.message.contains(message),
                "docker {docker}: message {:?} lacks {message:?}",
                err.message
            );
            assert!(
                !err.help.is_empty() && err.help.iter().any(|h| h.contains(help)),
                "docker {docker}: help {:?} lacks {help:?}",
                err.help
            );
        }
    }

    #[test]
    fn memory_below_a_mebibyte_is_refused_but_suffixed_sizes_pass() {
        assert_eq!(memory("100k").unwrap(), Some("100K".into()));
        assert!(memory("1000").is_err());
        assert!(memory("0.5m").is_err());
    }

    /// The flags each `container` command accepts (apple/container command reference, as in
    /// research/peers.md B3). Everything berth emits must be in here.
    const CONTAINER_FLAGS: &[(&[&str], &[&str])] = &[
        (
            &["run"],
            &[
                "-i",
                "-t",
                "--detach",
                "--rm",
                "--env",
                "--env-file",
                "--volume",
                "--mount",
                "--publish",
                "--cpus",
                "--memory",
                "--name",
                "--workdir",
                "--entrypoint",
                "--user",
                "--network",
                "--platform",
                "--label",
                "--init",
                "--read-only",
                "--cap-add",
                "--cap-drop",
                "--cidfile",
                "--dns",
                "--dns-search",
                "--dns-option",
                "--tmpfs",
                "--shm-size",
                "--ulimit",
                "--help",
            ],
        ),
        (
            &["exec"],
            &[
                "-i",
                "-t",
                "--detach",
                "--env",
                "--env-file",
                "--user",
                "--workdir",
                "--help",
            ],
        ),
        (&["list"], &["--all", "-q", "--format", "--help"]),
        (&["image", "list"], &["-q", "--format", "--help"]),
        (&["image", "pull"], &["--platform", "--help"]),
        (&["image", "push"], &["--help"]),
        (&["image", "tag"], &["--help"]),
        (&["image", "inspect"], &["--help"]),
        (&["image", "delete"], &["--force", "--help"]),
        (&["delete"], &["--force", "--help"]),
        (&["start"], &["--attach", "-i", "--help"]),
        (&["stop"], &["--time", "--signal", "--help"]),
        (&["kill"], &["--signal", "--help"]),
        (&["logs"], &["-f", "-n", "--help"]),
        (&["inspect"], &["--help"]),
        (&["stats"], &["--no-stream", "--format", "--help"]),
        (
            &["build"],
            &[
                "-t",
                "-f",
                "--build-arg",
                "--target",
                "--no-cache",
                "--platform",
                "--pull",
                "-q",
                "--secret",
                "--ssh",
                "-o",
                "--help",
            ],
        ),
        (&["system", "version"], &["--help"]),
        (&["--help"], &[]),
        (&["--version"], &[]),
    ];

    fn container_flags(command: &[&str]) -> &'static [&'static str] {
        let command = if command == ["create"] {
            &["run"][..]
        } else {
            command
        };
        CONTAINER_FLAGS
            .iter()
            .find(|(c, _)| *c == command)
            .unwrap_or_else(|| panic!("berth emitted an unknown container command {command:?}"))
            .1
    }

    /// Docker words worth mixing into generated command lines.
    const WORDS: &[&str] = &[
        "run",
        "exec",
        "ps",
        "images",
        "pull",
        "rm",
        "rmi",
        "stop",
        "logs",
        "build",
        "container",
        "image",
        "ls",
        "inspect",
        "compose",
        "version",
        "-",
        "--",
        "-it",
        "-itd",
        "-e",
        "-e=A=1",
        "-eA",
        "A=1",
        "-v",
        "/x:/y",
        "--volume=/a:/b",
        "--mount",
        "-p",
        "8080:80",
        "-P",
        "--cpus",
        "2",
        "1.5",
        "-c",
        "-a",
        "-m",
        "1g",
        "--memory=7",
        "--rm",
        "--rm=false",
        "-d",
        "--name",
        "web",
        "-w",
        "/w",
        "--entrypoint",
        "-u",
        "--network",
        "host",
        "--platform",
        "-l",
        "--label=a=b",
        "--restart",
        "no",
        "-h",
        "--privileged",
        "-f",
        "-n",
        "all",
        "--tail",
        "-q",
        "--format",
        "json",
        "-t",
        "-s",
        "alpine",
        "echo",
        "hi",
        "",
        "=",
        "-=",
        "--=x",
        "-é",
        "--help",
    ];

    /// `docker container WORD` and `docker image WORD` spellings berth translates.
    const CONTAINER_WORDS: &[&str] = &[
        "ls", "list", "run", "create", "exec", "start", "stop", "kill", "rm", "logs", "inspect",
        "stats",
    ];
    const IMAGE_WORDS: &[&str] = &[
        "ls", "list", "pull", "push", "rm", "tag", "inspect", "build",
    ];

    /// Every translated docker command: the words that name it, and its spec.
    fn commands() -> Vec<(Vec<&'static str>, &'static Spec)> {
        let top = TRANSLATED.iter().map(|w| (vec![*w], top_level(w).unwrap()));
        let container = CONTAINER_WORDS
            .iter()
            .map(|w| (vec!["container", *w], container_group(w).unwrap()));
        let image = IMAGE_WORDS
            .iter()
            .map(|w| (vec!["image", *w], image_group(w).unwrap()));
        top.chain(container).chain(image).collect()
    }

    /// Every flag of every table in each spelling docker accepts: `--long`, `--long=VALUE`,
    /// `-s`, `-s=VALUE`, `-sVALUE`, and clustered behind another short flag.
    fn spelled_flags() -> Vec<String> {
        let mut spelled = Vec::new();
        for (_, spec) in commands() {
            for flag in spec.flags {
                let long = flag.long;
                spelled.extend([
                    format!("--{long}"),
                    format!("--{long}="),
                    format!("--{long}=1g"),
                    format!("--{long}=false"),
                ]);
                if let Some(c) = flag.short {
                    spelled.extend([
                        format!("-{c}"),
                        format!("-{c}=x"),
                        format!("-{c}2"),
                        format!("-i{c}"),
                    ]);
                }
            }
        }
        spelled
    }

    fn docker_word() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => prop::sample::select(WORDS).prop_map(str::to_string),
            4 => prop::sample::select(spelled_flags()),
            1 => "-[a-zA-Z]{1,3}(=[a-z0-9]{0,3})?",
            1 => "--[a-z-]{0,10}(=[a-z0-9/:.]{0,6})?",
            1 => any::<String>(),
        ]
    }

    /// A docker command line: mostly a translated command, then any words.
    fn docker_argv() -> impl Strategy<Value = Vec<OsString>> {
        let command = prop_oneof![
            1 => Just(Vec::new()),
            4 => prop::sample::select(commands().into_iter().map(|(words, _)| words).collect::<Vec<_>>()),
        ];
        (command, prop::collection::vec(docker_word(), 0..8)).prop_map(|(command, words)| {
            command
                .into_iter()
                .map(OsString::from)
                .chain(words.into_iter().map(OsString::from))
                .collect()
        })
    }

    /// A value each converting flag accepts.
    fn accepted_value(to: &str) -> &'static str {
        match to {
            "--cpus" => "2",
            "--memory" => "512m",
            "--network" => "default",
            "--restart" => "no",
            "-n" => "10",
            "--format" => "json",
            _ => "v",
        }
    }

    /// Each translatable flag of `spec` in every docker spelling, with an accepted value.
    fn translatable_spellings(spec: &'static Spec) -> Vec<Vec<String>> {
        let mut all = Vec::new();
        for flag in spec.flags {
            let value = match flag.to {
                To::Same(_) => "v",
                To::Convert(to, _) => accepted_value(to),
                To::Refuse(_) => continue,
            };
            let long = format!("--{}", flag.long);
            if flag.takes_value {
                all.push(vec![long.clone(), value.to_string()]);
                all.push(vec![format!("{long}={value}")]);
            } else {
                all.push(vec![long.clone()]);
                all.push(vec![format!("{long}=true")]);
            }
            if let Some(c) = flag.short {
                if flag.takes_value {
                    all.push(vec![format!("-{c}"), value.to_string()]);
                    all.push(vec![format!("-{c}{value}")]);
                    all.push(vec![format!("-{c}={value}")]);
                } else {
                    all.push(vec![format!("-{c}")]);
                }
            }
        }
        all
    }

    /// A command line that must translate: a command, one of its translatable flags (each
    /// (command, spelling) pair equally likely), up to four more, then operands: after `--`
    /// anything, else plain names; for `run`/`exec` any command after the image.
    fn well_formed_argv() -> impl Strategy<Value = Vec<OsString>> {
        let mut cases = Vec::new();
        for (words, spec) in commands() {
            let spellings = translatable_spellings(spec);
            for first in &spellings {
                cases.push((
                    words.clone(),
                    first.clone(),
                    spellings.clone(),
                    spec.operands,
                ));
            }
        }
        prop::sample::select(cases).prop_flat_map(|(words, first, spellings, operands)| {
            let more = prop::collection::vec(prop::sample::select(spellings), 0..5);
            let rest = prop::collection::vec(docker_word(), 0..4);
            (more, any::<bool>(), rest).prop_map(move |(more, dashes, rest)| {
                let mut argv: Vec<String> = words.iter().map(|w| w.to_string()).collect();
                argv.extend(first.iter().cloned());
                argv.extend(more.into_iter().flatten());
                match operands {
                    Nothing => {}
                    CommandAfterFirst => {
                        if dashes {
                            argv.push("--".into());
                        }
                        argv.push("alpine".into());
                        argv.extend(rest);
                    }
                    Interspersed if dashes => {
                        argv.push("--".into());
                        argv.extend(rest);
                    }
                    Interspersed => argv.extend(["web".to_string(), "-".to_string()]),
                }
                argv.into_iter().map(OsString::from).collect()
            })
        })
    }

    /// The options of a translation are all flags its `container` command accepts, and no
    /// operand can be read as one.
    fn check_translation(argv: &[OsString], t: &Translation) -> Result<(), TestCaseError> {
        let known = container_flags(t.command);
        for (flag, _) in &t.options {
            prop_assert!(
                known.contains(flag),
                "{:?} emitted `{}`, which `container {}` does not accept",
                argv,
                flag,
                t.command.join(" ")
            );
        }
        let out = translate(argv).unwrap();
        let options = t.command.len()
            + t.options
                .iter()
                .map(|(_, v)| 1 + usize::from(v.is_some()))
                .sum::<usize>();
        let operands = &out[options..];
        if operands.first().is_some_and(|w| w != "--") {
            let read_as_options = match t.kind {
                CommandAfterFirst => &operands[..1],
                _ => operands,
            };
            prop_assert!(
                !read_as_options.iter().any(|o| starts_with_dash(o)),
                "{:?} gave {:?}: an operand reads as a flag",
                argv,
                out
            );
        }
        Ok(())
    }

    /// A refused flag of some command in one of its spellings, after options that translate
    /// and before an operand; and the spelling the error must name.
    fn refused_flag_argv() -> impl Strategy<Value = (Vec<OsString>, String)> {
        let mut cases = Vec::new();
        for (words, spec) in commands() {
            let passing: Vec<String> = spec
                .flags
                .iter()
                .filter(|f| matches!(f.to, To::Same(_)))
                .map(|f| match f.takes_value {
                    true => format!("--{}=v", f.long),
                    false => format!("--{}", f.long),
                })
                .collect();
            for flag in spec.flags.iter().filter(|f| matches!(f.to, To::Refuse(_))) {
                let value = if flag.takes_value { "v" } else { "true" };
                let long = format!("--{}", flag.long);
                let mut spellings = vec![(vec![format!("{long}={value}")], long.clone())];
                let bare = |spelled: String| match flag.takes_value {
                    true => vec![spelled, value.to_string()],
                    false => vec![spelled],
                };
                spellings.push((bare(long.clone()), long.clone()));
                if let Some(c) = flag.short {
                    spellings.push((bare(format!("-{c}")), format!("-{c}")));
                    if flag.takes_value {
                        spellings.push((vec![format!("-{c}{value}")], format!("-{c}")));
                    }
                }
                for (spelled, shown) in spellings {
                    cases.push((words.clone(), passing.clone(), spelled, shown));
                }
            }
        }
        prop::sample::select(cases).prop_flat_map(|(words, passing, spelled, shown)| {
            let before = prop::sample::subsequence(passing.clone(), 0..=passing.len().min(3));
            (before, any::<bool>()).prop_map(move |(before, operand)| {
                let mut argv: Vec<OsString> = words.iter().map(OsString::from).collect();
                argv.extend(before.into_iter().map(OsString::from));
                argv.extend(spelled.iter().map(OsString::from));
                if operand {
                    argv.push("alpine".into());
                }
                (argv, shown.clone())
            })
        })
    }

    proptest! {
        #![proptest_config(crate::proptest_config::cases(256))]

        #[test]
        fn prop_any_argv_translates_to_container_flags_or_an_error(argv in docker_argv()) {
            match translation(&argv) {
                Ok(t) => check_translation(&argv, &t)?,
                Err(err) => prop_assert!(!err.message.is_empty(), "{:?}: an empty error", argv),
            }
        }

        #[test]
        fn prop_every_translatable_flag_becomes_a_container_flag(argv in well_formed_argv()) {
            match translation(&argv) {
                Ok(t) => check_translation(&argv, &t)?,
                Err(err) => prop_assert!(false, "{:?} did not translate: {} {:?}", argv, err, err.help),
            }
        }

        #[test]
        fn prop_a_refused_flag_is_an_error_naming_it((argv, shown) in refused_flag_argv()) {
            match translate(&argv) {
                Ok(out) => prop_assert!(false, "{:?} translated to {:?}", argv, out),
                Err(err) => prop_assert!(
                    err.message.contains(&format!("`{shown}`")) && !err.help.is_empty(),
                    "{:?}: {} {:?} does not name `{}`", argv, err.message, err.help, shown
                ),
            }
        }
    }
}
