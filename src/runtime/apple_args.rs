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
use crate::settings::closest;

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
mod tests;
