//! berth's settings: `--flag` > `BERTH_*` environment > `[tool.berth]` > default, each value
//! remembering where it came from (for `berth doctor` and for error positions).
//!
//! Every setting is declared once, in the table at [`declare_settings!`]'s call below: its
//! field and type, its key, environment variable and flag, its default, its parser and its
//! help. Adding a key is adding a row there (and, for a new kind of value, a parser in
//! `value`); resolving, `berth doctor`'s list, the unknown-key check and `berth init`'s table
//! all follow from the rows.

use std::fmt;
use std::time::Duration;

use anyhow::Result;

use crate::diag::{self, Diagnostic, Location};
use crate::host::{self, Arch};
use crate::manifest::Manifest;
use crate::manifest::document::{Node, Table};
use crate::units::ByteSize;

mod compose_name;
mod endpoint;
mod runtime_kind;
mod value;
mod vm_type;

pub use compose_name::{ComposeName, normalize as normalize_compose_name};
pub use endpoint::{Endpoint, SshDestination};
pub use runtime_kind::{RuntimeChoice, RuntimeKind};
use value::{Input, Invalid, Parser, Show};
pub use vm_type::VmType;

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Manifest(Option<Location>),
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::Manifest(Some(location)) => write!(f, "{location}"),
            Source::Manifest(None) => f.write_str("[tool.berth]"),
            Source::Default => f.write_str("default"),
        }
    }
}

impl Source {
    /// `diagnostic` pointing at where a value came from: its place in the manifest, or the
    /// variable or flag that gave it. Every error about a setting's value says so this way.
    pub fn point_at(&self, diagnostic: Diagnostic) -> Diagnostic {
        match self {
            Source::Manifest(location) => diagnostic.at_opt(location.clone()),
            Source::Env(env) => diagnostic.help(format!("it came from ${env}")),
            Source::Flag(flag) => diagnostic.help(format!("it came from {flag}")),
            Source::Default => diagnostic,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// A directory shared with the VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub location: String,
    pub writable: bool,
}

/// One key of `[tool.berth]`, as the table below declares it.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    /// The environment variable that overrides the manifest.
    pub env: Option<&'static str>,
    /// The command-line flag that overrides the variable (a global flag in `cli`).
    pub flag: Option<&'static str>,
    /// What it sets, for the comment `berth init` writes beside it.
    pub help: &'static str,
    /// Whether `berth init` writes it, with its default.
    pub init: bool,
}

/// The defaults that depend on the project.
pub struct Defaults {
    /// The instance name made from the workspace name (`runtime::lima::name::derive`).
    pub instance: String,
    /// The compose project name made from the workspace name and the checkout's root
    /// ([`ComposeName::derive`]).
    pub compose_project: ComposeName,
}

/// Settings given as flags: each flag with the text after it.
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    given: Vec<(&'static str, String)>,
}

impl FlagSettings {
    /// These flags with `flag` too, when it was given.
    pub fn with(mut self, flag: &'static str, value: Option<String>) -> FlagSettings {
        if let Some(value) = value {
            self.given.push((flag, value));
        }
        self
    }

