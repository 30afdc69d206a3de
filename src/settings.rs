//! berth's settings: `--flag` > `BERTH_*` environment > `[tool.berth]` > default, each value
//! remembering where it came from (for `berth doctor` and for error positions).

use std::fmt;

use crate::manifest::document::{Node, Table, Value};
use anyhow::Result;

use crate::diag::{Diagnostic, Location};
use crate::host;
use crate::manifest::Manifest;

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

/// Every berth setting, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub runtime: Setting<String>,
    pub instance: Setting<String>,
    pub cpus: Setting<u32>,
    pub memory: Setting<String>,
    pub disk: Setting<String>,
    pub vm_type: Setting<Option<String>>,
    pub arch: Setting<Option<String>>,
    pub mounts: Setting<Vec<Mount>>,
    pub respect_docker_host: Setting<bool>,
    pub auto_start: Setting<bool>,
    pub native_fallback: Setting<bool>,
    pub start_timeout_secs: Setting<u64>,
}

/// Settings given as flags (global `--runtime`).
#[derive(Debug, Default, Clone)]
pub struct FlagSettings {
    pub runtime: Option<String>,
}

pub const RUNTIMES: &[&str] = &[
    "auto", "lima", "docker", "colima", "podman", "apple", "native",
];
const VM_TYPES: &[&str] = &["vz", "qemu", "krunkit", "wsl2"];
const ARCHES: &[&str] = &["x86_64", "aarch64"];

/// Every key `[tool.berth]` accepts, with its environment variable (if any).
pub const KEYS: &[(&str, Option<&str>)] = &[
    ("runtime", Some("BERTH_RUNTIME")),
    ("instance", Some("BERTH_INSTANCE")),
    ("cpus", Some("BERTH_CPUS")),
    ("memory", Some("BERTH_MEMORY")),
    ("disk", Some("BERTH_DISK")),
    ("vm-type", Some("BERTH_VM_TYPE")),
    ("arch", Some("BERTH_ARCH")),
    ("mounts", None),
    ("respect-docker-host", Some("BERTH_RESPECT_DOCKER_HOST")),
    ("auto-start", Some("BERTH_AUTO_START")),
    ("native-fallback", Some("BERTH_NATIVE_FALLBACK")),
    ("start-timeout", Some("BERTH_START_TIMEOUT")),
];

impl Settings {
    /// Resolve every setting. `default_instance` is the sanitised workspace name.
    pub fn resolve(
        manifest: Option<&Manifest>,
        flags: &FlagSettings,
        default_instance: &str,
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
        let r = Resolver { manifest, table };
        if let (Some(manifest), Some(table)) = (manifest, table) {
            check_keys(manifest, table)?;
        }
        Ok(Settings {
            runtime: r.choice("runtime", flags.runtime.clone(), RUNTIMES, "auto")?,
            instance: r.instance(default_instance)?,
            cpus: r.cpus()?,
            memory: r.size("memory", "4GiB")?,
            disk: r.size("disk", "30GiB")?,
            vm_type: r.optional_choice("vm-type", VM_TYPES)?,
            arch: r.optional_choice("arch", ARCHES)?,
            mounts: r.mounts()?,
            respect_docker_host: r.boolean("respect-docker-host", false)?,
            auto_start: r.boolean("auto-start", false)?,
            native_fallback: r.boolean("native-fallback", true)?,
            start_timeout_secs: r.duration("start-timeout", 600)?,
        })
    }
}

