//! How a setting's value is read (from a flag's or a variable's text, or from TOML) and shown.
//! Each parser takes the key it reads, for its messages; where the value came from is added by
//! the caller.

use std::ops::Range;
use std::time::Duration;

use clap::ValueEnum;

use super::{ComposeName, Endpoint, Mount, RuntimeChoice, VmType};
use crate::host::Arch;
use crate::manifest::document::{Node, Value};
use crate::units::{self, BareUnit, ByteSize};

/// A value as given: the text of a flag or an environment variable, or a TOML value.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    Text(&'a str),
    Toml(&'a Node<'a>),
}

/// Why a value was refused, and what to write instead.
#[derive(Debug)]
pub struct Invalid {
    pub message: String,
    pub help: String,
    /// The part of the TOML value at fault, when it is not the whole value.
    pub span: Option<Range<usize>>,
}

impl Invalid {
    fn new(message: String, help: String) -> Invalid {
        Invalid {
            message,
            help,
            span: None,
        }
    }

    /// A TOML value of the wrong type: `key` takes `expected`, written like `example`.
    fn toml_type(key: &str, expected: &str, example: &str) -> Invalid {
        Invalid::new(
            format!("`{key}` in [tool.berth] must be {expected}"),
            format!("write it as `{key} = {example}`"),
        )
    }
}

/// The parser of one setting: its input and its key to the value.
pub type Parser<T> = fn(Input<'_>, &str) -> Result<T, Invalid>;

/// A string, from text or a TOML string.
fn string<'a>(input: Input<'a>, key: &str) -> Result<&'a str, Invalid> {
    match input {
        Input::Text(text) => Ok(text),
        Input::Toml(node) => node
            .as_str()
            .ok_or_else(|| Invalid::toml_type(key, "a string", "\"...\"")),
    }
}

/// A whole number, from text or a TOML integer.
fn integer(input: Input<'_>, key: &str) -> Result<i64, Invalid> {
    match input {
        Input::Text(text) => text.trim().parse().map_err(|_| {
            Invalid::new(
                format!("`{text}` is not a whole number for {key}"),
                format!("set {key} to a whole number"),
            )
        }),
        Input::Toml(node) => node
            .as_integer()
            .ok_or_else(|| Invalid::toml_type(key, "a whole number", "2")),
    }
}

/// Text, or a TOML integer written out with `unit` (a size's or a duration's bare number).
fn text_or_integer(input: Input<'_>, key: &str) -> Result<String, Invalid> {
    match input {
        Input::Toml(node) if node.as_integer().is_some() => {
            Ok(node.as_integer().unwrap_or_default().to_string())
        }
        input => string(input, key).map(str::to_string),
    }
}

/// `auto`, a runtime's name, or an engine's endpoint ([`Endpoint`]).
pub fn runtime(input: Input<'_>, key: &str) -> Result<RuntimeChoice, Invalid> {
    let name = string(input, key)?;
    if let Some(endpoint) = Endpoint::parse(name) {
        return endpoint.map(RuntimeChoice::Endpoint).map_err(|why| {
            Invalid::new(
                format!("`{name}` is not a valid {key}: {why}"),
                format!("write an endpoint as {}", Endpoint::FORMS.join(" or ")),
            )
        });
    }
    RuntimeChoice::from_name(name).ok_or_else(|| {
        Invalid::new(
            format!("`{name}` is not a valid {key}"),
            format!("use one of: {}", RuntimeChoice::names().join(", ")),
        )
    })
}

/// One of the names of a [`ValueEnum`] (`vm-type`, `arch`).
pub fn choice<T: ValueEnum>(input: Input<'_>, key: &str) -> Result<T, Invalid> {
    let name = string(input, key)?;
    T::from_str(name, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| Some(v.to_possible_value()?.get_name().to_string()))
            .collect();
        Invalid::new(
            format!("`{name}` is not a valid {key}"),
            format!("use one of: {}", names.join(", ")),
        )
    })
}

/// Any string. (The instance name is checked against Lima's rule where it reaches Lima,
/// `runtime::lima::name`, with a name to use instead.)
pub fn text(input: Input<'_>, key: &str) -> Result<String, Invalid> {
    string(input, key).map(str::to_string)
}

/// A compose project name both Compose implementations take as it is ([`ComposeName`]).
pub fn compose_project(input: Input<'_>, key: &str) -> Result<ComposeName, Invalid> {
    let text = string(input, key)?;
    ComposeName::parse(text).map_err(|why| {
        let normalized = super::normalize_compose_name(text);
        let help = if normalized.is_empty() {
            format!("write it as `{key} = \"app\"`")
        } else {
            format!("write it as `{key} = \"{normalized}\"`")
        };
        Invalid::new(why, help)
    })
}

/// The VM's CPU count, 1 to 512.
pub fn cpus(input: Input<'_>, key: &str) -> Result<u32, Invalid> {
    let n = integer(input, key)?;
    match u32::try_from(n) {
        Ok(value @ 1..=512) => Ok(value),
        _ => Err(Invalid::new(
            format!("{key} must be between 1 and 512, not {n}"),
            format!("set {key} to the number of virtual CPUs for the VM, e.g. `{key} = 2`"),
        )),
    }
}