    fn get(&self, flag: &str) -> Option<&str> {
        self.given
            .iter()
            .find(|(given, _)| *given == flag)
            .map(|(_, value)| value.as_str())
    }
}

/// Declares the settings: the struct of resolved values, [`KEYS`], and what is generated from
/// them. Each row: `field: Type { key, env, flag, default (a fn of the [`Defaults`]), parse
/// (a [`Parser`]), help, init }`.
macro_rules! declare_settings {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty {
            key: $key:literal,
            env: $env:expr,
            flag: $flag:expr,
            default: $default:expr,
            parse: $parse:expr,
            help: $help:literal,
            init: $init:literal $(,)?
        }
    ),* $(,)?) => {
        /// Every berth setting, resolved.
        #[derive(Debug, Clone)]
        pub struct Settings {
            $( $(#[doc = $doc])* pub $field: Setting<$ty>, )*
        }

        /// Every key `[tool.berth]` accepts, in the order `berth doctor` lists them.
        pub const KEYS: &[Key] = &[
            $( Key { name: $key, env: $env, flag: $flag, help: $help, init: $init }, )*
        ];

        impl Settings {
            fn resolve_each(resolver: &Resolver<'_>, defaults: &Defaults) -> Result<Settings> {
                Ok(Settings {
                    $( $field: {
                        let parse: Parser<$ty> = $parse;
                        let default: fn(&Defaults) -> $ty = $default;
                        resolver.setting(key($key), parse, || default(defaults))?
                    }, )*
                })
            }

            /// Every setting as `(key, value, source)`, in the order of [`KEYS`], for
            /// `berth doctor`.
            pub fn entries(&self) -> Vec<(&'static str, String, &Source)> {
                vec![ $( ($key, self.$field.value.show(), &self.$field.source), )* ]
            }

            /// `(key, its default as TOML)` for each key `berth init` writes.
            fn init_defaults(defaults: &Defaults) -> Vec<(&'static Key, String)> {
                let mut lines = Vec::new();
                $(
                    if key($key).init {
                        let default: fn(&Defaults) -> $ty = $default;
                        lines.push((key($key), default(defaults).toml()));
                    }
                )*
                lines
            }
        }
    };
}

declare_settings! {
    runtime: RuntimeChoice {
        key: "runtime",
        env: Some("BERTH_RUNTIME"),
        flag: Some("--runtime"),
        default: |_| RuntimeChoice::Auto,
        parse: value::runtime,
        help: "auto | lima | docker | colima | podman | apple | native | ssh://[user@]host[:port] | unix:///path/to/docker.sock",
        init: true,
    },
    /// The ssh configuration file every ssh process of an `ssh://` runtime reads (`-F`),
    /// relative to the project root; unset, the user's own.
    ssh_config: Option<String> {
        key: "ssh-config",
        env: Some("BERTH_SSH_CONFIG"),
        flag: None,
        default: |_| None,
        parse: |input, key| value::text(input, key).map(Some),
        help: "the ssh config file for an ssh:// runtime, relative to the project (yours when unset)",
        init: false,
    },
    /// The Lima instance's name (and the Colima profile's and Podman machine's).
    instance: String {
        key: "instance",
        env: Some("BERTH_INSTANCE"),
        flag: None,
        default: |defaults| defaults.instance.clone(),
        parse: value::text,
        help: "the VM's name under .pixi/lima",
        init: true,
    },
    cpus: u32 {
        key: "cpus",
        env: Some("BERTH_CPUS"),
        flag: None,
        default: |_| 2,
        parse: value::cpus,
        help: "virtual CPUs of the VM",
        init: true,
    },
    memory: ByteSize {
        key: "memory",
        env: Some("BERTH_MEMORY"),
        flag: None,
        default: |_| ByteSize::gib(4),
        parse: value::vm_size,
        help: "memory of the VM",
        init: true,
    },
    disk: ByteSize {
        key: "disk",
        env: Some("BERTH_DISK"),
        flag: None,
        default: |_| ByteSize::gib(30),
        parse: value::vm_size,
        help: "disk of the VM, grown on demand",
        init: true,
    },
    vm_type: Option<VmType> {
        key: "vm-type",
        env: Some("BERTH_VM_TYPE"),
        flag: None,
        default: |_| None,
        parse: |input, key| value::choice(input, key).map(Some),
        help: "the VM's driver (Lima's choice when unset)",
        init: false,
    },
    arch: Option<Arch> {
        key: "arch",
        env: Some("BERTH_ARCH"),
        flag: None,
        default: |_| None,
        parse: |input, key| value::choice(input, key).map(Some),
        help: "the VM's architecture (the host's when unset)",
        init: false,
    },
    mounts: Vec<Mount> {
        key: "mounts",
        env: None,
        flag: None,
        default: |_| Vec::new(),
        parse: value::mounts,
        help: "directories shared with the VM besides the project",
        init: false,
    },
    respect_docker_host: bool {
        key: "respect-docker-host",
        env: Some("BERTH_RESPECT_DOCKER_HOST"),
        flag: None,
        default: |_| false,
        parse: value::boolean,
        help: "keep a DOCKER_HOST you exported",
        init: true,
    },
    auto_start: bool {
        key: "auto-start",
        env: Some("BERTH_AUTO_START"),
        flag: None,
        default: |_| false,
        parse: value::boolean,
        help: "start a stopped VM when docker needs it",
        init: true,
    },
    native_fallback: bool {
        key: "native-fallback",
        env: Some("BERTH_NATIVE_FALLBACK"),
        flag: None,
        default: |_| true,
        parse: value::boolean,
        help: "run `berth exec` jobs natively when no container runtime exists",
        init: false,
    },
    start_timeout: Duration {
        key: "start-timeout",
        env: Some("BERTH_START_TIMEOUT"),
        flag: None,
        default: |_| Duration::from_secs(600),
        parse: value::duration,
        help: "how long `container init` waits for the VM",
        init: false,
    },
    /// The compose project name berth exports, unless the compose files name the project or
    /// the user exported `COMPOSE_PROJECT_NAME` (`docker::compose_project`). No variable of
    /// its own: `COMPOSE_PROJECT_NAME` is that variable.
    compose_project: ComposeName {
        key: "compose-project",
        env: None,
        flag: None,
        default: |defaults| defaults.compose_project.clone(),
        parse: value::compose_project,
        help: "the compose project name of this checkout",
        init: false,
    },
}

/// The declaration of `name` (one of the table's own keys).
fn key(name: &str) -> &'static Key {
    KEYS.iter()
        .find(|key| key.name == name)
        .expect("every key the table resolves is in KEYS")
}