impl Settings {
    /// Every setting as `(key, value, source)`, in the order of [`KEYS`], for `berth doctor`.
    pub fn entries(&self) -> Vec<(&'static str, String, &Source)> {
        fn text<T: fmt::Debug>(value: &Option<T>) -> String {
            value.as_ref().map_or_else(
                || "(unset)".to_string(),
                |v| format!("{v:?}").trim_matches('"').to_string(),
            )
        }
        let mounts = self
            .mounts
            .value
            .iter()
            .map(|m| {
                if m.writable {
                    format!("{} (writable)", m.location)
                } else {
                    m.location.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mounts = if mounts.is_empty() {
            "(none)".to_string()
        } else {
            mounts
        };
        vec![
            ("runtime", self.runtime.value.clone(), &self.runtime.source),
            (
                "instance",
                self.instance.value.clone(),
                &self.instance.source,
            ),
            ("cpus", self.cpus.value.to_string(), &self.cpus.source),
            ("memory", self.memory.value.clone(), &self.memory.source),
            ("disk", self.disk.value.clone(), &self.disk.source),
            ("vm-type", text(&self.vm_type.value), &self.vm_type.source),
            ("arch", text(&self.arch.value), &self.arch.source),
            ("mounts", mounts, &self.mounts.source),
            (
                "respect-docker-host",
                self.respect_docker_host.value.to_string(),
                &self.respect_docker_host.source,
            ),
            (
                "auto-start",
                self.auto_start.value.to_string(),
                &self.auto_start.source,
            ),
            (
                "native-fallback",
                self.native_fallback.value.to_string(),
                &self.native_fallback.source,
            ),
            (
                "start-timeout",
                format!("{}s", self.start_timeout_secs.value),
                &self.start_timeout_secs.source,
            ),
        ]
    }
}

fn check_keys(manifest: &Manifest, table: &Table) -> Result<()> {
    for (key, _) in table.iter() {
        if KEYS.iter().all(|(known, _)| *known != key) {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            let mut diagnostic =
                manifest.error_at_key(table, key, format!("unknown key `{key}` in [tool.berth]"));
            if let Some(close) = closest(key, &known) {
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

/// The candidate closest to `word` by edit distance, if any is close enough to be a typo.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

struct Resolver<'a> {
    manifest: Option<&'a Manifest<'a>>,
    table: Option<&'a Table<'a>>,
}

/// A raw value before it is checked: from where, and what text or TOML value.
enum Raw<'a> {
    Text(String, Source),
    Toml(&'a Node<'a>, Source),
}

impl<'a> Resolver<'a> {
    fn env_name(key: &str) -> Option<&'static str> {
        KEYS.iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, env)| *env)
    }

    /// The highest-precedence value given for `key`, if any.
    fn raw(&self, key: &str, flag: Option<(String, &'static str)>) -> Option<Raw<'a>> {
        if let Some((value, flag)) = flag {
            return Some(Raw::Text(value, Source::Flag(flag)));
        }
        if let Some(env) = Self::env_name(key)
            && let Some(value) = host::var_str(env).filter(|v| !v.is_empty())
        {
            return Some(Raw::Text(value, Source::Env(env)));
        }
        let item = self.table?.get(key)?;
        let location = self.manifest.and_then(|m| m.location(Some(item.span())));
        Some(Raw::Toml(item, Source::Manifest(location)))
    }

    fn invalid(&self, source: &Source, key: &str, message: String, help: String) -> anyhow::Error {
        let mut diagnostic = Diagnostic::new(message).help(help);
        match source {
            Source::Manifest(location) => diagnostic = diagnostic.at_opt(location.clone()),
            Source::Env(env) => diagnostic = diagnostic.help(format!("it came from ${env}")),
            Source::Flag(flag) => diagnostic = diagnostic.help(format!("it came from {flag}")),
            Source::Default => {}
        }
        let _ = key;
        diagnostic.into()
    }

    /// A string value (TOML string, or env/flag text).
    fn string(&self, key: &str, raw: Raw<'a>) -> Result<(String, Source)> {
        match raw {
            Raw::Text(text, source) => Ok((text, source)),
            Raw::Toml(item, source) => match item.as_str() {
                Some(s) => Ok((s.to_string(), source)),
                None => Err(self.invalid(
                    &source,
                    key,
                    format!("`{key}` in [tool.berth] must be a string"),
                    format!("write it as `{key} = \"...\"`"),
                )),
            },
        }
    }

    fn choice(
        &self,
        key: &str,
        flag: Option<String>,
        allowed: &[&str],
        default: &str,
    ) -> Result<Setting<String>> {
        let flag = flag.map(|f| (f, "--runtime"));
        let Some(raw) = self.raw(key, flag) else {
            return Ok(Setting {
                value: default.to_string(),
                source: Source::Default,
            });
        };
        let (value, source) = self.string(key, raw)?;
        if !allowed.contains(&value.as_str()) {
            return Err(self.invalid(
                &source,
                key,
                format!("`{value}` is not a valid {key}"),
                format!("use one of: {}", allowed.join(", ")),
            ));
        }
        Ok(Setting { value, source })
    }

    fn optional_choice(&self, key: &str, allowed: &[&str]) -> Result<Setting<Option<String>>> {
        let Some(raw) = self.raw(key, None) else {
            return Ok(Setting {
                value: None,
                source: Source::Default,
            });
        };
        let (value, source) = self.string(key, raw)?;
        if !allowed.contains(&value.as_str()) {
            return Err(self.invalid(
                &source,
                key,
                format!("`{value}` is not a valid {key}"),
                format!("use one of: {}", allowed.join(", ")),
            ));
        }
        Ok(Setting {
            value: Some(value),
            source,
        })
    }

    fn instance(&self, default: &str) -> Result<Setting<String>> {
        let Some(raw) = self.raw("instance", None) else {
            return Ok(Setting {
                value: default.to_string(),
                source: Source::Default,
            });
        };
        let (value, source) = self.string("instance", raw)?;
        if !is_valid_instance_name(&value) {
            return Err(self.invalid(
                &source,
                "instance",
                format!("`{value}` is not a valid instance name"),
                "use letters, digits, `-`, `_` and `.`, starting with a letter or digit \
                 (at most 64 characters)"
                    .to_string(),
            ));
        }
        Ok(Setting { value, source })
    }

    fn integer(&self, key: &str, raw: Raw<'a>) -> Result<(i64, Source)> {
        match raw {
            Raw::Text(text, source) => {
                text.trim()
                    .parse()
                    .map(|n| (n, source.clone()))
                    .map_err(|_| {
                        self.invalid(
                            &source,
                            key,
                            format!("`{text}` is not a whole number for {key}"),
                            format!("set {key} to a whole number"),
                        )
                    })
            }
            Raw::Toml(item, source) => {
                item.as_integer()
                    .map(|n| (n, source.clone()))
                    .ok_or_else(|| {
                        self.invalid(
                            &source,
                            key,
                            format!("`{key}` in [tool.berth] must be a whole number"),
                            format!("write it as `{key} = 2`"),
                        )
                    })
            }
        }
    }

    fn cpus(&self) -> Result<Setting<u32>> {
        let Some(raw) = self.raw("cpus", None) else {
            return Ok(Setting {
                value: 2,
                source: Source::Default,
            });
        };
        let (n, source) = self.integer("cpus", raw)?;
        match u32::try_from(n) {
            Ok(value @ 1..=512) => Ok(Setting { value, source }),
            _ => Err(self.invalid(
                &source,
                "cpus",
                format!("cpus must be between 1 and 512, not {n}"),
                "set cpus to the number of virtual CPUs for the VM, e.g. `cpus = 2`".to_string(),
            )),
        }
    }

    /// A size such as `4GiB` (Lima's notation); a bare number means GiB.
    fn size(&self, key: &str, default: &str) -> Result<Setting<String>> {
        let Some(raw) = self.raw(key, None) else {
            return Ok(Setting {
                value: default.to_string(),
                source: Source::Default,
            });
        };
        let (text, source) = match raw {
            Raw::Toml(item, source) if item.as_integer().is_some() => (
                format!("{}GiB", item.as_integer().unwrap_or_default()),
                source,
            ),
            raw => self.string(key, raw)?,
        };
        match parse_size_gib(&text) {
            Some(gib) if gib > 0.0 => Ok(Setting {
                value: format_gib(gib),
                source,
            }),
            _ => Err(self.invalid(
                &source,
                key,
                format!("`{text}` is not a valid size for {key}"),
                format!("write a size such as `{key} = \"{default}\"` (units: MiB, GiB, TiB)"),
            )),
        }
    }

    fn boolean(&self, key: &str, default: bool) -> Result<Setting<bool>> {
        let Some(raw) = self.raw(key, None) else {
            return Ok(Setting {
                value: default,
                source: Source::Default,
            });
        };
        match raw {
            Raw::Text(text, source) => match text.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(Setting {
                    value: true,
                    source,
                }),
                "0" | "false" | "no" | "off" => Ok(Setting {
                    value: false,
                    source,
                }),
                _ => Err(self.invalid(
                    &source,
                    key,
                    format!("`{text}` is not true or false for {key}"),
                    format!("set {key} to true or false"),
                )),
            },
            Raw::Toml(item, source) => match item.as_bool() {
                Some(value) => Ok(Setting { value, source }),
                None => Err(self.invalid(
                    &source,
                    key,
                    format!("`{key}` in [tool.berth] must be true or false"),
                    format!("write it as `{key} = true`"),
                )),
            },
        }
    }

    fn duration(&self, key: &str, default_secs: u64) -> Result<Setting<u64>> {
        let Some(raw) = self.raw(key, None) else {
            return Ok(Setting {
                value: default_secs,
                source: Source::Default,
            });
        };
        let (text, source) = match raw {
            Raw::Toml(item, source) if item.as_integer().is_some() => (
                format!("{}s", item.as_integer().unwrap_or_default()),
                source,
            ),
            raw => self.string(key, raw)?,
        };
        match parse_duration_secs(&text) {
            Some(value) if value > 0 => Ok(Setting { value, source }),
            _ => Err(self.invalid(
                &source,
                key,
                format!("`{text}` is not a valid duration for {key}"),
                format!("write a duration such as `{key} = \"10m\"` (units: s, m, h)"),
            )),
        }
    }

    fn mounts(&self) -> Result<Setting<Vec<Mount>>> {
        let Some(Raw::Toml(item, source)) = self.raw("mounts", None) else {
            return Ok(Setting {
                value: Vec::new(),
                source: Source::Default,
            });
        };
        let help =
            "write mounts as `mounts = [\"~/src\", { location = \"/data\", writable = true }]`";
        let Some(array) = item.as_array() else {
            return Err(self.invalid(
                &source,
                "mounts",
                "`mounts` in [tool.berth] must be an array".into(),
                help.into(),
            ));
        };
        let mut mounts = Vec::new();
        for value in array.iter() {
            let at = Source::Manifest(self.manifest.and_then(|m| m.location(Some(value.span()))));
            let mount = match &value.value {
                Value::String(s) => Some(Mount {
                    location: s.to_string(),
                    writable: false,
                }),
                Value::Table(t) => {
                    match (t.get("location").and_then(Node::as_str), t.get("writable")) {
                        (Some(location), None) => Some(Mount {
                            location: location.to_string(),
                            writable: false,
                        }),
                        (Some(location), Some(w)) => w.as_bool().map(|writable| Mount {
                            location: location.to_string(),
                            writable,
                        }),
                        _ => None,
                    }
                }
                _ => None,
            };
            match mount {
                Some(mount) => mounts.push(mount),
                None => {
                    return Err(self.invalid(
                        &at,
                        "mounts",
                        "each mount must be a path or `{ location = \"...\", writable = true }`"
                            .into(),
                        help.into(),
                    ));
                }
            }
        }
        Ok(Setting {
            value: mounts,
            source,
        })
    }
}

/// Lima's instance-name rule: letters, digits, `-`, `_`, `.`, starting with a letter or digit.
pub fn is_valid_instance_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Turn any workspace name into a valid instance name.
pub fn sanitize_instance_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out = out
        .trim_start_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    out.truncate(64);
    if out.is_empty() {
        "berth".to_string()
    } else {
        out
    }
}

/// A size such as `4GiB` or `512MiB` in GiB (a bare number is GiB).
pub fn parse_size_gib(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "G" | "GiB" | "GB" | "g" => 1.0,
        "M" | "MiB" | "MB" | "m" => 1.0 / 1024.0,
        "T" | "TiB" | "TB" | "t" => 1024.0,
        _ => return None,
    };
    Some(number * factor)
}

fn format_gib(gib: f64) -> String {
    if gib.fract() == 0.0 {
        format!("{gib}GiB")
    } else {
        format!("{}MiB", (gib * 1024.0).round())
    }
}

/// Seconds in a duration such as `90`, `90s`, `10m`, `1h`.
pub fn parse_duration_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_normalised_to_lima_notation() {
        assert_eq!(
            parse_size_gib("4GiB").map(format_gib).as_deref(),
            Some("4GiB")
        );
        assert_eq!(
            parse_size_gib("512MiB").map(format_gib).as_deref(),
            Some("512MiB")
        );
        assert_eq!(
            parse_size_gib("1T").map(format_gib).as_deref(),
            Some("1024GiB")
        );
        assert_eq!(parse_size_gib("lots"), None);
        assert_eq!(parse_size_gib("4 parsecs"), None);
    }

    #[test]
    fn instance_names_follow_lima_rules() {
        assert!(is_valid_instance_name("my-app_2.0"));
        assert!(!is_valid_instance_name("-app"));
        assert!(!is_valid_instance_name("my app"));
        assert_eq!(sanitize_instance_name("My App!"), "my-app-");
        assert_eq!(sanitize_instance_name("__x"), "x");
        assert_eq!(sanitize_instance_name("!!!"), "berth");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("90"), Some(90));
        assert_eq!(parse_duration_secs("10m"), Some(600));
        assert_eq!(parse_duration_secs("1h"), Some(3600));
        assert_eq!(parse_duration_secs("1d"), None);
    }

    #[test]
    fn typos_get_suggestions() {
        assert_eq!(closest("cpu", &["cpus", "disk"]), Some("cpus"));
        assert_eq!(closest("zzzzzz", &["cpus", "disk"]), None);
    }
}