/// A size of the VM ([`ByteSize`]; a bare number is GiB).
pub fn vm_size(input: Input<'_>, key: &str) -> Result<ByteSize, Invalid> {
    let text = text_or_integer(input, key)?;
    ByteSize::parse(&text, BareUnit::Gib).ok_or_else(|| {
        Invalid::new(
            format!("`{text}` is not a valid size for {key}"),
            format!(
                "write a size such as `{key} = \"8GiB\"` (units: {})",
                ByteSize::UNITS
            ),
        )
    })
}

/// `true` or `false` (or, as text, `1`/`0`, `yes`/`no`, `on`/`off`).
pub fn boolean(input: Input<'_>, key: &str) -> Result<bool, Invalid> {
    match input {
        Input::Text(text) => match text.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(Invalid::new(
                format!("`{text}` is not true or false for {key}"),
                format!("set {key} to true or false"),
            )),
        },
        Input::Toml(node) => node
            .as_bool()
            .ok_or_else(|| Invalid::toml_type(key, "true or false", "true")),
    }
}

/// A duration ([`units::parse_duration`]; a bare number is seconds).
pub fn duration(input: Input<'_>, key: &str) -> Result<Duration, Invalid> {
    let text = text_or_integer(input, key)?;
    units::parse_duration(&text).ok_or_else(|| {
        Invalid::new(
            format!("`{text}` is not a valid duration for {key}"),
            format!("write a duration such as `{key} = \"10m\"` (units: s, m, h)"),
        )
    })
}

/// Extra mounts: an array of paths or `{ location, writable }` tables (only in the manifest).
pub fn mounts(input: Input<'_>, key: &str) -> Result<Vec<Mount>, Invalid> {
    let help = format!(
        "write mounts as `{key} = [\"~/src\", {{ location = \"/data\", writable = true }}]`"
    );
    let array = match input {
        Input::Toml(node) => node.as_array(),
        Input::Text(_) => None,
    };
    let Some(array) = array else {
        return Err(Invalid::new(
            format!("`{key}` in [tool.berth] must be an array"),
            help,
        ));
    };
    array
        .iter()
        .map(|value| {
            mount(value).ok_or_else(|| Invalid {
                message: "each mount must be a path or `{ location = \"...\", writable = true }`"
                    .into(),
                help: help.clone(),
                span: Some(value.span()),
            })
        })
        .collect()
}

fn mount(value: &Node<'_>) -> Option<Mount> {
    match &value.value {
        Value::String(location) => Some(Mount {
            location: location.to_string(),
            writable: false,
        }),
        Value::Table(table) => Some(Mount {
            location: table.get("location")?.as_str()?.to_string(),
            writable: match table.get("writable") {
                Some(writable) => writable.as_bool()?,
                None => false,
            },
        }),
        _ => None,
    }
}

/// How a value is shown by `berth doctor`, and written as TOML by `berth init`.
pub trait Show {
    fn show(&self) -> String;
    fn toml(&self) -> String {
        toml_edit::Value::from(self.show()).to_string()
    }
}

impl Show for RuntimeChoice {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for String {
    fn show(&self) -> String {
        self.clone()
    }
}

impl Show for ComposeName {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for u32 {
    fn show(&self) -> String {
        self.to_string()
    }
    fn toml(&self) -> String {
        self.to_string()
    }
}

impl Show for bool {
    fn show(&self) -> String {
        self.to_string()
    }
    fn toml(&self) -> String {
        self.to_string()
    }
}

impl Show for ByteSize {
    fn show(&self) -> String {
        self.to_string()
    }
}

impl Show for Duration {
    fn show(&self) -> String {
        format!("{}s", self.as_secs())
    }
}

impl Show for VmType {
    fn show(&self) -> String {
        self.name().to_string()
    }
}

impl Show for Arch {
    fn show(&self) -> String {
        self.name().to_string()
    }
}

/// An optional setting; unset, it has no TOML form (`berth init` writes only set values).
impl<T: Show> Show for Option<T> {
    fn show(&self) -> String {
        self.as_ref().map_or_else(|| "(unset)".into(), Show::show)
    }
    fn toml(&self) -> String {
        self.as_ref().map_or_else(String::new, Show::toml)
    }
}

impl Show for Vec<Mount> {
    fn toml(&self) -> String {
        let mounts: Vec<String> = self
            .iter()
            .map(|m| {
                let location = toml_edit::Value::from(m.location.as_str());
                if m.writable {
                    format!("{{ location = {location}, writable = true }}")
                } else {
                    location.to_string()
                }
            })
            .collect();
        format!("[{}]", mounts.join(", "))
    }
    fn show(&self) -> String {
        if self.is_empty() {
            return "(none)".into();
        }
        self.iter()
            .map(|m| {
                if m.writable {
                    format!("{} (writable)", m.location)
                } else {
                    m.location.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