impl Settings {
    /// Resolve every setting from `flags`, the environment and the manifest's `[tool.berth]`.
    pub fn resolve(
        manifest: Option<&Manifest>,
        flags: &FlagSettings,
        defaults: &Defaults,
    ) -> Result<Settings> {
        let table = match manifest.and_then(Manifest::berth_settings) {
            Some(item) => Some(item.as_table().ok_or_else(|| {
                manifest
                    .expect("an item comes from a manifest")
                    .error_at(item, "`tool.berth` must be a table")
                    .help("write the settings as `[tool.berth]` followed by `key = value` lines")
            })?),
            None => None,
        };
        if let (Some(manifest), Some(table)) = (manifest, table) {
            check_keys(manifest, table)?;
        }
        let resolver = Resolver {
            manifest,
            table,
            flags,
        };
        Settings::resolve_each(&resolver, defaults)
    }
}

fn check_keys(manifest: &Manifest, table: &Table) -> Result<()> {
    let known: Vec<&str> = KEYS.iter().map(|key| key.name).collect();
    for (name, _) in table.iter() {
        if !known.contains(&name) {
            let mut diagnostic =
                manifest.error_at_key(table, name, format!("unknown key `{name}` in [tool.berth]"));
            if let Some(close) = diag::closest(name, &known) {
                diagnostic = diagnostic.help(format!("did you mean `{close}`?"));
            }
            return Err(diagnostic
                .help(format!(
                    "the keys of [tool.berth] are: {}",
                    known.join(", ")
                ))
                .into());
        }
    }
    Ok(())
}

/// A value as found, before it is parsed.
enum Raw<'a> {
    Text(String),
    Toml(&'a Node<'a>),
}

struct Resolver<'a> {
    manifest: Option<&'a Manifest<'a>>,
    table: Option<&'a Table<'a>>,
    flags: &'a FlagSettings,
}

impl<'a> Resolver<'a> {
    /// The highest-precedence value given for `key`, and where it came from.
    fn raw(&self, key: &Key) -> Option<(Raw<'a>, Source)> {
        if let Some(flag) = key.flag
            && let Some(value) = self.flags.get(flag)
        {
            return Some((Raw::Text(value.to_string()), Source::Flag(flag)));
        }
        if let Some(env) = key.env
            && let Some(value) = host::var_str(env).filter(|v| !v.is_empty())
        {
            return Some((Raw::Text(value), Source::Env(env)));
        }
        let node = self.table?.get(key.name)?;
        let location = self.manifest.and_then(|m| m.location(Some(node.span())));
        Some((Raw::Toml(node), Source::Manifest(location)))
    }

    /// `key`'s value: the highest-precedence one given, parsed, else the default.
    fn setting<T>(
        &self,
        key: &Key,
        parse: Parser<T>,
        default: impl FnOnce() -> T,
    ) -> Result<Setting<T>> {
        let Some((raw, source)) = self.raw(key) else {
            return Ok(Setting {
                value: default(),
                source: Source::Default,
            });
        };
        let input = match &raw {
            Raw::Text(text) => Input::Text(text),
            Raw::Toml(node) => Input::Toml(node),
        };
        match parse(input, key.name) {
            Ok(value) => Ok(Setting { value, source }),
            Err(invalid) => Err(self.invalid(&source, invalid)),
        }
    }

    /// The error for a value from `source`, pointing at it (at the part at fault, when the
    /// parser named one).
    fn invalid(&self, source: &Source, invalid: Invalid) -> anyhow::Error {
        let source = match (invalid.span, source) {
            (Some(span), Source::Manifest(_)) => {
                Source::Manifest(self.manifest.and_then(|m| m.location(Some(span))))
            }
            _ => source.clone(),
        };
        source
            .point_at(Diagnostic::new(invalid.message).help(invalid.help))
            .into()
    }
}

/// The `[tool.berth]` table `berth init` adds: each key the table marks for it, set to its
/// default, with its help and variable as a comment.
pub fn init_block(defaults: &Defaults) -> String {
    let lines: Vec<(String, String)> = Settings::init_defaults(defaults)
        .into_iter()
        .map(|(key, value)| {
            let comment = match key.env {
                Some(env) => format!("{} ({env})", key.help),
                None => key.help.to_string(),
            };
            (format!("{} = {value}", key.name), comment)
        })
        .collect();
    let width = lines.iter().map(|(line, _)| line.len()).max().unwrap_or(0);
    let mut block = String::from(
        "# berth's settings (see \"Configuration\" in berth's README). pixi ignores [tool].\n\
         # An environment variable named in a comment wins over the value here.\n\
         [tool.berth]\n",
    );
    for (line, comment) in lines {
        block.push_str(&format!("{line:width$}  # {comment}\n"));
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_variable_but_mounts_and_compose_project_and_unique_names() {
        let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len());
        for key in KEYS {
            // `mounts` is a table; `COMPOSE_PROJECT_NAME` itself overrides `compose-project`.
            let expected = (!["mounts", "compose-project"].contains(&key.name))
                .then(|| format!("BERTH_{}", key.name.replace('-', "_").to_uppercase()));
            assert_eq!(key.env.map(str::to_string), expected, "{}", key.name);
        }
        assert_eq!(
            key("runtime").help,
            RuntimeChoice::names().join(" | "),
            "the runtime's help lists every runtime"
        );
    }

    #[test]
    fn the_init_block_is_valid_toml_with_every_default() {
        let block = init_block(&Defaults {
            instance: "demo".into(),
            compose_project: ComposeName::derive("demo", "0a1b2c3d"),
        });
        assert!(
            block.contains("\nruntime = \"auto\"             # auto | lima |"),
            "{block}"
        );
        assert!(block.contains("memory = \"4GiB\""), "{block}");
        let doc: toml_edit::DocumentMut = block.parse().expect("valid TOML");
        let berth = &doc["tool"]["berth"];
        assert_eq!(berth["instance"].as_str(), Some("demo"));
        assert_eq!(berth["cpus"].as_integer(), Some(2));
        assert_eq!(berth["auto-start"].as_bool(), Some(false));
        let written = KEYS.iter().filter(|k| k.init).count();
        assert_eq!(berth.as_table().map(toml_edit::Table::len), Some(written));
    }
}
